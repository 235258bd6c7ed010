"""Split files and merged workbooks stay what people have seen: every value, style, merged range,
width, height, dropdown, lock and note compared with golden files written before split and merge
were made faster (issue 18). Only the moments of writing (split_at, the log's 时间) are masked.

Regenerate the golden files only for an intended change of the output:
    python tests/test_split_merge_output.py
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import EX000  # noqa: E402
from xlsx_compare import differences, snapshot  # noqa: E402

GOLDEN = Path(__file__).parent / "data" / "golden"
GENERATED = GOLDEN / "ledger_200.xlsx"  # bench/generate.py, 200 rows, seed 9: 26 departments
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")


def _masked(path: Path) -> dict:
    """The snapshot with the moments of writing replaced: they differ on every run."""
    snap = snapshot(path, full=True)
    for title, _ in snap["sheets"]:
        cells = snap[title]["cells"]
        for coord, cell in cells.items():
            if isinstance(cell[0], str) and _MOMENT.search(cell[0]):
                cells[coord] = (_MOMENT.sub("<moment>", cell[0]), *cell[1:])
    return snap


def _edit(path: Path, changes: dict[str, str]) -> None:
    """What a department does: change cells of its file (by column name, first data row)."""
    import openpyxl

    from taizhang.validator.reader import read_ledger

    ledger = read_ledger(path)
    wb = openpyxl.load_workbook(path)
    ws = wb[ledger.sheet]
    for name, value in changes.items():
        ws.cell(ledger.rows[0], ledger.columns[name].index).value = value
    wb.save(path)


def _master(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / "台账.xlsx"
    shutil.copy(src, master)
    return master


def make_split(src: Path, folder: Path, by: str | None) -> Path:
    from taizhang.ledgerops.split import split_ledger

    out = folder / "分发"
    split_ledger(_master(src, folder), out, by)
    return out


def make_merge(src: Path, folder: Path, by: str | None, new_row: bool) -> Path:
    """Split, then three departments edit: an editable cell, a locked one, two disagreeing on a
    shared row's cell, and (with `new_row`) a row added to a task; merged back with new rows."""
    from taizhang.ledgerops.merge import merge_ledgers
    from taizhang.validator.reader import read_ledger

    split = make_split(src, folder, by)
    files = sorted(split.glob("*.xlsx"))
    ledger = read_ledger(files[0])
    editable = [n for n, c in ledger.columns.items() if c.definition.editable]
    locked = [n for n, c in ledger.columns.items() if not c.definition.editable and c.definition.level == "item"]
    _edit(files[0], {editable[0]: "已完成：按季度报送进展", locked[0]: "擅自改动的锁定列"})
    _edit(files[1], {editable[-1]: "13900000000"})
    if new_row:
        import openpyxl

        wb = openpyxl.load_workbook(files[2])
        ws = wb[read_ledger(files[2]).sheet]
        sub = read_ledger(files[2])
        ws.insert_rows(sub.rows[0] + 1)
        for name, col in sub.columns.items():
            if col.definition.level != "task":
                ws.cell(sub.rows[0] + 1, col.index).value = f"新增：{col.header}"
        wb.save(files[2])
    out = folder / "合并.xlsx"
    merge_ledgers(folder / "台账.xlsx", [split], out, accept_new_rows=True)
    return out


CASES = {
    "split_000": lambda folder: make_split(EX000, folder, None),
    "split_200": lambda folder: make_split(GENERATED, folder, "责任单位"),
    "merge_000": lambda folder: make_merge(EX000, folder, None, False),
    "merge_200": lambda folder: make_merge(GENERATED, folder, "责任单位", True),
}


def _outputs(made: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(made.glob("*.xlsx"))} if made.is_dir() else {made.name: made}


@pytest.mark.parametrize("name", list(CASES))
def test_split_and_merge_outputs_match_the_golden_files(tmp_path, name):
    made = _outputs(CASES[name](tmp_path))
    golden = _outputs(GOLDEN / name if (GOLDEN / name).is_dir() else GOLDEN / f"{name}.xlsx")
    if len(golden) > 1:  # a split: the same files, each as before
        assert list(made) == list(golden)
    assert len(made) == len(golden) > 0
    for (file, path), before in zip(made.items(), golden.values()):
        diffs = differences(_masked(before), _masked(path))
        assert not diffs, f"{file}:\n" + "\n".join(diffs)

if __name__ == "__main__":
    import tempfile

    GOLDEN.mkdir(parents=True, exist_ok=True)
    if not GENERATED.exists():
        sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))
        import generate

        generate.generate_ledger(GENERATED, 200)
    with tempfile.TemporaryDirectory() as tmp:
        for case, make in CASES.items():
            made = make(Path(tmp) / case)
            target = GOLDEN / case if made.is_dir() else GOLDEN / f"{case}.xlsx"
            shutil.rmtree(target, ignore_errors=True) if made.is_dir() else None
            shutil.copytree(made, target) if made.is_dir() else shutil.copy(made, target)
            print("wrote", target)
