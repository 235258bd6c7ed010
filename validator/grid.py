"""Validate a sheet as a spreadsheet client reads it: a grid of values, not a file.

The xlwings add-in, the WPS and Office.js clients all read the used range in one bulk call and
have no file on disk; the service's grid endpoint and the add-in call `validate_grid` with what
they read and get back the same findings as `taizhang validate`, plus the marks plan to paint.

The request (JSON, the contract every client writes):

    {"sheet": "工作台账",            the sheet's name
     "top_left": "A1",               address of values[0][0] (the used range's first cell)
     "values": [[...], ...],         rows of str / number / bool / null
     "number_formats": [[...]],      optional, same shape: a number under a date format is a date
     "formulas": [[...]],            optional, same shape: cells whose text starts with "=" hold formulas
     "merged": ["A3:A5", ...],       optional merged areas (absolute A1 ranges)
     "file_name": "x.xlsx",          optional: the workbook's name (a year hint, and for messages)
     "meta_rows": [[key, value]]}    optional: the rows of the workbook's `_taizhang` sheet

Dates arrive as serial numbers (Excel's 1900 system) with a date number format, as Value2 and
Office.js `values` give them, or as ISO strings ("2019-06-30T00:00:00", or with xlwings' Office.js
"Z": "2019-06-30T00:00:00.000Z"); a Python caller may pass date / datetime objects.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

from .filecheck import ReadError
from .findings import Lang
from .marks import MarksPlan, plan_marks, split_a1
from .validate import FileResult, Options, resolve_type, validate_ledger

MAX_CELLS = 5_000_000  # about 250k rows of a 20-column ledger; larger grids are refused
_EPOCH = _dt.datetime(1899, 12, 30)
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$")


class GridError(ValueError):
    """The request itself is malformed (not a sheet's content): a client bug or a hostile call."""

    def __init__(self, zh: str, en: str):
        super().__init__(zh)
        self.zh, self.en = zh, en

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en


def is_date_format(fmt: Any) -> bool:
    """True for number formats that show a date (yyyy"年"m"月"d"日", m/d/yy, [$-F800]dddd…)."""
    if not isinstance(fmt, str) or not fmt or fmt.lower() in ("general", "@"):
        return False
    bare = _QUOTED.sub("", fmt.split(";")[0]).lower()
    return "y" in bare or "d" in bare or ("m" in bare and "h" not in bare and "s" not in bare)


def _cell_value(value: Any, fmt: Any) -> Any:
    """One cell as read_grid wants it; called for every cell of the sheet, so the common cases go first."""
    kind = type(value)
    if kind is str:
        if len(value) >= 10 and value[4:5] == "-" and value[:1].isdigit() and _ISO.match(value):
            moment = _dt.datetime.fromisoformat(value.rstrip("Z"))
            return moment.date() if moment.time() == _dt.time() else moment
        return value
    if value is None:
        return ""
    if kind is bool:
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if fmt and is_date_format(fmt) and 0 < value < 2958466:
            moment = _EPOCH + _dt.timedelta(days=float(value))
            return moment.date() if moment.time() == _dt.time() else moment
        return value
    if isinstance(value, _dt.datetime):  # a Python client (the add-in) passes the dates it read
        return value.date() if value.time() == _dt.time() else value
    if isinstance(value, _dt.date):
        return value
    raise GridError(f"单元格的值类型不受支持（{type(value).__name__}）", f"unsupported cell value type {type(value).__name__}")


def _rectangle(request: dict[str, Any], key: str, rows: int) -> list[list[Any]] | None:
    block = request.get(key)
    if block is None:
        return None
    if not isinstance(block, list) or len(block) != rows or not all(isinstance(r, list) for r in block):
        raise GridError(f"「{key}」必须与 values 同样大小", f"'{key}' must have the same shape as values")
    return block


def grid_from_request(request: dict[str, Any]) -> tuple[list[list[Any]], list, dict[tuple[int, int], str]]:
    """The sheet as read_grid wants it: a rectangle from A1, merged ranges 0-based, formulas."""
    values = request.get("values")
    if not isinstance(values, list) or not all(isinstance(r, list) for r in values):
        raise GridError("请求中缺少 values（二维数组）", "the request has no 'values' (a list of rows)")
    if sum(len(r) for r in values) > MAX_CELLS:
        raise GridError(f"表格过大（超过 {MAX_CELLS:,} 个单元格）", f"the sheet is too large (over {MAX_CELLS:,} cells)")
    try:
        top, left = split_a1(str(request.get("top_left") or "A1"))
    except ValueError:
        raise GridError("top_left 不是有效的单元格地址", "'top_left' is not an A1 address") from None
    formats = _rectangle(request, "number_formats", len(values))
    formula_rows = _rectangle(request, "formulas", len(values))
    width = left - 1 + max((len(r) for r in values), default=0)
    grid = [[""] * width for _ in range(top - 1)]
    for i, row in enumerate(values):
        fmts = formats[i] if formats else ()
        if fmts:
            cells = [_cell_value(v, fmts[j] if j < len(fmts) else None) for j, v in enumerate(row)]
        else:
            cells = [_cell_value(v, None) for v in row]
        grid.append([""] * (left - 1) + cells + [""] * (width - left + 1 - len(cells)))
    merged = []
    for area in request.get("merged") or ():
        a, _, b = str(area).replace("$", "").partition(":")
        try:
            (r0, c0), (r1, c1) = split_a1(a), split_a1(b or a)
        except ValueError:
            raise GridError(f"合并区域「{area}」不是有效地址", f"merged area '{area}' is not an A1 range") from None
        merged.append(((r0 - 1, c0 - 1), (r1 - 1, c1 - 1)))
    formulas = {}
    for i, row in enumerate(formula_rows or ()):
        for j, f in enumerate(row):
            if isinstance(f, str) and f.startswith("=") and len(f) > 1:
                formulas[(top + i, left + j)] = f
    return grid, merged, formulas


def validate_grid(request: dict[str, Any], options: Options, lang: Lang = "zh") -> tuple[FileResult, MarksPlan | None]:
    """Findings for a grid, as validate_file gives them for a file, and the marks to paint.

    Raises GridError for a malformed request; a sheet with no ledger header comes back as a
    FileResult with `error` set, like an unreadable file.
    """
    result, plan, _ledger = validate_grid_ledger(request, options, lang)
    return result, plan


def validate_grid_ledger(request: dict[str, Any], options: Options,
                         lang: Lang = "zh") -> tuple[FileResult, MarksPlan | None, Any]:
    """validate_grid, plus the Ledger it read (None when none): for callers that describe its columns."""
    from .gc_pause import collector_paused
    from .validate import load_engine

    load_engine()  # once per process; what it loads is kept out of the collector's passes
    with collector_paused():  # reading and checking a grid make no cycles (~0.25 s of a 20k click)
        return _validate_grid_ledger(request, options, lang)


def _validate_grid_ledger(request: dict[str, Any], options: Options,
                          lang: Lang) -> tuple[FileResult, MarksPlan | None, Any]:
    from .reader import metadata_from_rows, read_grid

    sheet = str(request.get("sheet") or "Sheet1")
    name = Path(str(request.get("file_name") or f"{sheet}.xlsx")).name  # a hint, never a path we open
    grid, merged, formulas = grid_from_request(request)
    meta_rows = request.get("meta_rows") or []
    metadata = metadata_from_rows(meta_rows) if isinstance(meta_rows, list) else {}
    result = FileResult(path=Path(name), sheet=sheet)
    try:
        ledger = read_grid(grid, sheet=sheet, path=Path(name), ledger_type=resolve_type(options), merged=merged,
                           metadata=metadata)
    except ReadError as exc:
        result.error = exc
        return result, None, None
    if ledger is None:
        result.error = ReadError("header-not-found", f"工作表「{sheet}」中找不到台账表头（如 序号、改革事项、责任单位、完成时限）",
                                 f"no ledger header (序号, 改革事项, 责任单位, 完成时限 ...) found in sheet '{sheet}'")
        return result, None, None
    ledger.formulas = formulas
    result.ledger_type, result.type_detected = ledger.ledger_type.name, ledger.type_detected
    result.header_row, result.rows = ledger.header_row, len(ledger)
    result.findings, result.year = validate_ledger(ledger, options)
    return result, plan_marks(result.findings, sheet, lang), ledger
