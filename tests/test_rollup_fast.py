"""The roll-up's fast path makes the workbook xlsxwriter makes writing every cell itself.

The fast path writes the table bodies as SpreadsheetML (ledgerops/xlsx_rows.py), the largest in
forked processes, and splices them into the workbook xlsxwriter lays out. Compared here part by
part, byte for byte (only docProps/core.xml, which holds the time of writing, is left out): on the
examples, on a ledger of awkward texts, forked and not, with a child that fails; and the emitter
alone against xlsxwriter on values of every kind it takes.
"""

from __future__ import annotations

import datetime as dt
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import EX000, EX002, EX003, write_ledger  # noqa: E402

from taizhang.ledgerops import xlsx_rows  # noqa: E402
from taizhang.ledgerops.rollup import rollup  # noqa: E402
from taizhang.ledgerops.rollup_cells import _external_link  # noqa: E402
from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx  # noqa: E402

AWKWARD = [  # texts a ledger may hold, each a trap for an XML writer
    "回车\r换行\n制表\t", "_x0041_ 像转义的文字", "  前导空格", "结尾空格  ", "&<>\"' 符号", "\u3000全角空格开头",
    "表情😀与生僻字𠀀", "=SUM(A1:A2)",
]
# openpyxl cannot write these into a ledger; a reader may hand them over (calamine reads _x0001_ as \x01)
CONTROL, NONCHAR = "控制字符\x01\x1f已删除", "含\ufffe非字符"


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def awkward_result(path: Path):
    """A roll-up of a ledger of awkward texts, with control characters as a reader may hand them over."""
    result = rollup(awkward_ledger(path), dt.date(2019, 9, 30))
    for item in result.items[::4]:
        item.progress, item.contact, item.key = CONTROL, CONTROL, NONCHAR
    return result


def awkward_ledger(path: Path) -> Path:
    rows = []
    for i, text in enumerate(AWKWARD * 3, 1):
        rows.append([str(i), f"分类{i % 4}", f"事项 {text}", "市卫生健康委、市医保局" if i % 2 else "市市场监管局",
                     f"成果：{text}", "2019年4月底前；6月底前完成" if i % 3 else "持续实施",
                     text * (1 + i % 5), "" if i % 4 == 0 else "张三", "" if i % 5 == 0 else "83640000"])
    return write_ledger(path, rows)


def assert_same_workbook(slow: Path, fast: Path) -> None:
    assert names(fast) == names(slow)
    a, b = parts(slow), parts(fast)
    assert [n for n in a if a[n] != b[n]] == []


