"""The example workbooks in examples/ are built from the seed dumps by examples/build_examples.py.

These tests rebuild them into a temporary directory, check the layout a reform office would
recognise (title row, header row, task groups merged vertically), and check that the committed
files are not stale.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

XLSX = {
    "000": "000_dalian_2019_reform_ledger.xlsx",
    "002": "002_lishu_2019_key_tasks.xlsx",
    "003": "003_tianjin_2017_task_division.xlsx",
}
CSV_000 = "000_dalian_2019_reform_ledger.csv"

HEADERS = {
    "000": ["序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况", "联系人", "联系电话"],
    "002": ["序号", "重点任务", "具体工作", "牵头部门", "配合部门"],
    "003": ["序号", "工作任务", "牵头部门", "时间进度"],
}
TITLES = {
    "000": "全面深化改革 2019 年卫生健康工作台账",
    "002": "梨树县深化医药卫生体制改革2019年重点工作任务台帐",
    "003": "2017年重点工作任务分工及进度安排表",
}
# Rows per task group, counted by hand from the seeds.
GROUP_SIZES = {
    "000": [2, 3, 2, 4, 1],
    "002": [1, 1, 1, 1, 4, 2, 1, 2, 3, 2, 1, 1, 6, 3, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1,
            1, 2, 1, 1, 1, 3, 1, 1, 2, 1, 1, 4, 1, 1, 2, 4, 1, 1, 2, 1, 1, 1, 1, 1, 1],
    "003": [1] * 40,
}
TASK_COLUMNS = {"000": "ABCD", "002": "AB", "003": "AB"}
# 002: continuation rows that leave both 牵头部门 and 配合部门 blank ("same as above").
UNIT_MERGES_002 = {
    "D11:D12", "E11:E12",  # task 6
    "D14:D15", "E14:E15",  # task 8
    "D23:D25", "E23:E25",  # task 13, first three sub-items
    "D26:D28", "E26:E28",  # task 13, last three sub-items
    "D51:D52", "E51:E52",  # task 31
    "D56:D57", "E56:E57",  # task 34
    "D60:D63", "E60:E63",  # task 37
}


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_examples", EXAMPLES / "build_examples.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up in sys.modules
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def builder():
    return _load_builder()


@pytest.fixture(scope="module")
def built(builder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples")
    written = builder.build_all(out)
    assert sorted(p.name for p in written) == sorted([*XLSX.values(), CSV_000])
    return out


def _ws(path: Path):
    wb = openpyxl.load_workbook(path)
    assert len(wb.worksheets) == 1
    return wb.worksheets[0]


def _expected_merges(key: str) -> set[str]:
    ncols = len(HEADERS[key])
    merges = {f"A1:{openpyxl.utils.get_column_letter(ncols)}1"}
    row = 3
    for size in GROUP_SIZES[key]:
        if size > 1:
            merges |= {f"{c}{row}:{c}{row + size - 1}" for c in TASK_COLUMNS[key]}
        row += size
    if key == "002":
        merges |= UNIT_MERGES_002
    return merges


@pytest.mark.parametrize("key", sorted(XLSX))
def test_title_header_and_counts(built, key):
    ws = _ws(built / XLSX[key])
    ncols = len(HEADERS[key])
    assert ws["A1"].value == TITLES[key]
    assert ws["A1"].font.b and ws["A1"].font.sz > 11
    assert ws["A1"].alignment.horizontal == "center"
    assert [c.value for c in ws[2]] == HEADERS[key]
    for c in ws[2]:
        assert c.font.b and c.fill.fill_type == "solid" and c.alignment.wrap_text
        assert c.border.left.style == c.border.bottom.style == "thin"
    assert ws.freeze_panes == "A3"
    assert ws.max_column == ncols
    assert ws.max_row == 2 + sum(GROUP_SIZES[key])

    numbers = [ws.cell(row=r, column=1).value for r in range(3, ws.max_row + 1)]
    tasks = [n for n in numbers if n is not None]
    assert tasks == list(range(1, len(GROUP_SIZES[key]) + 1))
    assert all(type(n) is int for n in tasks)
    row = 3
    for size in GROUP_SIZES[key]:
        assert ws.cell(row=row, column=1).value is not None
        assert all(ws.cell(row=r, column=1).value is None for r in range(row + 1, row + size))
        row += size

    for r in range(3, ws.max_row + 1):
        for c in range(1, ncols + 1):
            cell = ws.cell(row=r, column=c)
            assert cell.border.left.style == "thin"
            if isinstance(cell, MergedCell):
                continue  # openpyxl's reader drops a covered cell's style; the top cell has it
            assert cell.alignment.vertical == "top" and cell.alignment.wrap_text


def test_counts_by_hand():
    assert (len(GROUP_SIZES["000"]), sum(GROUP_SIZES["000"])) == (5, 12)
    assert (len(GROUP_SIZES["002"]), sum(GROUP_SIZES["002"])) == (50, 79)
    assert (len(GROUP_SIZES["003"]), sum(GROUP_SIZES["003"])) == (40, 40)


@pytest.mark.parametrize("key", sorted(XLSX))
def test_merged_ranges(built, key):
    ws = _ws(built / XLSX[key])
    assert {str(r) for r in ws.merged_cells.ranges} == _expected_merges(key)


def test_000_values(built):
    ws = _ws(built / XLSX["000"])
    assert ws.title == "工作台账"
    # Task 4 spans rows 10-13; its 2nd and 4th sub-items have no contact and no phone.
    assert ws["A10"].value == 4
    assert ws["D10"].value == "市卫生健康委、市市场监管局、市医保局"
    for ref in ("H11", "I11", "H13", "I13"):
        assert ws[ref].value is None, ref
    assert ws["H12"].value == "王宏彦" and ws["I12"].value == "39052223"
    # Phones are text, seed text kept as is.
    phones = [ws.cell(row=r, column=9).value for r in range(3, 15)]
    assert all(p is None or isinstance(p, str) for p in phones)
    assert ws["I3"].value == "39052220"
    assert ws["F3"].value == "5 月 31 日。"
    assert ws["H14"].value == "王宏彦 丁向芳" and ws["I14"].value == "39052223 39052299"
    assert ws["F8"].value == "7月底出方案。 9月底完成考核工作。"
    assert all("---" not in str(c.value) for row in ws.iter_rows() for c in row if c.value)


def test_002_multiline_cells(built):
    ws = _ws(built / XLSX["002"])
    assert ws["A5"].value == 3 and ws["E5"].value == "财政局\n医保局"
    assert ws["D60"].value == "县卫健局\n医保局\n市场监督局\n政务数建局"
    assert ws["E60"].value is None  # merged, empty: no co-operating unit for all of task 37
    assert ws["E5"].alignment.wrap_text


def test_csv_twin(built):
    raw = (built / CSV_000).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == TITLES["000"] and not any(rows[0][1:])
    assert rows[1] == HEADERS["000"]
    data = rows[2:]
    assert len(data) == 12 and all(len(r) == 9 for r in data)
    assert [r[0] for r in data] == ["1", "", "2", "", "", "3", "", "4", "", "", "", "5"]
    assert data[1][:4] == ["", "", "", ""]
    assert data[8][7:] == ["", ""] and data[10][7:] == ["", ""]


def test_build_is_deterministic(builder, built, tmp_path):
    builder.build_all(tmp_path)
    for name in [*XLSX.values(), CSV_000]:
        assert (tmp_path / name).read_bytes() == (built / name).read_bytes(), name
    wb = openpyxl.load_workbook(built / XLSX["000"])
    assert wb.properties.created == wb.properties.modified == builder.FIXED_TIME


@pytest.mark.parametrize("key", sorted(XLSX))
def test_committed_xlsx_is_fresh(built, key):
    committed = EXAMPLES / XLSX[key]
    assert committed.exists(), f"run: python examples/build_examples.py ({committed.name} missing)"
    old, new = openpyxl.load_workbook(committed), openpyxl.load_workbook(built / XLSX[key])
    hint = "stale example, run: python examples/build_examples.py"
    assert old.sheetnames == new.sheetnames, hint
    for a, b in zip(old.worksheets, new.worksheets):
        assert list(a.iter_rows(values_only=True)) == list(b.iter_rows(values_only=True)), hint
        assert {str(r) for r in a.merged_cells.ranges} == {str(r) for r in b.merged_cells.ranges}, hint


def test_committed_csv_is_fresh(built):
    assert (EXAMPLES / CSV_000).read_bytes() == (built / CSV_000).read_bytes(), (
        "stale example, run: python examples/build_examples.py"
    )
