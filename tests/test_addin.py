"""The add-in's entry points driven through xlwings' real remote engine.

A payload is built from a real .xlsx the way xlwings' Excel clients send it, the entry point
runs against `xw.Book(json=payload)`, and the actions it returns are replayed onto the .xlsx
with openpyxl by a strict applier (an action the client cannot run fails the test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from conftest import EX000, EX003, write_ledger
from xlwings_actions import apply_actions
from xlwings_payload import import_xlwings_remote, payload_from_xlsx

RED = "FFC7CE"


@pytest.fixture
def xw(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    return import_xlwings_remote()


def click(xw, action: str, xlsx: Path, out: Path, client: str = "officejs"):
    """One button click: payload -> entry point -> actions replayed onto a copy of the file."""
    from taizhang import addin

    book = xw.Book(json=payload_from_xlsx(xlsx, client=client))
    addin.run(action, book)
    return apply_actions(xlsx, book.json(), out, client=client)


def fills(path: Path, sheet: str = "工作台账") -> dict[str, str]:
    ws = openpyxl.load_workbook(path)[sheet]
    out = {}
    for row in ws.iter_rows():
        for c in row:
            rgb = c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else None
            if isinstance(rgb, str):
                out[c.coordinate] = rgb[-6:]
    return out


@pytest.mark.parametrize("client", ["officejs", "vba"])
def test_validate_marks_exactly_the_two_rows_without_contact(xw, tmp_path, client):
    out = tmp_path / "validated.xlsx"
    result = click(xw, "validate", EX000, out, client)
    before, after = fills(EX000), fills(out)
    changed = {cell: rgb for cell, rgb in after.items() if before.get(cell) != rgb}
    assert changed == {"H11": RED, "I11": RED, "H13": RED, "I13": RED}
    wb = openpyxl.load_workbook(out)
    report = wb["校验结果"]
    assert [c.value for c in report[1]] == ["单元格", "列", "值", "级别", "代码", "问题", "建议"]
    rows = [[c.value for c in r] for r in report.iter_rows(min_row=2)]
    assert [(r[0], r[4]) for r in rows] == [("H11", "missing-contact"), ("I11", "missing-phone"),
                                           ("H13", "missing-contact"), ("I13", "missing-phone")]
    assert report["A2"].hyperlink is not None and "工作台账'!H11" in (report["A2"].hyperlink.location or report["A2"].hyperlink.target)
    (alert,) = result.alerts
    assert "4 个错误" in alert.prompt and alert.mode == "critical"


def test_validate_twice_does_not_stack_and_clear_restores_every_fill(xw, tmp_path):
    once, twice, cleared = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "3.xlsx"
    click(xw, "validate", EX000, once)
    click(xw, "validate", once, twice)
    assert fills(twice) == fills(once)
    marks = openpyxl.load_workbook(twice)["_taizhang_marks"]
    assert sorted(r[1].value for r in marks.iter_rows(min_row=2)) == ["H11", "H13", "I11", "I13"]
    result = click(xw, "clear", twice, cleared)
    assert fills(cleared) == fills(EX000)
    assert {"校验结果", "_taizhang_marks"}.isdisjoint(openpyxl.load_workbook(cleared).sheetnames)
    assert "已清除 4 个" in result.alerts[0].prompt


def test_notes_where_the_client_supports_them(xw, tmp_path):
    out = tmp_path / "lite.xlsx"
    click(xw, "validate", EX000, out, client="lite")
    ws = openpyxl.load_workbook(out)["工作台账"]
    assert ws["H11"].comment is not None and "联系人" in ws["H11"].comment.text


def test_clean_ledger_passes_with_an_info_alert(xw, tmp_path):
    result = click(xw, "validate", EX003, tmp_path / "ok.xlsx")
    assert "校验通过" in result.alerts[0].prompt and result.alerts[0].mode == "info"
    assert "表头第 2 行，列：A 序号 · " in result.alerts[0].prompt


def test_problems_reach_the_user_as_chinese_alerts(xw, tmp_path):
    no_header = write_ledger(tmp_path / "x.xlsx", [["a", "b"]], header=["甲", "乙"])
    result = click(xw, "validate", no_header, tmp_path / "o.xlsx")
    assert "找不到台账表头" in result.alerts[0].prompt and result.alerts[0].mode == "critical"
    # the remote engine has no file on disk: merge says so instead of failing
    result = click(xw, "merge", EX000, tmp_path / "m.xlsx")
    assert "保存到本机磁盘" in result.alerts[0].prompt


def test_settings_sheet_is_created_with_defaults(xw, tmp_path):
    out = tmp_path / "s.xlsx"
    click(xw, "settings", EX000, out)
    ws = openpyxl.load_workbook(out)["设置"]
    assert [ws["A3"].value, ws["B3"].value] == ["报送文件夹", "报送"]


def _with_settings(src: Path, dst: Path, settings: dict[str, str]) -> Path:
    wb = openpyxl.load_workbook(src)
    ws = wb.create_sheet("设置")
    ws.append(["设置项", "值", "说明"])
    for k, v in settings.items():
        ws.append([k, v, ""])
    wb.save(dst)
    return dst


def test_split_merge_and_rollup_buttons_work_on_files_on_disk(xw, tmp_path):
    """Through xlwings Server the book has no path: the settings sheet names the master on disk."""
    master = tmp_path / "总表.xlsx"
    master.write_bytes(EX000.read_bytes())
    book = _with_settings(EX000, tmp_path / "open.xlsx", {"总表文件": str(master), "汇总日期": "2019-06-27"})
    result = click(xw, "split", book, tmp_path / "o1.xlsx")
    shared = sorted(p.name for p in (tmp_path / "分发").glob("*.xlsx"))
    assert "马新光.xlsx" in shared and "未指定.xlsx" in shared and "分发" in result.alerts[0].prompt
    # a department fills its rows and sends them back
    (tmp_path / "报送").mkdir()
    sub = openpyxl.load_workbook(tmp_path / "分发" / "未指定.xlsx")
    ws = sub.worksheets[0]
    for r in range(3, ws.max_row + 1):
        if ws[f"H{r}"].value is None and ws[f"E{r}"].value:
            ws[f"H{r}"].value, ws[f"I{r}"].value = "孙克", "39052232"
    sub.save(tmp_path / "报送" / "未指定.xlsx")
    before = master.read_bytes()
    result = click(xw, "merge", book, tmp_path / "o2.xlsx")
    assert master.read_bytes() == before  # the master on disk is never overwritten
    merged = list(tmp_path.glob("总表-合并-*.xlsx"))
    assert len(merged) == 1 and "结果" in result.alerts[0].prompt
    assert openpyxl.load_workbook(merged[0]).worksheets[0]["H11"].value == "孙克"


def test_rollup_button_adds_summary_sheets_to_the_open_workbook(xw, tmp_path):
    book = _with_settings(EX000, tmp_path / "open.xlsx", {"汇总日期": "2019-06-27"})
    out = tmp_path / "o.xlsx"
    result = click(xw, "rollup", book, out)
    wb = openpyxl.load_workbook(out)
    summary = {r[0].value: [c.value for c in r[1:]] for r in wb["汇总"].iter_rows(min_row=3)}
    assert summary["市卫生健康委"] == [12, 1, 11, 0, 0, 2]
    late = wb["逾期清单"]
    assert sorted(int(r[0].value) for r in late.iter_rows(min_row=2)) == [5, 10, 10, 10]
    assert "工作台账'!A5" in (late["A2"].hyperlink.location or late["A2"].hyperlink.target)
    assert "逾期 2 项" in result.alerts[0].prompt


def test_validated_workbook_renders_with_the_marks_visible(xw, tmp_path):
    """What the user sees: LibreOffice renders the marked ledger; the red cells are on the page."""
    import lo

    out = tmp_path / "validated.xlsx"
    click(xw, "validate", EX000, out)
    pages = lo.render(out, tmp_path / "png", dpi=60)[out]
    lo.assert_not_blank(pages[0])
    red = 0
    for page in pages:
        width, height, channels, pixels = lo.read_png(page)
        red += sum(1 for i in range(0, len(pixels), channels)
                   if abs(pixels[i] - 0xFF) < 8 and abs(pixels[i + 1] - 0xC7) < 8 and abs(pixels[i + 2] - 0xCE) < 8)
    assert red > 200  # four marked cells; the example itself has no red fill
    plain = lo.render(EX000, tmp_path / "plain", dpi=60)[EX000]
    for page in plain:
        width, height, channels, pixels = lo.read_png(page)
        assert not any(abs(pixels[i] - 0xFF) < 8 and abs(pixels[i + 1] - 0xC7) < 8 and abs(pixels[i + 2] - 0xCE) < 8
                       for i in range(0, len(pixels), channels))


def test_rollup_keeps_a_users_own_summary_sheet_and_reads_a_date_cell(xw, tmp_path):
    import datetime as dt

    wb = openpyxl.load_workbook(EX000)
    wb.create_sheet("汇总")["A1"] = "我自己的汇总，不能删"
    ws = wb.create_sheet("设置")
    ws.append(["设置项", "值", "说明"])
    ws.append(["汇总日期", dt.datetime(2019, 6, 27), ""])  # Excel makes a date cell of what users type
    src = tmp_path / "own.xlsx"
    wb.save(src)
    out = tmp_path / "o.xlsx"
    result = click(xw, "rollup", src, out)
    wb = openpyxl.load_workbook(out)
    assert wb["汇总"]["A1"].value == "我自己的汇总，不能删"
    assert wb["汇总(2)"]["A2"].value == "责任单位" and "2019-06-27" in wb["汇总(2)"]["A1"].value
    assert "汇总(2)" in result.alerts[0].prompt


def test_rollup_writes_a_workbook_when_an_output_folder_is_set(xw, tmp_path):
    book = _with_settings(EX000, tmp_path / "open.xlsx", {"汇总日期": "2019/7/1", "输出文件夹": str(tmp_path / "汇总")})
    result = click(xw, "rollup", book, tmp_path / "o.xlsx")
    (written,) = (tmp_path / "汇总").glob("*.xlsx")
    assert written.name == "open-汇总-2019-07-01.xlsx" and str(written) in result.alerts[0].prompt
    assert {"汇总", "逾期清单", "按月到期"} <= set(openpyxl.load_workbook(written).sheetnames)
    assert "汇总" not in openpyxl.load_workbook(tmp_path / "o.xlsx").sheetnames


def test_clear_gives_back_the_users_own_notes(xw, tmp_path):
    from openpyxl.comments import Comment

    wb = openpyxl.load_workbook(EX000)
    wb["工作台账"]["H11"].comment = Comment("待人事处确认联系人", "王")
    src = tmp_path / "noted.xlsx"
    wb.save(src)
    marked, cleared = tmp_path / "m.xlsx", tmp_path / "c.xlsx"
    click(xw, "validate", src, marked, client="lite")
    ws = openpyxl.load_workbook(marked)["工作台账"]
    # Lite cannot read a note's text synchronously, so the user's note is left in place, never replaced
    assert ws["H11"].comment.text.startswith("待人事处确认联系人") and "未填写联系电话" in ws["I11"].comment.text
    click(xw, "clear", marked, cleared, client="lite")
    ws = openpyxl.load_workbook(cleared)["工作台账"]
    assert ws["H11"].comment is not None and ws["H11"].comment.text.startswith("待人事处确认联系人")
    assert ws["I11"].comment is None
