"""openpyxl's merged-cell handling, with the same result at a fraction of the cost.

openpyxl spent most of a split or a merge on merged ranges: `ws.merge_cells` scans every
range already there ("is the new one inside it?", so n merges cost n²/2 comparisons), and for
each range (also when loading a file) re-hashes a Border object per edge cell and a Protection
per cell to find its style id. The bench's 20,000-row ledger has about 24,000 merged ranges.

`MergedRanges` does exactly what `MergedCellRange(ws, ref)` + `ws._clean_merge_range` do (the
top-left cell takes the bottom-right's right and bottom borders, the other cells become
MergedCells, edge cells get the top-left's borders, every cell its protection), but on style ids:
each "border id + side" -> border id result is computed once with openpyxl's own objects and
then reused. Ranges are added to the sheet's set directly, for callers that know they do not
overlap (a file's own ranges, or a layout made from them). Outputs are identical (a test
compares them with files written by openpyxl's own path).
"""

from __future__ import annotations

from contextlib import contextmanager
from copy import copy
from typing import Any, Iterator

_EDGES = ("top", "left", "right", "bottom")


class MergedRanges:
    """Merge ranges of one workbook's sheets, memoising style results by style id."""

    def __init__(self, wb: Any) -> None:
        self.borders = wb._borders
        self.protections = wb._protections
        self._corner: dict[tuple[int, int], int] = {}  # (top-left, bottom-right border) -> top-left's new
        self._edge: dict[tuple[int, int, str], int | None] = {}  # (cell, top-left border, edge) -> new; None: skip
        self._protection: dict[int, int] = {}

    def merge(self, ws: Any, r0: int, c0: int, r1: int, c1: int) -> Any:
        """Merge r0..r1 x c0..c1 of `ws` (known not to overlap a range it has); returns the range."""
        from openpyxl.cell.cell import MergedCell
        from openpyxl.styles.cell_style import StyleArray
        from openpyxl.worksheet.cell_range import CellRange
        from openpyxl.worksheet.merge import MergedCellRange

        cells = ws._cells
        start = cells.get((r0, c0))
        if start is None:
            start = ws.cell(row=r0, column=c0)
        if not start._style:
            start._style = StyleArray()
        end = cells.get((r1, c1))
        if end is not None:  # MergedCellRange._get_borders
            if not end._style:
                end._style = StyleArray()
            start._style.borderId = self._corner_border(start._style.borderId, end._style.borderId)
        for r in range(r0, r1 + 1):  # Worksheet._clean_merge_range
            for c in range(c0, c1 + 1):
                if r != r0 or c != c0:
                    cells[(r, c)] = MergedCell(ws, r, c)
        for name in _EDGES:  # MergedCellRange.format
            from_id = start._style.borderId
            key0 = (from_id, name)
            for coord in _edge_coords(name, r0, c0, r1, c1):
                cell = cells[coord]
                if not cell._style:
                    cell._style = StyleArray()
                new = self._edge_border(cell._style.borderId, *key0)
                if new is None:
                    break
                cell._style.borderId = new
        pid = self._protection_of(start._style.protectionId)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                cell = cells[(r, c)]
                if not cell._style:
                    cell._style = StyleArray()
                cell._style.protectionId = pid
        rng = MergedCellRange.__new__(MergedCellRange)
        if 1 <= c0 <= c1 <= 18278 and 1 <= r0 <= r1 <= 1048576:  # what CellRange's checks would let through
            rng.__dict__.update(min_col=c0, min_row=r0, max_col=c1, max_row=r1, title=None)
        else:
            CellRange.__init__(rng, min_col=c0, min_row=r0, max_col=c1, max_row=r1)  # raises as openpyxl does
        rng.ws, rng.start_cell = ws, start
        return rng

    def add(self, ws: Any, r0: int, c0: int, r1: int, c1: int) -> None:
        """`ws.merge_cells(...)` without the overlap scan: for ranges known to be free."""
        ws.merged_cells.ranges.add(self.merge(ws, r0, c0, r1, c1))

    def _corner_border(self, start_id: int, end_id: int) -> int:
        key = (start_id, end_id)
        if key not in self._corner:
            from openpyxl.styles.borders import Border
            from openpyxl.styles.proxy import StyleProxy

            end = self.borders[end_id]
            self._corner[key] = self.borders.add(StyleProxy(self.borders[start_id]) +
                                                 Border(right=end.right, bottom=end.bottom))
        return self._corner[key]

    def _edge_border(self, cell_id: int, from_id: int, name: str) -> int | None:
        key = (cell_id, from_id, name)
        if key not in self._edge:
            from openpyxl.styles.borders import Border
            from openpyxl.styles.proxy import StyleProxy

            side = getattr(self.borders[from_id], name)
            if side and side.style is None:  # openpyxl leaves an edge with no border style alone
                self._edge[key] = None
            else:
                self._edge[key] = self.borders.add(StyleProxy(self.borders[cell_id]) + Border(**{name: side}))
        return self._edge[key]

    def _protection_of(self, start_id: int) -> int:
        if start_id not in self._protection:
            self._protection[start_id] = self.protections.add(copy(self.protections[start_id]))
        return self._protection[start_id]


def _edge_coords(name: str, r0: int, c0: int, r1: int, c1: int) -> list[tuple[int, int]]:
    if name == "top":
        return [(r0, c) for c in range(c0, c1 + 1)]
    if name == "bottom":
        return [(r1, c) for c in range(c0, c1 + 1)]
    if name == "left":
        return [(r, c0) for r in range(r0, r1 + 1)]
    return [(r, c1) for r in range(r0, r1 + 1)]


@contextmanager
def fast_merged_loading() -> Iterator[None]:
    """While open, openpyxl.load_workbook binds a sheet's merged ranges through `MergedRanges`.

    A file's merged ranges are bound as openpyxl binds them (no overlap check there either), so
    the loaded workbook is the same; only the per-cell style hashing is skipped. The switch is
    process-wide while open: a load in another thread meanwhile gets the same, equal result.
    """
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet import _reader
    from openpyxl.worksheet.cell_range import MultiCellRange

    original = _reader.WorksheetReader.bind_merged_cells
    workbooks: dict[int, MergedRanges] = {}

    def bind_merged_cells(self: Any) -> None:
        if not self.parser.merged_cells:
            return
        wb = self.ws.parent
        merger = workbooks.setdefault(id(wb), MergedRanges(wb))
        ranges = []
        for cr in self.parser.merged_cells.mergeCell:
            c0, r0, c1, r1 = range_boundaries(cr.ref)
            ranges.append(merger.merge(self.ws, r0, c0, r1, c1))
        self.ws.merged_cells = MultiCellRange(ranges)

    _reader.WorksheetReader.bind_merged_cells = bind_merged_cells
    try:
        yield
    finally:
        _reader.WorksheetReader.bind_merged_cells = original
