"""The bodies of large plain tables as SpreadsheetML, spliced into a workbook xlsxwriter wrote.

Why: the roll-up of a 20,000-row ledger has ~490,000 styled cells and ~48,000 links, and
xlsxwriter, pure Python, spends ~8 µs on each cell (dimension checks, a cell tuple, every
attribute escaped and several regexes run on every string, a `Url` object parsed per link): ~5 s
of CPU. The compiled writers on PyPI do not fit (measured: rvgsrust-xlsxwriter, a young
binding of rust_xlsxwriter, still ~3 µs a cell through its per-cell Python calls, and
rustpy-xlsxwriter writes whole columns in one format, not a style per cell).

So xlsxwriter still lays the workbook out (styles, charts, conditional formats, merged
headings, print setup, defined names, the small sheets), and the table bodies are written here
as the same XML xlsxwriter writes in constant_memory mode: inline strings, each distinct
(value, style) escaped once, the row and cell tags joined per row. `splice` puts them into the
sheets xlsxwriter wrote, with their hyperlinks and relationships. tests/test_rollup_fast.py
compares every part of a workbook written this way with xlsxwriter's own output, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable, Sequence

from taizhang.validator.findings import col_letter

__all__ = ["Elsewhere", "SheetRows", "can_fork", "cell_ref", "splice"]

_ESCAPE_OF_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_ATTR_SPECIAL = re.compile('["&<>\n]')
_LEADING_SPACE = re.compile(r"^\s")
_TRAILING_SPACE = re.compile(r"\s$")
_DIMENSION = re.compile(rb'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>')
MAX_STRING = 32767  # Excel's cell limit, in UTF-16 units
DEFAULT_ROW_PX = 20  # xlsxwriter writes no height for a row of the default 15 pt (20 px)
_EPOCH = dt.datetime(1899, 12, 31)
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_CACHED_TEXT = 80  # longer texts (推进情况) rarely repeat: not kept, they would only hold memory
_FLUSH_ROWS = 1024  # rows of XML gathered before they are encoded and written out


def cell_ref(row: int, col: int) -> str:
    """0-based (row, col) as an A1 reference."""
    return f"{col_letter(col + 1)}{row + 1}"


def _text(value: str) -> str:
    """A string cell's content as xlsxwriter writes it inline: cut to Excel's 32,767 UTF-16 units;
    control characters (invalid in XML) as Excel's _xHHHH_ escapes, and a literal _xHHHH_ in the
    text as _x005F_xHHHH_ so that it reads back as itself; then & < > escaped."""
    if len(value) > MAX_STRING // 2 and len(value.encode("utf-16-le", "surrogatepass")) // 2 > MAX_STRING:
        units = 0
        for i, ch in enumerate(value):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > MAX_STRING:
                value = value[:i]
                break
    if "_x" in value:
        value = _ESCAPE_OF_ESCAPE.sub(r"_x005F\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    if "\ufffe" in value or "\uffff" in value:
        value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    space = ' xml:space="preserve"' if _LEADING_SPACE.search(value) or _TRAILING_SPACE.search(value) else ""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f' t="inlineStr"><is><t{space}>{value}</t></is></c>'


def _attr(value: str) -> str:
    """An attribute value escaped as xlsxwriter escapes attributes."""
    if not _ATTR_SPECIAL.search(value):
        return value
    return (value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "&#xA;"))


def _serial(value: dt.date) -> float:
    """A date or naive datetime as Excel's serial number (1900 system, with its phantom 29 Feb 1900)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise TypeError("Excel doesn't support timezones in datetimes")
        delta = value - _EPOCH
    else:
        delta = dt.datetime.fromordinal(value.toordinal()) - _EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    if isinstance(value, dt.datetime) and value.isocalendar() == (1900, 1, 1):
        serial -= 1
    return serial + 1 if serial > 59 else serial


