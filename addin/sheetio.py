"""Bulk reads and bulk writes between an xlwings Book and the grid contract (validator/grid.py).

Excel pays per call: through COM every Range access is a round trip to another process, through
xlwings' remote engine every Range read copies the whole sheet and every write is one action the
client replays. So a sheet is read once (values, formulas, merged areas where the engine offers
them) into the grid request every spreadsheet client sends, and a marks plan is painted in as few
writes as the engine allows:

- desktop Excel (COM): one `sheet.range("H11:I11,H13:I13").color = ...` per packed multi-area
  address (under Excel's 255-character limit), with screen updating off;
- xlwings Lite (remote, the client that runs `setRangeColors`): one colour matrix per block of at
  most 10,000 cells, cells left alone marked "keep";
- xlwings Server's Office.js client and VBA `RunRemotePython` (rectangles only): one write per
  rectangular area.

Nothing here decides what is wrong with a ledger; that is validate_grid's job.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any, Iterable

MAX_MATRIX = 10_000  # cells per Range.set_colors call (xlwings' own limit)
_PLAIN = (str, int, float, bool, type(None), _dt.datetime, _dt.date)  # what validate_grid takes as it is


@dataclass
class WriteCount:
    """Fill writes sent to Excel and the cells they painted (bench and tests read it)."""

    writes: int = 0
    cells: int = 0


def engine_kind(book: Any) -> str:
    """"com" (desktop Excel), "rich" (remote, xlwings Lite) or "plain" (remote, Server / VBA)."""
    try:
        name = book.app.engine.name
    except Exception:
        return "plain"
    if name != "remote":
        return "com"
    try:  # xlwings Lite sends each sheet's notes; xlwings Server's clients send none
        return "rich" if "notes" in book.sheets[0].api else "plain"
    except Exception:
        return "plain"


# --------------------------------------------------------------------------- reading

def _block(raw: Any, rows: int, cols: int) -> list[list[Any]]:
    """xlwings gives a scalar for one cell and a flat list for one row: always a rectangle."""
    if rows == 1 and cols == 1 and not isinstance(raw, (list, tuple)):
        return [[raw]]
    if rows == 1 and raw and not isinstance(raw[0], (list, tuple)):
        return [list(raw)]
    if cols == 1 and raw and not isinstance(raw[0], (list, tuple)):
        return [[v] for v in raw]
    return [list(r) for r in raw]


def read_request(book: Any, sheet: Any, meta_rows: list[list[Any]] | None = None) -> dict[str, Any]:
    """The grid request (validator/grid.py) for `sheet`: one bulk read of its used range.

    Values stay as the engine gives them (dates as datetime through COM; the remote engine's own
    payload rectangle, dates as ISO strings): validate_grid takes both, warm.py serialises them.
    """
    from taizhang.validator.findings import col_letter

    com = engine_kind(book) == "com"
    used = sheet.used_range
    if com:
        rows, cols = used.shape
        values = [[v if isinstance(v, _PLAIN) else str(v) for v in row]  # a time-only cell becomes its text
                  for row in _block(used.options(ndim=2).value, rows, cols)]
        top_left = f"{col_letter(used.column)}{used.row}"
    else:  # the payload already is the rectangle from A1: no per-cell conversion by the engine
        values = [list(row) for row in sheet.api["values"]]
        rows, cols, top_left = len(values), max((len(r) for r in values), default=0), "A1"
    request: dict[str, Any] = {"sheet": sheet.name, "top_left": top_left, "values": values, "file_name": book.name}
    formulas = _formulas(used, rows, cols)
    if formulas is not None:
        request["formulas"] = formulas
    merged = merged_areas(used, values) if com else []  # the remote engine reads merges only asynchronously
    if merged:
        request["merged"] = merged
    return _with_extras(request, meta_rows)


def _with_extras(request: dict[str, Any], meta_rows: list[list[Any]] | None) -> dict[str, Any]:
    if meta_rows:
        request["meta_rows"] = meta_rows
    return request


def _formulas(used: Any, rows: int, cols: int) -> list[list[str]] | None:
    """Every formula of the range in one call (COM); None where the engine offers none (remote)."""
    try:
        raw = used.formula
    except Exception:  # the remote engine keeps formulas out of its payload
        return None
    block = _block(raw, rows, cols)
    return [["" if v is None else str(v) for v in row] for row in block]


def merged_areas(used: Any, values: list[list[Any]]) -> list[str]:
    """Merged areas ("A3:A5") of the used range where the engine can tell, [] otherwise.

    COM answers `MergeCells` for a whole range (True, False or mixed), so a sheet without merges
    costs one call; a mixed column is asked only at cells that start a blank run (a merged area's
    other cells are blank). The remote engine cannot read merges synchronously: the reader then
    fills blank task-level cells down within each task, as it does for any grid.
    """
    try:
        if used.api.MergeCells is False:
            return []
    except Exception:
        return []
    found: set[str] = set()
    for j in range(len(values[0]) if values else 0):
        try:
            column = used.api.Columns(j + 1)
            if column.MergeCells is False:
                continue
            for i in range(len(values) - 1):
                if values[i][j] in ("", None) or values[i + 1][j] not in ("", None):
                    continue
                area = column.Cells(i + 1, 1).MergeArea
                if area.Cells.Count > 1:
                    found.add(area.Address.replace("$", ""))
        except Exception:
            continue
    return sorted(found)


# --------------------------------------------------------------------------- addresses

def expand(address: str) -> list[str]:
    """Cells of a multi-area address ("H11:I12,K3" -> H11, I11, H12, I12, K3), row by row."""
    from taizhang.validator.findings import col_letter
    from taizhang.validator.marks import split_a1

    out = []
    for area in address.replace("$", "").split(","):
        first, _, last = area.partition(":")
        (r0, c0), (r1, c1) = split_a1(first), split_a1(last or first)
        out += [f"{col_letter(c)}{r}" for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
    return out


# --------------------------------------------------------------------------- painting

def paint(book: Any, sheet: Any, colors: dict[str, str | None], count: WriteCount | None = None) -> WriteCount:
    """Give each cell its colour (None: no fill) in as few writes as the engine allows."""
    from taizhang.validator.marks import pack_addresses

    count = count or WriteCount()
    kind = engine_kind(book)
    if kind == "rich":
        for (r0, c0), matrix, painted in _matrices(colors):  # corners, not resize(): that reads the sheet
            sheet.range((r0, c0), (r0 + len(matrix) - 1, c0 + len(matrix[0]) - 1)).set_colors(matrix)
            count.writes += 1
            count.cells += painted
        return count
    by_color: dict[str | None, list[str]] = {}
    for cell, color in colors.items():
        by_color.setdefault(color or None, []).append(cell)
    for color, cells in by_color.items():
        for address in pack_addresses(cells):
            targets = [address] if kind == "com" else address.split(",")
            for target in targets:
                sheet.range(target).color = color
                count.writes += 1
        count.cells += len(cells)
    return count


def _matrices(colors: dict[str, str | None]) -> Iterable[tuple[tuple[int, int], list[list[Any]], int]]:
    """Colour matrices for Range.set_colors: row bands of the cells' columns, each ≤ MAX_MATRIX cells."""
    from taizhang.validator.marks import split_a1

    by_row: dict[int, dict[int, str | None]] = {}
    for cell, color in colors.items():
        r, c = split_a1(cell)
        by_row.setdefault(r, {})[c] = color
    rows = sorted(by_row)
    while rows:
        c0 = min(by_row[rows[0]])
        c1 = max(by_row[rows[0]])
        band = [rows[0]]
        for r in rows[1:]:
            lo, hi = min(c0, min(by_row[r])), max(c1, max(by_row[r]))
            if (r - band[0] + 1) * (hi - lo + 1) > MAX_MATRIX:
                break
            band.append(r)
            c0, c1 = lo, hi
        rows = rows[len(band):]
        matrix = [[...] * (c1 - c0 + 1) for _ in range(band[-1] - band[0] + 1)]
        painted = 0
        for r in band:
            for c, color in by_row[r].items():
                matrix[r - band[0]][c - c0] = color
                painted += 1
        yield (band[0], c0), matrix, painted


