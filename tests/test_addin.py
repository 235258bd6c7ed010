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
    # the first column links to each cell: HYPERLINK formulas, written with the block in one write
    assert [(r[0], r[4]) for r in rows] == [
        ("""=HYPERLINK("#'工作台账'!H11","H11")""", "missing-contact"),
        ("""=HYPERLINK("#'工作台账'!I11","I11")""", "missing-phone"),
        ("""=HYPERLINK("#'工作台账'!H13","H13")""", "missing-contact"),
        ("""=HYPERLINK("#'工作台账'!I13","I13")""", "missing-phone")]
    (alert,) = result.alerts
    assert "4 个错误" in alert.prompt and alert.mode == "critical"


def test_validate_twice_does_not_stack_and_clear_restores_every_fill(xw, tmp_path):
    once, twice, cleared = tmp_path / "1.xlsx", tmp_path / "2.xlsx", tmp_path / "3.xlsx"
    click(xw, "validate", EX000, once)
    click(xw, "validate", once, twice)
    assert fills(twice) == fills(once)
    marks = openpyxl.load_workbook(twice)["_taizhang_marks"]
    # one row per packed address of cells that had the same fill before (the officejs client sends no fills)
    assert [[c.value for c in r] for r in marks.iter_rows(min_row=2)] == [["工作台账", "H11:I11,H13:I13", None, None, None]]
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


# --------------------------------------------------------------------------- issue 16: bulk marks, formulas, caller, warm engine


@pytest.fixture(autouse=True)
def _logs_in_tmp(tmp_path, monkeypatch):
    """Each click logs under %LOCALAPPDATA%: keep the tests' clicks out of the real profile."""
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "LocalAppData"))
    import logging

    log = logging.getLogger("taizhang.addin.clicks")
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()