class SheetRows:
    """Rows of one worksheet, in order, as XML in a temporary file; the part above them (title,
    merged headings) is xlsxwriter's. A cell has a value and a style key: `xf(style)` gives the
    style's index in the workbook (fixed before the workbook is closed), None no style. `strip`
    removes characters from text before it is written (the caller's rule, as it would apply
    before xlsxwriter's write_string)."""

    def __init__(self, xf: Callable[[Any], int], strip: re.Pattern[str] | None = None) -> None:
        self._xf = xf
        self._strip = strip
        self._file = tempfile.TemporaryFile()
        self._parts: list[str] = []
        # (value, style) -> what follows '<c r="A1"'; 0, 1, True and False are never kept, since
        # True == 1 would find a number's entry for a boolean, nor long texts
        self._frags: dict[tuple[Any, Any], str] = {(None, None): ""}
        self._styles: dict[Any, str] = {None: ""}
        self._cols = [col_letter(c + 1) for c in range(26)]
        self._row = -1
        self._height: float | None = None
        self._cells: list[tuple[Any, Any]] = []
        self.first_row: int | None = None
        self.first_col: int | None = None
        self.last_row = -1
        self.last_col = -1
        self.links: list[tuple[int, int, str, str, str]] = []  # row, col, target, location, tip
        self.hyperlinks = self.relationships = b""  # the <hyperlinks> element and its .rels part
        self.elsewhere: Elsewhere | None = None  # the forked process writing these rows, if any
        self._done = False

    # ------------------------------------------------------------------ writing

    def set_row(self, row: int, height: float) -> None:
        """The height of `row` in points, before its cells (as xlsxwriter's set_row)."""
        if row != self._row:
            self._move(row)
        self._height = height

    def write_row(self, row: int, values: Sequence[Any], styles: Sequence[Any]) -> None:
        """Cells of `row` from column A, a style each. None with a style is a styled blank, None
        without one no cell. Values: str, int, float, bool, date, datetime."""
        if row != self._row:
            self._move(row)
        if not self._cells:
            self._cells = list(zip(values, styles))
            return
        for col, cell in enumerate(zip(values, styles)):
            self._put(col, cell)

    def write(self, row: int, col: int, value: Any, style: Any) -> None:
        """One cell."""
        if row != self._row:
            self._move(row)
        self._put(col, (value, style))

    def link(self, row: int, col: int, text: str, style: Any, target: str, location: str, tip: str) -> None:
        """A hyperlink cell showing `text`: to the file `target` (the relationship's Target, as
        xlsxwriter makes it), at `location` inside it, with a tooltip."""
        self.write(row, col, text, style)
        self.links.append((row, col, target, location, tip))

    def finish(self) -> None:
        """Write out the last row and lay out the links (or wait for the process writing them);
        nothing can be added after."""
        if self.elsewhere is not None:
            self.elsewhere.join()
        if self._done:
            return
        self._move(1 << 30)
        self._write_out()
        self._file.seek(0)
        if self.links:
            self.hyperlinks, self.relationships = self._hyperlinks()
            self.links = []
        self._done = True

    def state(self) -> tuple:
        """What a finished SheetRows filled in another process sends back (its file is shared)."""
        return (self.first_row, self.first_col, self.last_row, self.last_col, self.hyperlinks, self.relationships)

    def adopt(self, state: tuple) -> None:
        """Take the state of this SheetRows as another process finished it."""
        (self.first_row, self.first_col, self.last_row, self.last_col, self.hyperlinks, self.relationships) = state
        self._parts.clear()
        self.links = []
        self._file.seek(0)
        self._done = True

    # ------------------------------------------------------------------ XML

    def _put(self, col: int, cell: tuple[Any, Any]) -> None:
        cells = self._cells
        while len(cells) <= col:
            cells.append((None, None))
        cells[col] = cell

    def _move(self, row: int) -> None:
        if row < self._row:
            raise ValueError(f"row {row + 1} comes after row {self._row + 1}: rows are written in order")
        if self._row >= 0:
            self._flush()
        self._row, self._height, self._cells = row, None, []

    def _flush(self) -> None:
        row, get, cols = self._row, self._frags.get, self._cols
        r = str(row + 1)
        out = []
        first = last = -1
        for col, cell in enumerate(self._cells):
            frag = get(cell)
            if frag is None:
                frag = self._frag(cell)
            if frag:
                if col >= len(cols):
                    cols.extend(col_letter(c + 1) for c in range(len(cols), col + 1))
                out.append(f'<c r="{cols[col]}{r}"{frag}')
                if first < 0:
                    first = col
                last = col
        if self._height is None:
            if not out:
                return  # no cells, no height: xlsxwriter writes no row
            tag = f'<row r="{r}"'
        else:
            px = int(self._height * 4.0 / 3.0 + 0.5)
            tag = f'<row r="{r}"' if px == DEFAULT_ROW_PX else f'<row r="{r}" ht="{px * 0.75:.16g}" customHeight="1"'
        if out:
            self._parts.append(f'{tag}>{"".join(out)}</row>')
            if self.first_col is None or first < self.first_col:
                self.first_col = first
            if last > self.last_col:
                self.last_col = last
        else:
            self._parts.append(tag + "/>")
        if self.first_row is None:
            self.first_row = row
        self.last_row = row
        if len(self._parts) >= _FLUSH_ROWS:
            self._write_out()

    def _write_out(self) -> None:
        self._file.write("".join(self._parts).encode("utf-8"))
        self._parts.clear()

    def _frag(self, cell: tuple[Any, Any]) -> str:
        """What follows `<c r="A1"` for this value in this style."""
        value, key = cell
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = f' s="{self._xf(key)}"'
        if value is None:
            frag = f"{style}/>"
        elif isinstance(value, str):
            strip = self._strip
            frag = style + _text(strip.sub("", value) if strip is not None else value)
            if len(value) > _CACHED_TEXT:
                return frag
        elif isinstance(value, bool):
            return f'{style} t="b"><v>{int(value)}</v></c>'
        else:
            number = _serial(value) if isinstance(value, dt.date) else value
            if number != number or number in (float("inf"), float("-inf")):
                raise TypeError("NAN/INF not supported in write_number()")
            frag = f"{style}><v>{number:.16G}</v></c>"
            if value == 0 or value == 1:
                return frag
        self._frags[cell] = frag
        return frag

    # ------------------------------------------------------------------ splicing

    def _hyperlinks(self) -> tuple[bytes, bytes]:
        """The <hyperlinks> element and the relationships file, links in row then column order."""
        links = sorted(self.links, key=lambda link: (link[0], link[1]))
        cols: dict[int, str] = {}
        tags, rels = [], []
        for n, (row, col, target, location, tip) in enumerate(links, 1):
            letters = cols.get(col) or cols.setdefault(col, col_letter(col + 1))
            where = f' location="{_attr(location)}"' if location else ""
            tip = f' tooltip="{_attr(tip)}"' if tip else ""
            tags.append(f'<hyperlink ref="{letters}{row + 1}" r:id="rId{n}"{where}{tip}/>')
            rels.append(f'<Relationship Id="rId{n}" Type="{_HYPERLINK}" Target="{_attr(target)}" '
                        'TargetMode="External"/>')
        xml = f"<hyperlinks>{''.join(tags)}</hyperlinks>".encode("utf-8")
        doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
               f'openxmlformats.org/package/2006/relationships">{"".join(rels)}</Relationships>').encode("utf-8")
        return xml, doc

    def _dimension(self, sheet_xml: bytes) -> bytes:
        """The sheet's <dimension> widened to take in these rows (A1:J4 -> A1:J20004)."""
        m = _DIMENSION.search(sheet_xml)
        if m is None or self.first_row is None:
            return sheet_xml
        first_col, first_row = _col_number(m.group(1).decode()), int(m.group(2)) - 1
        last_col = _col_number(m.group(3).decode()) if m.group(3) else first_col
        last_row = int(m.group(4)) - 1 if m.group(4) else first_row
        first_row, last_row = min(first_row, self.first_row), max(last_row, self.last_row)
        if self.first_col is not None:
            first_col, last_col = min(first_col, self.first_col), max(last_col, self.last_col)
        ref = cell_ref(first_row, first_col)
        if (first_row, first_col) != (last_row, last_col):
            ref += ":" + cell_ref(last_row, last_col)
        return sheet_xml[:m.start()] + f'<dimension ref="{ref}"/>'.encode() + sheet_xml[m.end():]


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def splice(skeleton: Path, out: Path, bodies: dict[int, SheetRows]) -> None:
    """Write `out`: the workbook xlsxwriter wrote at `skeleton`, each sheet N of `bodies` (1-based,
    as in xl/worksheets/sheetN.xml) with those rows after its own, its links and their
    relationships. Every other part is copied as it is."""
    with zipfile.ZipFile(skeleton) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = set(src.namelist())
        pending: list[tuple[int, zipfile.ZipInfo, bytes]] = []  # relationships, placed where xlsxwriter puts them
        after_theme = False
        for info in src.infolist():
            if after_theme:
                rels = re.fullmatch(r"xl/worksheets/_rels/sheet(\d+)\.xml\.rels", info.filename)
                before = int(rels.group(1)) if rels else 1 << 30
                while pending and pending[0][0] < before:
                    _, rels_info, data = pending.pop(0)
                    dst.writestr(rels_info, data)
            after_theme = after_theme or info.filename.startswith("xl/theme/")
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
            body = bodies.get(int(m.group(1))) if m else None
            if body is None:
                dst.writestr(info, src.read(info))
                continue
            body.finish()
            xml = body._dimension(src.read(info))
            if b"<sheetData/>" in xml:
                xml = xml.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1)
            head, tail = xml.split(b"</sheetData>", 1)
            if body.hyperlinks:
                rels_name = f"xl/worksheets/_rels/sheet{m.group(1)}.xml.rels"
                if rels_name in names or b"<hyperlinks>" in tail:
                    raise ValueError(f"{info.filename}: links of its own; splice cannot merge relationships")
                at = tail.find(b"<printOptions")
                at = tail.find(b"<pageMargins") if at < 0 else at
                tail = tail[:at] + body.hyperlinks + tail[at:]
                rels_info = zipfile.ZipInfo(rels_name, date_time=info.date_time)
                rels_info.compress_type = zipfile.ZIP_DEFLATED
                rels_info.external_attr = info.external_attr
                pending.append((int(m.group(1)), rels_info, body.relationships))
            with dst.open(info, "w") as part:
                part.write(head)
                shutil.copyfileobj(body._file, part, 1 << 20)
                part.write(b"</sheetData>")
                part.write(tail)
            body._file.close()
        for _, rels_info, data in pending:
            dst.writestr(rels_info, data)


