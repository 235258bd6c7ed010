"""The test tooling for the add-in: xlsx -> payload -> xw.Book(json=...) -> actions -> xlsx.

Uses xlwings' remote engine, which needs ``XLWINGS_LICENSE_KEY`` (``noncommercial``)
to be set; ``import_xlwings_remote`` copes with xlwings having been imported earlier
without it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from xlwings_actions import (
    Alert,
    ClientActionError,
    UnsupportedActionError,
    apply_actions,
)
from xlwings_payload import Client, import_xlwings_remote, payload_from_xlsx

pytest.importorskip("xlwings")

JAN = dt.datetime(2024, 1, 31)
FEB = dt.datetime(2024, 2, 29, 13, 45)
ROWS = [
    ["单位", "金额", "日期", "备注"],
    ["北京分公司", 1200.5, JAN, None],
    ["上海分公司", 800, FEB, "已核实"],
]


@pytest.fixture
def xw(monkeypatch: pytest.MonkeyPatch) -> Any:
    # Before any xlwings import: the remote engine registers only if the key is visible.
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    return import_xlwings_remote()


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    for row in ROWS:
        ws.append(row)
    table = Table(displayName="T_LEDGER", ref="A1:D3")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
    ws.add_table(table)
    wb.defined_names["AMOUNTS"] = DefinedName("AMOUNTS", attr_text="'台账'!$B$2:$B$3")
    notes = wb.create_sheet("说明")
    notes["A1"] = "填报说明：金额单位为元"
    path = tmp_path / "台账.xlsx"
    wb.save(path)
    return path


# --------------------------------------------------------------------------- payload


def test_officejs_payload_matches_the_client_format(ledger: Path) -> None:
    payload = payload_from_xlsx(ledger)
    assert payload["client"] == "Office.js"
    assert payload["book"] == {"name": "台账.xlsx", "active_sheet_index": 0, "selection": "A1"}
    sheet = payload["sheets"][0]
    assert set(sheet) == {"name", "values", "pictures", "tables"}
    assert sheet["values"][1] == ["北京分公司", 1200.5, "2024-01-31T00:00:00.000Z", ""]
    assert sheet["values"][2][2] == "2024-02-29T13:45:00.000Z"
    assert sheet["tables"][0]["range_address"] == "A1:D3"
    assert sheet["tables"][0]["data_body_range_address"] == "A2:D3"
    assert payload["names"] == [
        {
            "name": "AMOUNTS",
            "sheet_index": 0,
            "address": "B2:B3",
            "book_scope": True,
            "scope_sheet_name": None,
            "scope_sheet_index": None,
        }
    ]
    assert payload["sheets"][1]["values"] == [["填报说明：金额单位为元"]]


def test_vba_payload_uses_nulls_absolute_addresses_and_exact_version(ledger: Path) -> None:
    import importlib.metadata

    payload = payload_from_xlsx(ledger, client="vba", active_sheet=1)
    assert payload["client"] == "VBA"
    assert payload["version"] == importlib.metadata.version("xlwings")
    assert payload["book"]["active_sheet_index"] == 1
    assert payload["sheets"][0]["values"][1][3] is None
    assert payload["sheets"][0]["tables"][0]["range_address"] == "$A$1:$D$3"


@pytest.mark.parametrize("client", ["officejs", "vba", "lite"])
def test_book_reads_back_the_workbook(xw: Any, ledger: Path, client: Client) -> None:
    book = xw.Book(json=payload_from_xlsx(ledger, client=client))
    assert book.name == "台账.xlsx"
    assert [s.name for s in book.sheets] == ["台账", "说明"]
    assert book.sheets[0]["A1:D3"].value == [ROWS[0], ROWS[1], ROWS[2]]
    assert book.sheets["台账"]["B2"].value == 1200.5
    assert book.sheets[0]["C2"].value == JAN
    assert book.names["AMOUNTS"].refers_to_range.value == [1200.5, 800]
    assert book.sheets[0].tables["T_LEDGER"].data_body_range.value[1][0] == "上海分公司"
    assert book.sheets[0].used_range.options("df", index=False).value["金额"].sum() == 2000.5


# --------------------------------------------------------------------------- actions


def _write_report(book: Any, *, bold: bool) -> None:
    """What an add-in command typically does: values, highlight, report sheet, link, alert."""
    sheet = book.sheets["台账"]
    sheet["A5"].value = [["合计", 2000.5, dt.datetime(2024, 3, 1)]]
    sheet["B2"].color = "#FFC7CE"
    report = book.sheets.add("校验报告", after=book.sheets[-1])
    report["A1"].value = [["问题", "位置"], ["备注为空", "D2"]]
    report["A1:B1"].color = (221, 235, 247)
    report["B2"].number_format = "@"
    if bold:
        report["A1:B1"].font.bold = True
    report["A1:B1"].autofit()
    report["C2"].add_hyperlink("https://www.gov.cn/", "规则说明", "打开校验规则")
    book.app.alert("发现 1 个问题", title="台账校验", mode="info")


def test_officejs_roundtrip_through_the_book_api(xw: Any, ledger: Path, tmp_path: Path) -> None:
    book = xw.Book(json=payload_from_xlsx(ledger))
    _write_report(book, bold=True)
    actions = book.json()["actions"]
    assert {a["func"] for a in actions} >= {"setValues", "setRangeColor", "addSheet", "addHyperlink", "alert"}

    out = tmp_path / "out.xlsx"
    result = apply_actions(ledger, actions, out, client="officejs")
    assert result.alerts == [Alert("发现 1 个问题", "台账校验", "ok", "info", "")]
    assert result.applied == [a["func"] for a in actions]
    assert result.autofits == [("校验报告", "columns"), ("校验报告", "rows")]

    wb = load_workbook(out)
    assert wb.sheetnames == ["台账", "说明", "校验报告"]
    ws = wb["台账"]
    assert [c.value for c in ws[5][:3]] == ["合计", 2000.5, dt.datetime(2024, 3, 1)]
    assert ws["B2"].fill.fgColor.rgb == "FFFFC7CE"
    assert ws["B3"].fill.fill_type is None
    assert ws["A2"].value == "北京分公司"  # untouched cells survive
    report = wb["校验报告"]
    assert [[c.value for c in row] for row in report["A1:B2"]] == [["问题", "位置"], ["备注为空", "D2"]]
    assert report["A1"].fill.fgColor.rgb == "FFDDEBF7"
    assert report["A1"].font.b and report["B1"].font.b
    assert report["B2"].number_format == "@"
    assert report["C2"].value == "规则说明"
    assert report["C2"].hyperlink.target == "https://www.gov.cn/"
    assert report["C2"].hyperlink.tooltip == "打开校验规则"


def test_vba_client_replays_its_actions_and_refuses_font_changes(xw: Any, ledger: Path, tmp_path: Path) -> None:
    book = xw.Book(json=payload_from_xlsx(ledger, client="vba"))
    _write_report(book, bold=False)
    out = tmp_path / "vba.xlsx"
    apply_actions(ledger, book.json(), out, client="vba")
    assert load_workbook(out)["台账"]["B2"].fill.fgColor.rgb == "FFFFC7CE"

    book = xw.Book(json=payload_from_xlsx(ledger, client="vba"))
    book.sheets[0]["A1"].font.bold = True  # setFontProperty: Office.js only
    with pytest.raises(ClientActionError, match=r"setFontProperty.*vba"):
        apply_actions(ledger, book.json(), tmp_path / "never.xlsx", client="vba")
    assert not (tmp_path / "never.xlsx").exists()


def test_notes_are_rejected_for_the_server_clients(xw: Any, ledger: Path, tmp_path: Path) -> None:
    # xlwings itself refuses notes on an xlwings Server payload ...
    book = xw.Book(json=payload_from_xlsx(ledger, client="officejs"))
    with pytest.raises(NotImplementedError):
        book.sheets[0]["D2"].add_note("备注为空")
    # ... and with a Lite payload it emits addNote, which only Lite can execute.
    book = xw.Book(json=payload_from_xlsx(ledger, client="lite"))
    book.sheets[0]["D2"].add_note("备注为空")
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["addNote"]
    server_clients: list[Client] = ["officejs", "vba"]
    for client in server_clients:
        with pytest.raises(ClientActionError) as excinfo:
            apply_actions(ledger, actions, tmp_path / f"{client}.xlsx", client=client)
        assert "addNote" in str(excinfo.value) and client in str(excinfo.value)
    out = tmp_path / "lite.xlsx"
    apply_actions(ledger, actions, out, client="lite")
    assert load_workbook(out)["台账"]["D2"].comment.text == "备注为空"


def test_unknown_and_unimplemented_actions_raise(ledger: Path, tmp_path: Path) -> None:
    action: dict[str, Any] = {
        "func": "launchRocket",
        "args": [],
        "values": None,
        "sheet_position": 0,
        "start_row": 0,
        "start_column": 0,
        "row_count": 1,
        "column_count": 1,
    }
    with pytest.raises(UnsupportedActionError, match="launchRocket"):
        apply_actions(ledger, [action], tmp_path / "x.xlsx", client="lite")
    with pytest.raises(UnsupportedActionError, match=r"addPicture.*not implemented"):
        apply_actions(ledger, [{**action, "func": "addPicture"}], tmp_path / "x.xlsx", client="officejs")


def test_sheet_level_actions(xw: Any, ledger: Path, tmp_path: Path) -> None:
    book = xw.Book(json=payload_from_xlsx(ledger))
    book.sheets["说明"].name = "填报说明"
    book.sheets["填报说明"].clear_contents()
    book.sheets[0].activate()
    book.sheets[0]["A1:D1"].clear_contents()
    out = tmp_path / "sheets.xlsx"
    apply_actions(ledger, book.json(), out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["台账", "填报说明"]
    assert wb["填报说明"]["A1"].value is None
    assert wb["台账"]["A1"].value is None and wb["台账"]["A2"].value == "北京分公司"
    assert wb.active.title == "台账"
