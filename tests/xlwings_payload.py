"""Build the ``xw.Book(json=...)`` payload from a real .xlsx, as xlwings' Excel clients do.

xlwings' remote engine (``xlwings/pro/_xlremote.py``) never talks to Excel: the
Excel-side client sends the whole workbook as JSON, Python works on that snapshot,
and ``book.json()["actions"]`` goes back to the client to be replayed.  This module
plays the sending half for tests; ``xlwings_actions.py`` plays the replaying half.

Clients reproduced (``client=``):

``"officejs"``
    xlwings Server's Office.js client (``getBookData``): ``"client": "Office.js"``,
    per sheet only ``name``, ``values``, ``pictures``, ``tables``.  Empty cells are
    ``""``; dates are ``"YYYY-MM-DDTHH:MM:SS.000Z"`` (the ``Z`` is required: the
    engine parses ``fromisoformat(value[:-1])``); addresses carry no ``$``.
``"vba"``
    ``RunRemotePython`` in xlwings' ``Remote.bas``: ``"client": "VBA"``, empty cells
    are ``null`` (VBA ``Empty``), table addresses are absolute (``$A$1:$C$4``), and the
    ``version`` must equal the Python package's or the engine refuses the payload.
``"lite"``
    xlwings Lite's richer Office.js client: the Office.js payload plus the sheet keys
    the engine itself creates for Office.js sheets (``notes``, ``visibility``, ...).
    Only with these keys does ``Range.add_note`` emit ``addNote``.

Values always form a rectangle from A1 to the last used cell, as both clients send
them.  Cells are read with openpyxl ``data_only=True``: formulas contribute their
cached result, which is empty for files never recalculated by Excel.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # openpyxl only when a payload is built: the bench's click process imports just the engine
    from openpyxl.worksheet.worksheet import Worksheet

Client = Literal["officejs", "vba", "lite"]

CLIENT_NAMES: dict[str, str] = {"officejs": "Office.js", "vba": "VBA", "lite": "Office.js"}
#: Excel's day zero for time-only values.
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def import_xlwings_remote() -> Any:
    """Import xlwings and make sure its remote engine is registered.

    xlwings registers the remote engine while ``import xlwings`` runs, and only if a
    license key is visible then (``XLWINGS_LICENSE_KEY=noncommercial`` is enough).  If
    something imported xlwings earlier without the key, the engine is missing; the
    failed ``xlwings.pro`` import is not cached, so it is retried here.  Set the
    environment variable before calling this.
    """
    import xlwings as xw

    if "remote" not in [engine.name for engine in xw.engines]:
        remote = importlib.import_module("xlwings.pro._xlremote")
        xw.engines.add(xw.Engine(impl=remote.engine))
    return xw


def _iso(value: dt.datetime | dt.date | dt.time) -> str:
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=None)
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        moment = dt.datetime.combine(_EXCEL_EPOCH, value)
    return moment.isoformat(timespec="milliseconds") + "Z"


def _json_value(value: Any, empty: Any) -> Any:
    """One cell as the client puts it into JSON."""
    if value is None:
        return empty
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _iso(value)
    if isinstance(value, dt.timedelta):  # durations are plain serial numbers in Excel
        return value.total_seconds() / 86400
    return value


def _sheet_values(ws: Worksheet, empty: Any) -> list[list[Any]]:
    if ws.max_row == 1 and ws.max_column == 1 and ws["A1"].value is None:
        return [[]]
    return [
        [_json_value(v, empty) for v in row]
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, min_col=1, max_col=ws.max_column, values_only=True)
    ]


def _address(ref: str, absolute: bool) -> str:
    """``A1:C4`` in the client's style: Office.js plain, VBA ``Range.Address`` absolute."""
    from openpyxl.utils import get_column_letter, range_boundaries

    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    first = (get_column_letter(min_col), min_row)
    last = (get_column_letter(max_col), max_row)
    dollar = "$" if absolute else ""
    cells = [f"{dollar}{c}{dollar}{r}" for c, r in (first, last)]
    return cells[0] if first == last else f"{cells[0]}:{cells[1]}"


