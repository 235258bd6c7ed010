"""The reader on real layouts: title rows, merged task groups, multi-line headers, CSV, .xls."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from conftest import EX000, EX000_CSV, EX002, EX003, write_ledger
from taizhang.validator.filecheck import ReadError
from taizhang.validator.ledger_types import get_type
from taizhang.validator.normalize import normalize_text
from taizhang.validator.reader import read_ledger


def test_000_example_layout():
    led = read_ledger(EX000)
    assert led.sheet == "工作台账" and led.header_row == 2 and led.ledger_type.name == "reform-ledger"
    assert led.type_detected and len(led) == 12
    assert "2019" in led.title
    # task 4 spans rows 10-13; its merged 责任单位 is filled down and points at the top cell
    pos = led.rows.index(11)
    assert led.values["责任单位"][pos] == "市卫生健康委、市市场监管局、市医保局"
    assert led.origin["责任单位"][pos] == 10 and led.cell("责任单位", pos) == "D10"
    assert led.values["联系人"][pos] is None  # sub-item values are never filled down
    assert led.task[pos] == led.task[led.rows.index(10)] != led.task[led.rows.index(14)]


@pytest.mark.parametrize("path,ltype,rows", [(EX002, "key-tasks", 79), (EX003, "task-division", 40)])
def test_other_examples_detect_their_type(path, ltype, rows):
    led = read_ledger(path)
    assert led.ledger_type.name == ltype and len(led) == rows and led.header_row == 2


def test_csv_twin_reads_like_the_workbook():
    a, b = read_ledger(EX000), read_ledger(EX000_CSV)
    assert a.rows == b.rows
    for col in ("序号", "改革事项", "责任单位", "完成时限及主要节点", "联系人"):
        assert a.values[col] == b.values[col], col


def test_gb18030_csv(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes("序号,工作任务,牵头部门,时间进度\n1,推进医联体,市卫生计生委,2017年9月\n".encode("gb18030"))
    led = read_ledger(p)
    assert led.ledger_type.name == "task-division" and led.values["牵头部门"] == ["市卫生计生委"]


def test_header_with_line_breaks_and_spaces_and_blank_continuation(tmp_path):
    p = write_ledger(tmp_path / "x.xlsx", [
        [1, "分类", "事项甲", "市卫生健康委", "成果一", "6月底", "", "张三", "39052220"],
        [None, None, None, None, "成果二", "１２月底", "", "李四", "39052221"],
        [2, "分类", "事项乙", "市医保局", "成果三", "9月底", "", "王五", "39052222"],
    ], header=["序 号", "任务\n分类", "改革事项", "责任 单位", "重要成果形式", "完成时限", "推进情况", "联系人", "联系电话"])
    led = read_ledger(p)
    assert led.header_row == 2 and led.columns["完成时限及主要节点"].header == "完成时限"
    assert led.values["改革事项"] == ["事项甲", "事项甲", "事项乙"]
    assert led.origin["改革事项"] == [3, 3, 5]
    assert led.values["完成时限及主要节点"][1] == "12月底"  # full-width digits normalised
    assert led.raw["完成时限及主要节点"][1] == "１２月底"  # raw kept for reporting


def test_sheet_option_by_name_and_index(tmp_path):
    p = tmp_path / "two.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["这是说明"])
    ws = wb.create_sheet("任务")
    ws.append(["序号", "工作任务", "牵头部门", "时间进度"])
    ws.append([1, "任务", "市编办", dt.datetime(2017, 7, 31)])
    wb.save(p)
    assert read_ledger(p).sheet == "任务"  # the first sheet holding a header
    assert read_ledger(p, sheet="2").sheet == "任务"
    with pytest.raises(ReadError) as e:
        read_ledger(p, sheet="1")
    assert e.value.code == "header-not-found"
    with pytest.raises(ReadError) as e:
        read_ledger(p, sheet="不存在")
    assert e.value.code == "sheet-not-found" and "说明" in e.value.zh


def test_type_option_forces_type(tmp_path):
    p = write_ledger(tmp_path / "x.xlsx", [[1, "任务", "市编办", "2017年7月"]], header=["序号", "工作任务", "牵头部门", "时间进度"])
    led = read_ledger(p, ledger_type=get_type("task-division"))
    assert not led.type_detected and led.ledger_type.name == "task-division"


def test_formulas_are_found(tmp_path):
    p = write_ledger(tmp_path / "f.xlsx", [[1, "分类", "事项", "市医保局", "=A3&\"x\"", "6月底", "", "张三", "39052220"]])
    led = read_ledger(p)
    assert led.formulas == {(3, 5): '=A3&"x"'}


def test_xls_is_read(tmp_path):
    """An .xls (BIFF) file reads like the .xlsx; LibreOffice writes one from the example."""
    import shutil
    import subprocess

    if not shutil.which("soffice"):
        pytest.fail("LibreOffice (soffice) is required; .ci/run installs it")
    subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", str(tmp_path), str(EX003)],
                   check=True, capture_output=True, timeout=120)
    led = read_ledger(tmp_path / (EX003.stem + ".xls"))
    assert led.ledger_type.name == "task-division" and len(led) == 40


@pytest.mark.parametrize("raw,expected", [
    ("  5 月 31 日。 ", "5 月 31 日。"), ("３９０５２２２０", "39052220"), ("a\u00a0\u00a0b", "a b"),
    (3.0, "3"), (None, None), ("", None), ("\u3000", None), (dt.datetime(2019, 6, 30), "2019-06-30"),
])
def test_normalize(raw, expected):
    assert normalize_text(raw) == expected


def test_two_row_header_with_a_group_heading(tmp_path):
    """联系方式 merged over 联系人 | 联系电话 is a common layout: the row below names the columns."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2019 年工作台账"])
    ws.append(["序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况", "联系方式", None])
    ws.append([None] * 7 + ["联系人", "联系电话"])
    for col in "ABCDEFG":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("H2:I2")
    ws.append([1, "分类", "事项", "市医保局", "成果", "6月底", "", "张三", "39052220"])
    ws.append([None, None, None, None, "成果二", "9月底", "", None, None])
    path = tmp_path / "two-row.xlsx"
    wb.save(path)
    led = read_ledger(path)
    assert led.header_row == 3 and led.rows == [4, 5] and "2019" in led.title and "序号" not in led.title
    assert (led.columns["联系人"].header, led.columns["联系电话"].header) == ("联系人", "联系电话")
    assert led.columns["联系人"].letter == "H" and led.values["联系人"] == ["张三", None]


def test_a_workbook_with_the_wrong_extension_is_read_by_its_content(tmp_path):
    renamed = tmp_path / "saved-as.xls"
    renamed.write_bytes(EX003.read_bytes())  # an .xlsx named .xls: Excel opens it
    assert len(read_ledger(renamed)) == 40
