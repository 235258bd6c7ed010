"""Writing ledger workbooks with openpyxl while keeping the master's layout.

Split and merge both produce files a person opens next to the master, so they must look like it:
title, header, merged task groups, widths, fills and print settings. Both start from the master
loaded with openpyxl and rearrange only the rows below the header (`DataArea`), then set values.
Values are written so that text stays text: a string starting with "=" would otherwise become a
live formula in the output (openpyxl treats such strings as formulas).
"""

from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from taizhang.validator.findings import col_letter

if TYPE_CHECKING:
    from taizhang.validator.reader import Ledger

APPLIED_FILL = "C6EFCE"  # light green: a change taken from a submission
CONFLICT_FILL = "F8CBAD"  # orange: two submissions disagree, the base value is kept
INVALID_FILL = "FFC7CE"  # light red: applied, but the new value fails validation (as the add-in marks errors)
HEADER_FILL = "DDEBF7"

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WINDOWS_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_FILENAME = 100
MAX_FILENAME_BYTES = 200  # ext4 and most Linux filesystems allow 255 bytes; a CJK character takes 3
_SUPERSCRIPT = str.maketrans("¹²³", "123")
_WIDE = re.compile("[\u2e80-\U0010ffff]")  # characters two width units wide (CJK and beyond)


def fill(color: str):
    """A solid fill; RGB colours get the opaque alpha Excel itself writes (FF), not openpyxl's 00."""
    from openpyxl.styles import PatternFill

    argb = color if len(color) == 8 else "FF" + color
    return PatternFill(fill_type="solid", start_color=argb, end_color=argb)