@pytest.fixture(scope="module")
def bench_ledger(tmp_path_factory) -> Path:
    """The bench's ledger at 800 rows: task groups, merged cells, about 5% faulty cells of every kind."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import generate

    path = tmp_path_factory.mktemp("bench") / "ledger_800.xlsx"
    generate.generate_ledger(path, 800)
    return path


def fill_actions(actions: list[dict]) -> tuple[int, int]:
    """(fill writes, cells they paint) of the ledger sheet, from the recorded actions."""
    writes = cells = 0
    for a in actions:
        if a["func"] == "setRangeColors" and a["sheet_position"] == 0:
            writes += 1
            cells += sum(1 for row in a["args"][0] for c in row if c != "keep")
        elif a["func"] == "setRangeColor" and a["sheet_position"] == 0:
            writes += 1
            cells += a["row_count"] * a["column_count"]
    return writes, cells


def cli_cells(path: Path, without: str = "") -> dict[str, str]:
    """Cell -> worst severity, as `taizhang validate` finds them in the file (leaving out code `without`)."""
    from taizhang.validator.validate import Options, validate_file

    worst: dict[str, str] = {}
    for f in validate_file(path, Options()).findings:
        if f.cell and f.code != without and worst.get(f.cell) != "error":
            worst[f.cell] = f.severity
    return worst


@pytest.mark.parametrize("client", ["lite", "officejs"])
def test_marks_are_painted_in_bulk_exactly_on_the_cells_the_cli_flags(xw, tmp_path, bench_ledger, client):
    from taizhang import addin

    book = xw.Book(json=payload_from_xlsx(bench_ledger, client=client))
    counts = addin.run("validate", book)
    actions = book.json()["actions"]
    out = tmp_path / "v.xlsx"
    apply_actions(bench_ledger, actions, out, client=client)
    expected = cli_cells(bench_ledger, without="formula-in-cell")  # the remote engine sends no formulas
    painted = fills(out, "工作台账")
    flagged = {c: ("FFC7CE" if s == "error" else "FFEB9C") for c, s in expected.items()}
    assert {c: painted.get(c) for c in flagged} == flagged
    writes, cells = fill_actions(actions)
    assert cells == counts["cells"] == len(flagged)
    assert writes == counts["writes"]
    if client == "lite":  # colour matrices: far more than 20 cells a write
        assert cells / writes >= 20, (cells, writes)
    else:  # xlwings Server's client paints rectangles only: one write per area, never one per finding
        assert writes <= cells
    assert not [a for a in actions if a["func"] == "addHyperlink"]  # links travel with the report block
    report_writes = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] != 0]
    assert len(report_writes) == 2  # the report and the hidden marks sheet, one block each


def test_formula_in_cell_is_marked_like_the_cli_when_the_engine_offers_formulas(xw, tmp_path, bench_ledger, monkeypatch):
    """Desktop Excel (COM) gives every formula of the used range in one call; the remote engine
    keeps them out of its payload. Here the remote Range answers `.formula` as COM does, from the
    file's own formulas, and the add-in then finds exactly the CLI's cells, formula-in-cell included."""
    import openpyxl
    from xlwings.pro import _xlremote

    ws = openpyxl.load_workbook(bench_ledger)["工作台账"]
    formulas = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")}
    assert formulas  # the bench ledger has formula faults

    def com_formula(self):
        (r0, c0), (r1, c1) = self.arg1, self.arg2 or self.arg1
        return tuple(tuple(formulas.get((r, c), "") for c in range(c0, c1 + 1)) for r in range(r0, r1 + 1))

    monkeypatch.setattr(_xlremote.Range, "formula", property(com_formula))
    from taizhang import addin

    book = xw.Book(json=payload_from_xlsx(bench_ledger, client="lite"))
    counts = addin.run("validate", book)
    out = tmp_path / "v.xlsx"
    apply_actions(bench_ledger, book.json(), out, client="lite")
    expected = cli_cells(bench_ledger)
    painted = fills(out, "工作台账")
    assert set(painted) >= set(expected) and counts["cells"] == len(expected)
    report = openpyxl.load_workbook(out)["校验结果"]
    codes = {(r[4].value, r[0].value.split('"')[-2]) for r in report.iter_rows(min_row=2)}
    from taizhang.validator.validate import Options, validate_file

    cli = {(f.code, f.cell) for f in validate_file(bench_ledger, Options()).findings}
    assert codes == cli and any(code == "formula-in-cell" for code, _ in codes)
    # the formula a finding quotes is shown as text, never run inside the report
    shown = [r[2].value for r in report.iter_rows(min_row=2) if r[4].value == "formula-in-cell"]
    assert shown and all(v.startswith("'=") for v in shown)


def test_clear_restores_the_recorded_fills_grouped_by_colour(xw, tmp_path):
    """The marks sheet keeps each cell's fill from before 校验 (desktop Excel reads them); clear puts
    each colour back in one write per colour group."""
    marked = tmp_path / "m.xlsx"
    click(xw, "validate", EX000, marked, client="lite")
    wb = openpyxl.load_workbook(marked)
    marks = wb["_taizhang_marks"]
    marks.delete_rows(2, marks.max_row)  # as desktop Excel records them: by the fill each cell had
    for row in (["工作台账", "H11:I11", "#FFFF00", "", ""], ["工作台账", "H13", "#00B0F0", "", ""],
                ["工作台账", "I13", "", "", ""], ["工作台账", "H11", "#FFFF00", "", "是"]):
        marks.append(row)
    wb.save(marked)
    from taizhang import addin

    book = xw.Book(json=payload_from_xlsx(marked, client="lite"))
    assert addin.run("clear", book) == 4
    actions = book.json()["actions"]
    cleared = tmp_path / "c.xlsx"
    apply_actions(marked, actions, cleared, client="lite")
    after = fills(cleared)
    assert (after.get("H11"), after.get("I11"), after.get("H13"), after.get("I13")) == ("FFFF00", "FFFF00", "00B0F0", None)
    assert fill_actions(actions)[0] == 1  # one colour matrix holds all four restores


def test_caller_resolves_the_clicked_book_not_the_active_one(xw):
    """Book.caller() (RunPython's --wb/--hwnd) wins over xw.books.active; without a caller, active."""
    from taizhang.addin import calling_book

    clicked = xw.Book(json=payload_from_xlsx(EX000, client="officejs"))
    xw.Book(json=payload_from_xlsx(EX003, client="officejs"))  # opened later
    assert calling_book(xw) is None  # no caller, and no interactive Excel on Linux for xw.books.active
    clicked.set_mock_caller()  # what RunPython's --wb/--hwnd give Book.caller() on Windows
    try:
        assert calling_book(xw).name == EX000.name
    finally:
        del xw.Book._mock_caller


def test_each_click_logs_one_line_without_cell_contents(xw, tmp_path):
    click(xw, "validate", EX000, tmp_path / "v.xlsx")
    click(xw, "clear", tmp_path / "v.xlsx", tmp_path / "c.xlsx")
    log = (tmp_path / "LocalAppData" / "taizhang" / "logs" / "addin.log").read_text(encoding="utf-8")
    lines = log.splitlines()
    assert len(lines) == 2
    assert "action=validate ok" in lines[0] and "errors=4" in lines[0] and "engine=plain" in lines[0]
    assert "action=clear ok" in lines[1]
    for secret in ("马新光", "孙克", "H11", "工作台账", "联系人"):
        assert secret not in log


class _GridService:
    """`taizhang serve`'s grid endpoint as the contract states it, over real HTTP on a free port."""

    def __init__(self):
        import http.server
        import json
        import threading

        from taizhang.validator.grid import validate_grid
        from taizhang.validator.validate import Options

        self.calls = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                outer.calls += 1
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                result, plan = validate_grid(request, Options())
                body = json.dumps({"file": result.to_dict(), "marks": plan.to_dict() if plan else None}).encode()
                self.send_response(200 if self.path == "/api/v1/grid/validate" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_buttons_use_the_warm_service_and_fall_back_when_it_does_not_answer(xw, tmp_path, monkeypatch):
    from taizhang import addin

    service = _GridService()
    try:
        monkeypatch.setenv("TAIZHANG_SERVICE", service.url)
        book = xw.Book(json=payload_from_xlsx(EX000, client="officejs"))
        warm = addin.run("validate", book)
        apply_actions(EX000, book.json(), tmp_path / "warm.xlsx")
        assert service.calls == 1 and warm["via"] == "warm"
    finally:
        service.close()
    monkeypatch.setenv("TAIZHANG_SERVICE", service.url)  # now nothing listens there
    book = xw.Book(json=payload_from_xlsx(EX000, client="officejs"))
    cold = addin.run("validate", book)
    apply_actions(EX000, book.json(), tmp_path / "local.xlsx")
    assert cold["via"] == "local" and {k: v for k, v in cold.items() if k != "via"} == \
        {k: v for k, v in warm.items() if k != "via"}
    assert fills(tmp_path / "warm.xlsx") == fills(tmp_path / "local.xlsx")
    assert set(fills(tmp_path / "warm.xlsx")) >= {"H11", "I11", "H13", "I13"}


def test_report_links_show_their_cells_when_another_program_opens_the_workbook(xw, tmp_path):
    """The HYPERLINK formulas of 校验结果 compute to the cell names in LibreOffice, as in Excel."""
    import lo

    out = tmp_path / "validated.xlsx"
    click(xw, "validate", EX000, out)
    report_only = openpyxl.load_workbook(out)
    for name in report_only.sheetnames:
        if name != "校验结果":
            del report_only[name]
    report_only.save(tmp_path / "report.xlsx")
    text = lo.pdf_text(lo.to_pdf(tmp_path / "report.xlsx", tmp_path))
    import re

    cells = [line.split()[0] for line in text.splitlines() if re.match(r"\s*[A-Z]+\d+\s", line)]
    assert cells == ["H11", "I11", "H13", "I13"] and "HYPERLINK" not in text