def _tables(ws: Worksheet, absolute: bool) -> list[dict[str, Any]]:
    from openpyxl.utils import get_column_letter, range_boundaries

    tables = []
    for table in ws.tables.values():
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        has_header = table.headerRowCount != 0
        has_totals = bool(table.totalsRowCount)
        left, right = get_column_letter(min_col), get_column_letter(max_col)
        body_first = min_row + (1 if has_header else 0)
        body_last = max_row - (1 if has_totals else 0)
        tables.append(
            {
                "name": table.displayName,
                "range_address": _address(table.ref, absolute),
                "header_row_range_address": (
                    _address(f"{left}{min_row}:{right}{min_row}", absolute) if has_header else None
                ),
                "data_body_range_address": (
                    _address(f"{left}{body_first}:{right}{body_last}", absolute) if body_last >= body_first else None
                ),
                "total_row_range_address": (
                    _address(f"{left}{max_row}:{right}{max_row}", absolute) if has_totals else None
                ),
                "show_headers": has_header,
                "show_totals": has_totals,
                "table_style": table.tableStyleInfo.name if table.tableStyleInfo else None,
                "show_autofilter": table.autoFilter is not None,
            }
        )
    return tables


def _names(wb: Any) -> list[dict[str, Any]]:
    """Defined names that refer to one range (the clients skip constants/formulas)."""
    sheet_names = wb.sheetnames
    scopes: list[tuple[Any, int | None]] = [(wb.defined_names, None)]
    scopes += [(ws.defined_names, ix) for ix, ws in enumerate(wb.worksheets)]
    names = []
    for defined, scope_ix in scopes:
        for name, definition in defined.items():
            destinations = list(definition.destinations)
            if len(destinations) != 1:
                continue
            sheet_title, ref = destinations[0]
            names.append(
                {
                    "name": name,
                    "sheet_index": sheet_names.index(sheet_title),
                    "address": _address(ref, absolute=False),
                    "book_scope": scope_ix is None,
                    "scope_sheet_name": None if scope_ix is None else sheet_names[scope_ix],
                    "scope_sheet_index": scope_ix,
                }
            )
    return names


def _lite_sheet_keys(ws: Worksheet) -> dict[str, Any]:
    """Sheet keys the engine keeps for Office.js sheets beyond what xlwings Server sends."""
    notes = [{"address": cell.coordinate} for row in ws.iter_rows() for cell in row if cell.comment]
    return {
        "visibility": {"visible": "Visible", "hidden": "Hidden"}.get(ws.sheet_state, "VeryHidden"),
        "shapes": [],
        "charts": [],
        "notes": notes,
        "print_area": None,
        "show_gridlines": ws.sheet_view.showGridLines is not False,
        "pivot_tables": [],
    }


def payload_from_xlsx(
    path: str | Path,
    client: Client = "officejs",
    active_sheet: int = 0,
    *,
    selection: str | None = "A1",
    version: str | None = None,
) -> dict[str, Any]:
    """Return the JSON payload the given Excel client would send for the workbook at ``path``."""
    if client not in CLIENT_NAMES:
        raise ValueError(f"unknown client {client!r}; use one of {sorted(CLIENT_NAMES)}")
    from openpyxl import load_workbook

    path = Path(path)
    wb = load_workbook(path, data_only=True)
    if not 0 <= active_sheet < len(wb.worksheets):
        raise IndexError(f"active_sheet {active_sheet} out of range for {len(wb.worksheets)} sheets")
    empty: Any = None if client == "vba" else ""
    sheets = []
    for ws in wb.worksheets:
        sheet: dict[str, Any] = {
            "name": ws.title,
            "values": _sheet_values(ws, empty),
            "pictures": [],  # images are not modelled
            "tables": _tables(ws, absolute=client == "vba"),
        }
        if client == "lite":
            sheet.update(_lite_sheet_keys(ws))
        sheets.append(sheet)
    return {
        "client": CLIENT_NAMES[client],
        "version": version or importlib.metadata.version("xlwings"),
        "book": {"name": path.name, "active_sheet_index": active_sheet, "selection": selection},
        "names": _names(wb),
        "sheets": sheets,
    }
