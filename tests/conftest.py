"""Shared fixtures: real workbooks written to temp dirs, never mocked."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
sys.path.insert(0, str(ROOT))

EX000 = EXAMPLES / "000_dalian_2019_reform_ledger.xlsx"
EX002 = EXAMPLES / "002_lishu_2019_key_tasks.xlsx"
EX003 = EXAMPLES / "003_tianjin_2017_task_division.xlsx"
EX000_CSV = EXAMPLES / "000_dalian_2019_reform_ledger.csv"
SOURCES = EXAMPLES / "sources"


def seed_text(prefix: str) -> str:
    """The text of a seed copied into examples/sources (e.g. "000")."""
    (path,) = SOURCES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def seed_000_rows() -> list[dict[str, str]]:
    """Seed 000's table rows as {header: cell} (tab-separated in the dump)."""
    lines = seed_text("000").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("序号\t"))
    header = lines[start].split("\t")
    rows = []
    for line in lines[start + 1:]:
        cells = line.split("\t")
        if len(cells) < 4 or set(line) <= set("-\t "):
            continue
        cells += [""] * (len(header) - len(cells))
        rows.append({h: c.strip() for h, c in zip(header, cells)})
    return rows


@pytest.fixture
def copy_example(tmp_path):
    """Copy an example into tmp_path so a test may change it freely."""

    def _copy(src: Path, name: str | None = None) -> Path:
        dst = tmp_path / (name or src.name)
        shutil.copy(src, dst)
        return dst

    return _copy


def write_ledger(path: Path, rows: list[list], *, title: str | None = "2019 年工作台账",
                 header: list[str] | None = None, merges: list[str] = (), sheet: str = "工作台账") -> Path:
    """Write a small ledger with openpyxl: optional title row, header, rows, merged ranges."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title is not None:
        ws.append([title])
    ws.append(header or ["序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况", "联系人", "联系电话"])
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path