def can_fork() -> bool:
    """Whether a table body may be written in a forked process: where fanout would fork a second
    worker (Linux, more than one core, no other thread whose locks a child could inherit)."""
    from .fanout import worker_count

    return worker_count(2) > 1


class Elsewhere:
    """`fill()`, which writes `rows`, run in a forked child while this process goes on. The child
    writes the rows into the temporary file both processes share and sends the rest of its result
    back through a pipe; `join` (called by rows.finish(), when splice needs them) waits for it and
    takes that into `rows`, or, if the child failed, runs `fill` here instead on a new file. `reap`
    ends a child whose result is not wanted."""

    def __init__(self, rows: SheetRows, fill: Callable[[], None]) -> None:
        import os
        import pickle
        import sys

        self.rows, self.fill = rows, fill
        sys.stdout.flush()
        sys.stderr.flush()
        from .fanout import die_with_parent

        read_end, write_end = os.pipe()
        parent = os.getpid()
        try:
            self.pid = os.fork()
        except OSError:  # no memory or no process left for a child: the caller writes the rows itself
            os.close(read_end)
            os.close(write_end)
            raise
        if self.pid == 0:  # the child: never returns into the caller's code
            code = 1
            try:
                die_with_parent(parent)  # a roll-up killed with -9 leaves no writer behind
                os.close(read_end)
                fill()
                rows.finish()
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(pickle.dumps(rows.state()))
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        self.pipe = os.fdopen(read_end, "rb")
        rows.elsewhere = self  # only here: the child finishes its rows itself

    def join(self) -> None:
        import os
        import pickle

        self.rows.elsewhere = None
        with self.pipe:
            data = self.pipe.read()
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if status == 0 and data:
            self.rows.adopt(pickle.loads(data))
        else:
            self.rows.__init__(self.rows._xf, self.rows._strip)  # start again here, on a new file
            self.fill()

    def reap(self) -> None:
        import os
        import signal

        if self.pid:
            self.rows.elsewhere = None
            self.pipe.close()
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
