"""A workbook as a spreadsheet host holds it, as JSON: what the JS clients' recording mocks load.

The WPS (ET) and Office.js mocks in addin/js/test are filled from this dump, so a Node test runs
the real client against the cells of a real .xlsx: values as the hosts' bulk reads give them
(Value2 / Office.js `values`: dates are serial numbers under a date number format), formulas,
number formats, merged areas, fills and notes.  `state_of_dump` reads back what a client painted.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

_EPOCH = dt.datetime(1899, 12, 30)


def _serial(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value - _EPOCH).total_seconds() / 86400
    if isinstance(value, dt.date):
        return (dt.datetime(value.year, value.month, value.day) - _EPOCH).days
    if isinstance(value, dt.time):
        return (value.hour * 3600 + value.minute * 60 + value.second) / 86400
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    return value


def _fill(cell: Any) -> str | None:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    rgb = fill.fgColor.rgb
    return "#" + rgb[-6:].upper() if isinstance(rgb, str) else None


def dump_workbook(path: str | Path, active: int = 0) -> dict[str, Any]:
    """The workbook at `path` as the mocks' JSON: {name, active, sheets: [{name, visible, merged, cells}]}."""
    from openpyxl import load_workbook

    path = Path(path)
    wb, cached = load_workbook(path), load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        values = cached[ws.title]
        cells: dict[str, dict[str, Any]] = {}
        for row in ws.iter_rows():
            for c in row:
                entry: dict[str, Any] = {}
                if isinstance(c.value, str) and c.value.startswith("="):
                    entry["f"] = c.value
                    v = values[c.coordinate].value
                else:
                    v = c.value
                if v is not None:
                    entry["v"] = _serial(v)
                if c.number_format and c.number_format != "General":
                    entry["nf"] = c.number_format
                if (fill := _fill(c)) is not None:
                    entry["fill"] = fill
                if c.comment is not None:
                    entry["note"] = c.comment.text
                if entry:
                    cells[c.coordinate] = entry
        sheets.append({"name": ws.title, "visible": ws.sheet_state == "visible",
                       "merged": [str(r) for r in ws.merged_cells.ranges], "cells": cells})
    return {"name": path.name, "active": active, "sheets": sheets}


def write_dump(path: str | Path, out: str | Path) -> Path:
    out = Path(out)
    out.write_text(json.dumps(dump_workbook(path), ensure_ascii=False), encoding="utf-8")
    return out


def marks_of_xlsx(path: str | Path, sheet: str) -> tuple[dict[str, str], dict[str, str]]:
    """(fills, notes) of one sheet of an .xlsx: {cell: "#RRGGBB"}, {cell: text}."""
    from openpyxl import load_workbook

    ws = load_workbook(path)[sheet]
    fills, notes = {}, {}
    for row in ws.iter_rows():
        for c in row:
            if (fill := _fill(c)) is not None:
                fills[c.coordinate] = fill
            if c.comment is not None:
                notes[c.coordinate] = c.comment.text
    return fills, notes