CASES = {
    "000": (EX000, dt.date(2019, 9, 30)),
    "000_early": (EX000, dt.date(2019, 1, 1)),  # nothing overdue: the 逾期清单 body is xlsxwriter's
    "002": (EX002, dt.date(2019, 7, 1)),
    "003": (EX003, dt.date(2017, 12, 31)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fast_path_writes_the_parts_xlsxwriter_writes(tmp_path, case):
    master, as_of = CASES[case]
    result = rollup(master, as_of)
    write_rollup_xlsx(result, tmp_path / "slow.xlsx", fast=False)
    write_rollup_xlsx(result, tmp_path / "fast.xlsx")
    assert_same_workbook(tmp_path / "slow.xlsx", tmp_path / "fast.xlsx")


def test_with_a_previous_report_too(tmp_path):
    first = tmp_path / "first.xlsx"
    write_rollup_xlsx(rollup(EX000, dt.date(2019, 6, 27)), first)
    result = rollup(EX000, dt.date(2019, 9, 30), first)
    assert result.previous is not None
    write_rollup_xlsx(result, tmp_path / "slow.xlsx", fast=False)
    write_rollup_xlsx(result, tmp_path / "fast.xlsx")
    assert_same_workbook(tmp_path / "slow.xlsx", tmp_path / "fast.xlsx")


@pytest.mark.parametrize("forked", [True, False])
def test_awkward_texts_forked_or_not(tmp_path, monkeypatch, forked):
    monkeypatch.setattr(xlsx_rows, "can_fork", lambda: forked)
    result = awkward_result(tmp_path / "台账.xlsx")
    write_rollup_xlsx(result, tmp_path / "slow.xlsx", fast=False)
    write_rollup_xlsx(result, tmp_path / "fast.xlsx")
    assert_same_workbook(tmp_path / "slow.xlsx", tmp_path / "fast.xlsx")


def test_awkward_texts_read_back_as_they_were(tmp_path):
    import python_calamine as pc

    texts = AWKWARD + ["<r>像富文本的文字</r>"]  # xlsxwriter writes <r>…</r> into the XML unescaped
    rows = [[str(i), "", "事项", "市卫生健康委", "方案", "6月底前", t] for i, t in enumerate(texts, 1)]
    result = rollup(write_ledger(tmp_path / "台账.xlsx", rows, header=[
        "序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况"]), dt.date(2019, 9, 30))
    # as a reader may hand them over (the ledger above cannot hold them: openpyxl refuses control
    # characters, and calamine decodes an _x0041_ written literally); each with what a user sees
    injected = {CONTROL: "控制字符已删除", NONCHAR: "含_xFFFE_非字符", "_x0041_ 不是转义": "_x0041_ 不是转义",
                "回车\r换行": "回车\r换行"}
    for item, text in zip(result.items, injected):
        item.progress = text
    write_rollup_xlsx(result, tmp_path / "fast.xlsx")
    sheet = pc.CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx")).get_sheet_by_name("逐项状态").to_python()
    progress = [r[5] for r in sheet[4:]]
    n = len(injected)
    assert progress == list(injected.values()) + [item.progress or "" for item in result.items[n:]]
    for text in ("&<>\"' 符号", "表情😀与生僻字𠀀", "<r>像富文本的文字</r>"):
        assert text in progress


def test_a_child_that_fails_is_redone_here(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_rows, "can_fork", lambda: True)

    def broken(self):  # only the children call state()
        raise MemoryError

    monkeypatch.setattr(xlsx_rows.SheetRows, "state", broken)
    result = rollup(EX000, dt.date(2019, 9, 30))
    write_rollup_xlsx(result, tmp_path / "slow.xlsx", fast=False)
    write_rollup_xlsx(result, tmp_path / "fast.xlsx")
    assert_same_workbook(tmp_path / "slow.xlsx", tmp_path / "fast.xlsx")


def test_a_master_too_far_away_for_a_link_shows_the_row_as_text(tmp_path):
    import shutil

    import openpyxl

    deep = tmp_path.joinpath(*["ledger-folder-" * 17] * 9)  # the relative path: > 2,079 UTF-16 units
    deep.mkdir(parents=True)
    master = deep / "台账.xlsx"
    shutil.copy(EX000, master)
    result = rollup(master, dt.date(2019, 9, 30))
    write_rollup_xlsx(result, tmp_path / "slow.xlsx", fast=False)
    write_rollup_xlsx(result, tmp_path / "fast.xlsx")
    assert_same_workbook(tmp_path / "slow.xlsx", tmp_path / "fast.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "fast.xlsx")["逐项状态"]
    assert ws["A5"].value == "第 3 行" and ws["A5"].hyperlink is None  # the first item, master row 3


def test_a_refused_fork_writes_the_rows_here(tmp_path, monkeypatch):
    import os

    def refused():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    result = rollup(EX000, dt.date(2019, 9, 30))  # (the reader forks too)
    monkeypatch.setattr(xlsx_rows, "can_fork", lambda: True)
    monkeypatch.setattr(os, "fork", refused)
    write_rollup_xlsx(result, tmp_path / "slow.xlsx", fast=False)
    write_rollup_xlsx(result, tmp_path / "fast.xlsx")
    assert_same_workbook(tmp_path / "slow.xlsx", tmp_path / "fast.xlsx")


def test_no_temporary_files_are_left(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    write_rollup_xlsx(rollup(EX000, dt.date(2019, 9, 30)), tmp_path / "out.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


# ---------------------------------------------------------------------- the emitter alone

CELLS = [  # (height or None, [(value, style name or None), ...]), from row 3 on
    (None, [("文字", "a"), (None, "a"), (None, None), (3.0, "b"), (1.5, "b"), (0, "b"), (1, "b")]),
    (26, [(True, "b"), (False, "b"), (1, "b"), (0.0, None), (-2, "a"), (1e20, "b"), (123456789012345678, "b")]),
    (15, [(dt.date(2019, 6, 30), "d"), (dt.date(1900, 2, 28), "d"), (dt.date(1900, 3, 1), "d"),
          (dt.datetime(2019, 6, 30, 12, 30), "d"), (dt.datetime(1900, 1, 1, 6), "d")]),
    (15.2, [("15.2 pt: the default 20 px, no height written", None)]),
    (48.75, [(t, "a") for t in AWKWARD[:5] + [CONTROL.replace("\x01", "\r"), NONCHAR]]),
    (None, [(None, None), (None, None)]),  # no cell, no height: no row at all
    (None, [(None, None), ("B 列起", "a"), ("x" * 40000, None)]),  # cut to 32,767 characters
]
LINKS = [(2, 0, "第 3 行", "../汇总 资料/台账#1.xlsx", "'工作表'!A3", "打开台账第 3 行"),
         (7, 3, "第 8 行", "台账.xlsx", "'它''s'!A8", "")]


def _emitted(path: Path, fast: bool) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("表")
    formats = {"a": wb.add_format({"text_wrap": True}), "b": wb.add_format({"bold": True}),
               "d": wb.add_format({"num_format": "yyyy-mm-dd"}), "l": wb.add_format({"underline": 1})}
    for fmt in formats.values():
        fmt._get_xf_index()
    ws.merge_range(0, 0, 0, 6, "标题", formats["b"])
    ws.set_landscape()
    links = {(r, c): link for r, c, *link in LINKS}
    if fast:
        rows = xlsx_rows.SheetRows(lambda style: formats[style]._get_xf_index())
    for r, (height, cells) in enumerate(CELLS, 2):
        if height is not None:
            ws.set_row(r, height) if not fast else rows.set_row(r, height)
        if fast:
            rows.write_row(r, [v for v, _ in cells], [s for _, s in cells])
        else:
            for c, (value, style) in enumerate(cells):
                fmt = formats[style] if style else None
                if value is None:
                    ws.write_blank(r, c, None, fmt)
                elif isinstance(value, str):
                    ws.write_string(r, c, value, fmt)
                elif isinstance(value, bool):
                    ws.write_boolean(r, c, value, fmt)
                elif isinstance(value, dt.date):
                    ws.write_datetime(r, c, value, fmt)
                else:
                    ws.write_number(r, c, value, fmt)
        for (lr, lc), (text, target, location, tip) in links.items():
            if lr == r:
                url = f"external:{target}#{location}"
                if fast:
                    rel_target, anchor = _external_link(target)  # as rollup_xlsx makes links
                    rows.link(r, lc, text, "l", rel_target, anchor + location, tip)
                else:
                    ws.write_url(r, lc, url, formats["l"], text, tip or None)
    wb.close()
    if fast:
        skeleton = path.with_name("skeleton.xlsx")
        path.rename(skeleton)
        xlsx_rows.splice(skeleton, path, {1: rows})


def test_emitter_writes_what_xlsxwriter_writes(tmp_path):
    _emitted(tmp_path / "slow.xlsx", fast=False)
    _emitted(tmp_path / "fast.xlsx", fast=True)
    assert_same_workbook(tmp_path / "slow.xlsx", tmp_path / "fast.xlsx")
    sheet = parts(tmp_path / "fast.xlsx")["xl/worksheets/sheet1.xml"].decode()
    assert '<dimension ref="A1:G9"/>' in sheet
    assert '<c r="A5" s="3"><v>43646</v></c>' in sheet  # 2019-06-30 as Excel's serial number
    assert "回车_x000D_换行" in sheet and "_x005F_x0041_" in sheet and "&amp;&lt;&gt;\"'" in sheet


def test_a_row_with_a_height_and_no_cells_keeps_its_height(tmp_path):
    # (xlsxwriter's constant_memory mode drops such a row; no table here has one)
    rows = xlsx_rows.SheetRows(lambda style: 1)
    rows.set_row(3, 30)
    rows.write(4, 0, "x", None)
    rows.finish()
    assert rows._file.read() == (b'<row r="4" ht="30" customHeight="1"/>'
                                 b'<row r="5"><c r="A5" t="inlineStr"><is><t>x</t></is></c></row>')


def test_rows_must_come_in_order():
    rows = xlsx_rows.SheetRows(lambda style: 1)
    rows.write(5, 0, "x", None)
    with pytest.raises(ValueError, match="rows are written in order"):
        rows.write(4, 0, "y", None)
