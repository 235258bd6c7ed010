"""The roll-up workbook's cell styles, and writing a cell: through xlsxwriter, or into xlsx_rows.

One xlsxwriter format per style, made once per workbook (a format per cell would make the
workbook's style table as long as the sheet). `_Writer` writes values as data in those styles;
once `body` has been called for a sheet (fast path), its rows go to a SheetRows instead of
xlsxwriter, and `rows` may have a forked process write them.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Callable, Sequence

from .rollup import STATUS_LABELS, STATUSES
from .xlsx_out import _ILLEGAL

STATUS_ZH = STATUS_LABELS["zh"]
# Fills people read at a glance: green done, blue in progress, grey not started, amber ongoing.
STATUS_COLOURS = {"done": "70AD47", "in_progress": "4472C4", "not_started": "A5A5A5", "ongoing": "FFC000"}
STATUS_FILLS = {"done": "E2EFDA", "in_progress": "DDEBF7", "not_started": "EDEDED", "ongoing": "FFF2CC"}
OVERDUE_COLOUR = "C00000"
HEADER_FILL = "1F4E78"
# Named on every font: a font without a name falls back to a serif face in LibreOffice, and
# Chinese Excel shows Calibri's Latin glyphs with its own East Asian font for the Chinese.
FONT = "Calibri"

TEXT, CENTRE, HEADER, LINK, DATE, LATE, PERCENT, CHANGE = (
    "台账·文字", "台账·居中", "台账·表头", "台账·链接", "台账·日期", "台账·逾期", "台账·百分比", "台账·增减")
TOTAL_TEXT, TOTAL, TOTAL_PERCENT, TOTAL_CHANGE = "台账·合计", "台账·合计数", "台账·合计百分比", "台账·合计增减"
STATUS_STYLE = {s: f"台账·{STATUS_ZH[s]}" for s in STATUSES}
MISSING = "台账·待填"  # a contact or phone to chase: red italic in a text cell
_WRAPPED = (TEXT, MISSING)  # the styles whose text a row's height is made for
TITLE, SUBTITLE, NOTE, BOLD = "标题", "副标题", "注", "粗体"
MAX_LINKS = 65_530  # Excel's limit of hyperlinks per worksheet; later rows show the text only
MAX_URL = 2079  # xlsxwriter's limit (UTF-16 units) on a link's address and on its location


def _style_specs() -> dict[str, dict[str, Any]]:
    grid = {"border": 1, "border_color": "#808080", "font_name": FONT, "font_size": 11}
    left = {**grid, "text_wrap": True, "valign": "vcenter"}
    centre = {**grid, "align": "center", "valign": "vcenter", "text_wrap": True}
    total = {"bold": True, "bg_color": "#F2F2F2", "pattern": 1}
    specs = {
        TEXT: left, CENTRE: centre,
        HEADER: {**centre, "bold": True, "font_color": "#FFFFFF", "bg_color": f"#{HEADER_FILL}", "pattern": 1},
        LINK: {**centre, "font_color": "#0563C1", "underline": 1},
        DATE: {**centre, "num_format": "yyyy-mm-dd"},
        LATE: {**centre, "bold": True, "font_color": f"#{OVERDUE_COLOUR}"},
        PERCENT: {**centre, "num_format": "0%"},
        CHANGE: {**centre, "num_format": "+0;-0;0"},
        TOTAL_TEXT: {**left, **total}, TOTAL: {**centre, **total},
        TOTAL_PERCENT: {**centre, **total, "num_format": "0%"},
        TOTAL_CHANGE: {**centre, **total, "num_format": "+0;-0;0"},
        MISSING: {**left, "italic": True, "font_color": f"#{OVERDUE_COLOUR}"},
        TITLE: {"font_name": FONT, "bold": True, "font_size": 16},
        SUBTITLE: {"font_name": FONT, "font_size": 10, "font_color": "#404040", "text_wrap": True, "valign": "vcenter"},
        NOTE: {"font_name": FONT, "font_size": 9, "italic": True, "font_color": "#595959"},
        BOLD: {"font_name": FONT, "bold": True},
    }
    for status, name in STATUS_STYLE.items():
        specs[name] = {**centre, "bg_color": f"#{STATUS_FILLS[status]}", "pattern": 1}
    return specs


class _Writer:
    """The workbook's formats, and writing a value as data in one of them: through xlsxwriter, or
    (fast) into the sheet's SheetRows once `body` has been called for it."""

    def __init__(self, wb: Any, fast: bool = False) -> None:
        self.wb = wb
        self.formats = {name: wb.add_format(spec) for name, spec in _style_specs().items()}
        for fmt in self.formats.values():
            # every style takes its index now, in this order, whichever path writes the cells: the
            # fast one writes cells xlsxwriter never sees, and both must make the same styles part
            fmt._get_xf_index()
        self.fast = fast
        self.bodies: dict[str, Any] = {}  # sheet name -> SheetRows, fast path only
        self.elsewhere: list[Any] = []  # bodies being written in forked processes
        self.links: dict[str, int] = {}

    def body(self, ws: Any) -> None:
        """The rows of `ws` written from here on are its table body: in the fast path they are
        written by xlsx_rows (the part above, with merged headings, stays xlsxwriter's)."""
        if self.fast:
            from .xlsx_rows import SheetRows

            self.bodies[ws.name] = SheetRows(lambda style: self.formats[style]._get_xf_index(), _ILLEGAL)

    def rows(self, ws: Any, fill: Callable[[], None]) -> None:
        """Call `fill()`, which writes the table body of `ws` and nothing else; in the fast path on
        a machine with more than one core, in a forked process while this one goes on."""
        from .xlsx_rows import Elsewhere, can_fork

        rows = self.bodies.get(ws.name)
        if rows is not None and can_fork():
            try:
                self.elsewhere.append(Elsewhere(rows, fill))
                return
            except OSError:  # fork refused (no memory, no process left): written here instead
                pass
        fill()

    def set_row(self, ws: Any, row: int, height: float) -> None:
        rows = self.bodies.get(ws.name)
        if rows is None:
            ws.set_row(row, height)
        else:
            rows.set_row(row, height)

    def write(self, ws: Any, row: int, col: int, value: Any, style: str | None) -> None:
        """Values from the ledger as data: text stays text (also "=..."), control characters are
        dropped, whole floats become integers, dates become date cells. 0-based row and col."""
        rows = self.bodies.get(ws.name)
        if rows is not None:
            rows.write(row, col, value, style or None)
            return
        fmt = self.formats[style] if style else None
        if value is None:
            if fmt is not None:
                ws.write_blank(row, col, None, fmt)
            return
        value = _cell_value(value)
        if isinstance(value, str):
            ws.write_string(row, col, value, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, (dt.date, dt.datetime)):
            ws.write_datetime(row, col, value, fmt)
        else:
            ws.write_number(row, col, value, fmt)

    def write_row(self, ws: Any, row: int, values: Sequence[object], styles: Sequence[str]) -> None:
        """Cells from column A, a style each. 0-based row."""
        rows = self.bodies.get(ws.name)
        if rows is None:
            for col, (value, style) in enumerate(zip(values, styles)):
                self.write(ws, row, col, value, style)
        else:  # values as they are: SheetRows strips text, and writes 3.0 as xlsxwriter writes 3
            rows.write_row(row, values, styles)

    def link(self, ws: Any, row: int, col: int, text: str, target: str, sheet: str, master_row: int) -> None:
        """Link to row `master_row` of the master: the file as target, the row's first cell as location."""
        count = self.links.get(ws.name, 0)
        location = f"'{sheet.replace(chr(39), chr(39) * 2)}'!A{master_row}"
        external = _external_link(target)
        if count >= MAX_LINKS or external is None or _too_long(external[1] + location):
            self.write(ws, row, col, text, CENTRE)  # Excel keeps no more links, or none this long
            return
        self.links[ws.name] = count + 1
        tip = f"打开台账第 {master_row} 行"
        rows = self.bodies.get(ws.name)
        if rows is None:
            ws.write_url(row, col, f"external:{target}#{location}", self.formats[LINK], text, tip)
        else:
            rel_target, anchor = external
            rows.link(row, col, text, LINK, rel_target, anchor + location.replace("/", "\\"), tip)


def _cell_value(value: Any) -> Any:
    """Text without the control characters XML cannot hold; a whole float as an integer."""
    if isinstance(value, str):
        return _ILLEGAL.sub("", value) if _ILLEGAL.search(value) else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


@lru_cache(maxsize=16)
def _external_link(target: str) -> tuple[str, str] | None:
    """The relationship target of a link to the file `target`, and what its location starts
    with, as xlsxwriter's `Url` makes them from "external:{target}#{location}" (a "#" inside
    the path starts the location; "/" becomes "\\"); None for a path too long for a link."""
    from xlsxwriter.url import Url

    if _too_long(f"external:{target}".partition("#")[0]):
        return None
    url = Url(f"external:{target}#X")
    return url._target(), url._anchor[:-1]


def _too_long(part: str) -> bool:
    """Longer than xlsxwriter takes for the address or the location of a link (UTF-16 units):
    it would write neither the link nor the cell's text."""
    return len(part) > MAX_URL // 2 and len(part.encode("utf-16-le", "surrogatepass")) // 2 > MAX_URL