def note(text: str, author: str = "taizhang"):
    """A cell note sized to its text, so the proposals are readable without resizing."""
    from openpyxl.comments import Comment

    lines = text.split("\n")
    comment = Comment(text[:30000], author)
    comment.width = 320
    comment.height = min(400, 24 + 18 * sum(1 + len(line) // 22 for line in lines))
    return comment


def below(old: str | None, text: str) -> str:
    """A note added to a cell that has one: the old text kept above the new."""
    return text if not old else old.rstrip() + "\n—\n" + text


def set_value(cell: Any, value: Any) -> None:
    """Write a value as data: strings stay strings (also "=..."), control characters are dropped."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        cell.value = value
        if value.startswith("="):
            cell.data_type = "s"  # text, not a formula
        return
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    cell.value = value


def safe_filename(name: str, suffix: str = ".xlsx", taken: set[str] | None = None) -> str:
    """A file name Windows and Linux both accept, and that nothing mistakes for something else.

    No \\/:*?"<>| or control characters, no reserved device name (CON, NUL, COM1, COM¹ ...,
    also before an extension or trailing spaces), no trailing dots or spaces, not starting with "~$"
    (Excel's lock files, which merge skips) or "." (hidden, also skipped), at most 100 characters
    and MAX_FILENAME_BYTES in UTF-8 (Linux counts bytes). `taken` (lower-cased names) makes
    each name unique, case-insensitively, as on Windows.
    """
    base = _WINDOWS_BAD.sub("_", " ".join(name.split())).strip(" .")
    base = re.sub(r"^[~.$]+", "", base).strip(" .") or "未命名"
    if base.upper().split(".")[0].rstrip(" ").translate(_SUPERSCRIPT) in _RESERVED:
        base = "_" + base
    room = MAX_FILENAME - len(suffix)
    base = _clip_bytes(base[:room], MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))).rstrip(" .") or "未命名"
    candidate, n = base + suffix, 2
    while taken is not None and candidate.lower() in taken:
        tail = f"-{n}"
        candidate = _clip_bytes(base[: room - len(tail)], MAX_FILENAME_BYTES - len((tail + suffix).encode("utf-8")))
        candidate = candidate.rstrip(" .") + tail + suffix
        n += 1
    if taken is not None:
        taken.add(candidate.lower())
    return candidate


def _clip_bytes(text: str, limit: int) -> str:
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text


def load_workbook_for(path: Path, ledger: "Ledger", *, keep_vba: bool = False):
    """The master as an openpyxl workbook; a .xls or .csv master is rebuilt from its ledger values."""
    from taizhang.validator.filecheck import sniff

    from .keep import load_keeping

    if sniff(Path(path)).kind == "xlsx":
        return load_keeping(path, keep_vba=keep_vba)
    return workbook_from_ledger(ledger)


def ledger_sheet(wb: Any, ledger: "Ledger") -> Any:
    """The worksheet holding the ledger in a workbook loaded or rebuilt for it."""
    return wb[ledger.sheet] if ledger.sheet in wb.sheetnames else wb[ledger.sheet[:31]]


def workbook_from_ledger(ledger: "Ledger"):
    """A plain workbook with the ledger at the same rows as in its file, task groups merged."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = ledger.sheet[:31]
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    width = max(c.index for c in ledger.columns.values())
    if ledger.title and ledger.header_row > 1:
        ws.cell(1, 1, ledger.title).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for col in ledger.columns.values():
        cell = ws.cell(ledger.header_row, col.index)
        set_value(cell, col.header)
        cell.font, cell.border, cell.alignment = Font(bold=True), border, wrap
        cell.fill = fill(HEADER_FILL)
        ws.column_dimensions[col.letter].width = 12 if col.definition.level == "task" else 24
    for name, col in ledger.columns.items():
        for pos, row in enumerate(ledger.rows):
            cell = ws.cell(row, col.index)
            cell.border, cell.alignment = border, wrap
            if ledger.origin[name][pos] == row:
                set_value(cell, ledger.raw[name][pos])
    for name, col in ledger.columns.items():
        if col.definition.level != "task":
            continue
        for top, bottom in _runs([o for o in ledger.origin[name]], ledger.rows):
            if bottom > top:
                ws.merge_cells(start_row=top, start_column=col.index, end_row=bottom, end_column=col.index)
    return wb


def _runs(origins: list[int], rows: list[int]) -> Iterable[tuple[int, int]]:
    """(first, last) Excel rows of consecutive rows sharing one origin cell."""
    start = None
    for o, r in zip(origins, rows):
        if start is not None and o == start[0] and r == start[1] + 1:
            start = (o, r)
            continue
        if start is not None:
            yield start[0], start[1]
        start = (o, r) if o == r else None
    if start is not None:
        yield start[0], start[1]


@dataclass(slots=True)
class _Row:
    cells: dict[int, Any]  # column -> the original openpyxl Cell
    height: float | None


class DataArea:
    """The rows of a sheet from `first_row` down, lifted out once and laid out again on demand.

    openpyxl's insert_rows/delete_rows move values but not merged ranges or row heights, so
    instead the whole area is taken out (cells, heights, merges) and written back in the order
    a plan gives; the original cells are kept untouched, so one snapshot serves many layouts
    (split writes one file per department from a single load of the master).
    """

    def __init__(self, ws: Any, first_row: int) -> None:
        from openpyxl.cell.cell import MergedCell

        from .merged_cells import MergedRanges

        self.ws, self.first_row = ws, first_row
        self.rows: dict[int, _Row] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        for rng in list(ws.merged_cells.ranges):
            if rng.min_row >= first_row:
                self.merges.append((rng.min_row, rng.min_col, rng.max_row, rng.max_col))
                ws.merged_cells.remove(rng)
        # the ranges a layout makes cannot overlap each other; they can overlap a range kept above
        # that reaches into the area, and then openpyxl's own (slow, checking) merge_cells is used
        self._heights: dict[float, Any] = {}
        self._covering: dict[int, list[int]] | None = None
        self._merger = None if any(r.max_row >= first_row for r in ws.merged_cells.ranges) else MergedRanges(ws.parent)
        for (r, c), cell in list(ws._cells.items()):
            if r < first_row:
                continue
            del ws._cells[(r, c)]
            if isinstance(cell, MergedCell):
                continue
            self.rows.setdefault(r, _Row({}, None)).cells[c] = cell
        for r, dim in list(ws.row_dimensions.items()):
            if r >= first_row:
                if dim.height is not None:
                    self.rows.setdefault(r, _Row({}, None)).height = dim.height
                del ws.row_dimensions[r]

    def value(self, row: int, col: int) -> Any:
        r = self.rows.get(row)
        cell = r.cells.get(col) if r else None
        return None if cell is None else cell.value

    def merged_top(self, row: int, col: int) -> tuple[int, int] | None:
        """The top-left of the original merged range covering (row, col), if any."""
        for r0, c0, r1, c1 in self.merges:
            if r0 <= row <= r1 and c0 <= col <= c1:
                return r0, c0
        return None

    def layout(self, plan: list[tuple[int, str]], *, extend_cols: set[int] = frozenset(),
               extra_merges: Iterable[tuple[int, int, int, int]] = ()) -> None:
        """Write row `first_row + i` from `plan[i] = (source row, mode)`.

        mode "values" copies the source row; "extend" (an inserted row inside a task) and "style"
        (an inserted row of its own) take only its styles. Each original merged range covers the
        new rows of the source rows it held ("extend" rows only in `extend_cols`); if its top row
        is not among them, its value moves to the first. `extra_merges` (new coordinates) are added.
        """
        ws = self._clear()
        new_of = self._new_rows(plan)
        for i, (src, mode) in enumerate(plan):
            new_row = self.first_row + i
            source = self.rows.get(src)
            if source is None:
                continue
            for c, cell in source.cells.items():
                target = ws.cell(new_row, c)
                if cell.has_style:
                    target._style = copy(cell._style)
                if mode == "values":
                    self._copy_content(cell, target)
            if source.height is not None:
                ws.row_dimensions[new_row] = self._row_height(new_row, source.height)
        for (r0, c0, r1, c1), rows in self._kept_merges(new_of, extend_cols):
            top_new = next((n for n, mode in new_of.get(r0, ()) if mode == "values"), None)
            if top_new is None:  # the top row was left out: carry its value down
                top = self.rows.get(r0)
                if top and c0 in top.cells:
                    self._copy_content(top.cells[c0], ws.cell(rows[0], c0))
                    ws.cell(rows[0], c0)._style = copy(top.cells[c0]._style)
            for first, last in _consecutive(rows):
                if last > first or c1 > c0:
                    self._merge(first, c0, last, c1)
        for r0, c0, r1, c1 in extra_merges:
            self._merge(r0, c0, r1, c1)

    def replay_merges(self, plan: list[tuple[int, str]], *, extend_cols: set[int] = frozenset(),
                      extra_merges: Iterable[tuple[int, int, int, int]] = ()) -> None:
        """Make the changes `layout(plan)` makes to the sheet's set of merged ranges, and nothing else.

        The order of <mergeCell> in a saved file is the set's iteration order, which depends on
        every add and remove the set has seen: a process that lays out only some of a series of
        plans replays the others' so that each file comes out as a run of the whole series makes it.
        """
        for rng in [r for r in self.ws.merged_cells.ranges if r.min_row >= self.first_row]:
            self.ws.merged_cells.remove(rng)
        for (r0, c0, r1, c1), rows in self._kept_merges(self._new_rows(plan), extend_cols):
            for first, last in _consecutive(rows):
                if last > first or c1 > c0:
                    self._merge(first, c0, last, c1, range_only=True)
        for r0, c0, r1, c1 in extra_merges:
            self._merge(r0, c0, r1, c1, range_only=True)

    def _new_rows(self, plan: list[tuple[int, str]]) -> dict[int, list[tuple[int, str]]]:
        """Source row -> [(its new row, mode)] for a plan."""
        new_of: dict[int, list[tuple[int, str]]] = {}
        for i, (src, mode) in enumerate(plan):
            new_of.setdefault(src, []).append((self.first_row + i, mode))
        return new_of

    def _kept_merges(self, new_of: dict[int, list[tuple[int, str]]], extend_cols: set[int]
                     ) -> Iterable[tuple[tuple[int, int, int, int], list[int]]]:
        """(original merged range, the sorted new rows it covers) of each range a plan keeps, in
        the order of `merges` (the order they are merged in decides the order in the file)."""
        if self._covering is None:  # source row -> the ranges covering it, by their place in `merges`
            self._covering = {}
            for i, (r0, _, r1, _) in enumerate(self.merges):
                for r in range(r0, r1 + 1):
                    self._covering.setdefault(r, []).append(i)
        # ranges of rows the plan leaves out (another department's) are not among them
        for i in sorted({i for src in new_of for i in self._covering.get(src, ())}):
            r0, c0, r1, c1 = self.merges[i]
            hit = [new_of[src] for src in range(r0, r1 + 1) if src in new_of]
            wide = c0 in extend_cols
            rows = sorted(n for found in hit for n, mode in found if mode == "values" or (mode == "extend" and wide))
            if rows:
                yield (r0, c0, r1, c1), rows

    def _row_height(self, row: int, height: float) -> Any:
        """What `ws.row_dimensions[row].height = height` leaves, cloned from one made per height:
        building a RowDimension runs a dozen checked descriptors, a cost per row of every file."""
        from openpyxl.worksheet.dimensions import RowDimension

        made = self._heights.get(height)
        if made is None:
            made = self._heights[height] = RowDimension(self.ws, index=row)
            made.height = height
        dim = RowDimension.__new__(RowDimension)
        dim.__dict__.update(made.__dict__)
        dim.parent, dim._style = made.parent, made._style
        dim.__dict__["index"] = row
        return dim

    def _merge(self, r0: int, c0: int, r1: int, c1: int, *, range_only: bool = False) -> None:
        if range_only:  # the set operation alone, as the real merge below makes it
            from openpyxl.worksheet.cell_range import CellRange

            rng = CellRange.__new__(CellRange)  # hashes and compares as the range the merge makes
            rng.__dict__.update(min_col=c0, min_row=r0, max_col=c1, max_row=r1, title=None)  # bounds of the file's own
            if self._merger is None:
                self.ws.merged_cells.add(rng)
            else:
                self.ws.merged_cells.ranges.add(rng)
        elif self._merger is None:
            self.ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
        else:
            self._merger.add(self.ws, r0, c0, r1, c1)

    def _clear(self) -> Any:
        ws = self.ws
        for rng in list(ws.merged_cells.ranges):
            if rng.min_row >= self.first_row:
                ws.merged_cells.remove(rng)
        for key in [k for k in ws._cells if k[0] >= self.first_row]:
            del ws._cells[key]
        for r in [r for r in ws.row_dimensions if r >= self.first_row]:
            del ws.row_dimensions[r]
        return ws

    @staticmethod
    def _copy_content(cell: Any, target: Any) -> None:
        target._value = cell._value
        target.data_type = cell.data_type
        if cell.comment is not None:
            target.comment = copy(cell.comment)
        if cell.hyperlink is not None:
            target.hyperlink = copy(cell.hyperlink)


def _consecutive(rows: list[int]) -> Iterable[tuple[int, int]]:
    start = prev = rows[0]
    for r in rows[1:]:
        if r != prev + 1:
            yield start, prev
            start = r
        prev = r
    yield start, prev


def table_sheet(wb: Any, title: str, headers: list[str], rows: list[list[Any]], widths: list[float], *,
                append: bool = False, index: int | None = None) -> Any:
    """A plain report sheet (header row filled, frozen, filterable). `append` keeps existing rows."""
    from openpyxl.styles import Alignment, Font

    if title in wb.sheetnames and not append:
        del wb[title]
    if title in wb.sheetnames:
        ws = wb[title]
    else:
        ws = wb.create_sheet(title, index)
        for i, h in enumerate(headers, 1):
            cell = ws.cell(1, i, h)
            cell.font, cell.fill = Font(bold=True), fill(HEADER_FILL)
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[col_letter(i)].width = w
        ws.freeze_panes = "A2"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "1:1"
    from openpyxl.styles.cell_style import StyleArray

    wrap = wb._alignments.add(Alignment(vertical="top", wrap_text=True))  # the id `cell.alignment =` hashes to
    start = ws.max_row + 1
    for r, values in enumerate(rows, start):
        for c, v in enumerate(values, 1):
            cell = ws.cell(r, c)
            set_value(cell, v)
            if not cell._style:
                cell._style = StyleArray()
            cell._style.alignmentId = wrap
        ws.row_dimensions[r].height = row_height(values, widths)
    ws.auto_filter.ref = f"A1:{col_letter(len(headers))}{max(ws.max_row, 1)}"
    return ws


def row_height(values: list[Any], widths: list[float], *, line: float = 15.0, most: int = 8) -> float:
    """A row height that shows wrapped text: spreadsheet programs do not fit heights of files
    written by openpyxl. A CJK character is about two width units."""
    lines = 1
    for v, w in zip(values, widths):
        if v is None:
            continue
        per_line = max(int(w / 2), 1)
        n = sum(max(1, -(-_display_len(part) // (per_line * 2))) for part in str(v).split("\n"))
        lines = max(lines, n)
    return line * min(lines, most)


def _display_len(text: str) -> int:
    return len(text) + len(_WIDE.findall(text))


def save(wb: Any, path: Path) -> Path:
    """Save atomically (temp file + rename); raises OutputLocked if Excel holds the target open."""
    from .safe_write import write_atomic

    return write_atomic(Path(path), lambda tmp: save_workbook(wb, tmp))


def save_workbook(wb: Any, path: Path) -> None:
    """`wb.save(path)`, closing the zip archive when the write fails (disk full, file too large).

    openpyxl leaves its archive open on an error; when the archive is collected, `ZipFile.__del__`
    tries to flush it again and prints a second traceback under the user's one-line message.
    """
    import datetime
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    archive = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        wb.properties.modified = datetime.datetime.now(tz=datetime.timezone.utc).replace(tzinfo=None)
        ExcelWriter(wb, archive).save()  # what openpyxl's save_workbook does
    except BaseException:
        try:
            archive.close()  # sets archive.fp to None first: nothing is left for __del__
        except OSError:
            pass  # the same failure again; the first one is what the user hears about
        raise