def previous_fills(book: Any, sheet: Any, addresses: list[str]) -> dict[str, str]:
    """Each cell's fill before painting ("" = none), read per packed address where Excel can.

    COM answers one colour for a multi-area range whose cells all share it (usually none), and
    fails for a mixed one, which is then read cell by cell. The remote clients send no fills.
    """
    out: dict[str, str] = {}
    if engine_kind(book) != "com":
        return out
    for address in addresses:
        try:
            color = _hex(sheet.range(address).color)
            out.update((cell, color) for cell in expand(address))
        except Exception:  # mixed fills: one call per cell
            for cell in expand(address):
                try:
                    out[cell] = _hex(sheet.range(cell).color)
                except Exception:
                    out[cell] = ""
    return out


def _hex(color: Any) -> str:
    if color is None:
        return ""
    if isinstance(color, tuple):
        return "#{:02X}{:02X}{:02X}".format(*color)
    return str(color)


class ScreenFrozen:
    """`with ScreenFrozen(book):` screen updating off during a write, where the engine has it (COM)."""

    def __init__(self, book: Any):
        self.app = book.app if engine_kind(book) == "com" else None
        self.before = True

    def __enter__(self) -> "ScreenFrozen":
        if self.app is not None:
            try:
                self.before = self.app.screen_updating
                self.app.screen_updating = False
            except Exception:
                self.app = None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.app is not None:
            try:
                self.app.screen_updating = self.before
            except Exception:
                pass


# --------------------------------------------------------------------------- notes

KEEP_NOTE = "(保留原批注)"  # marks-sheet value: the cell has a note we could not read


def previous_note(rng: Any) -> str:
    """The cell's own note text; "" when it has none; KEEP_NOTE when it has one we cannot read."""
    try:
        note = rng.note
    except Exception:  # xlwings Server's clients send no notes at all
        return ""
    if note is None:
        return ""
    try:
        return note.text or ""
    except Exception:  # xlwings Lite knows a note is there but reads its text only asynchronously
        return KEEP_NOTE


def add_note(rng: Any, text: str, exists: bool | None = None) -> bool:
    """A note on the cell where the client supports notes (desktop Excel, xlwings Lite).

    `exists=False` when the caller already knows the cell has no note: one call less per cell.
    """
    try:
        if exists is False:
            rng.add_note(text)
        elif rng.note is not None:
            rng.note.text = text
        else:
            rng.add_note(text)
        return True
    except Exception:  # xlwings Server's clients have no note action
        return False


def delete_note(rng: Any) -> None:
    try:
        if rng.note is not None:
            rng.note.delete()
    except Exception:
        pass


# --------------------------------------------------------------------------- sheets

def sheet_names(book: Any) -> list[str]:
    return [s.name for s in book.sheets]


def grid(sheet: Any) -> list[list[Any]]:
    """One bulk read of a sheet as a rectangle starting at A1."""
    rng = sheet.used_range
    values = rng.options(ndim=2).value or []
    top, left = rng.row - 1, rng.column - 1
    width = left + max((len(r) for r in values), default=0)
    out = [[""] * width for _ in range(top)]
    out += [[""] * left + ["" if v is None else v for v in row] for row in values]
    return out
