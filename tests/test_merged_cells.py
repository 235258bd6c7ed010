"""Merged ranges bound and laid out on style ids (ledgerops/merged_cells.py) give what openpyxl's
own merge_cells and load_workbook give: the same cells, borders, locks and ranges."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl.styles import Border, Protection, Side

from conftest import EX000
from taizhang.ledgerops.merged_cells import MergedRanges, fast_merged_loading

GENERATED = Path(__file__).parent / "data" / "golden" / "ledger_200.xlsx"


def _state(wb) -> list:
    """Every cell's kind, value and resolved styles, and each sheet's merged ranges."""
    out = []
    for ws in wb.worksheets:
        for (r, c), cell in sorted(ws._cells.items()):
            b = cell.border
            out.append((ws.title, r, c, type(cell).__name__, cell.value,
                        tuple((getattr(b, s).style, getattr(b, s).color and getattr(b, s).color.rgb)
                              for s in ("left", "right", "top", "bottom")),
                        cell.protection.locked, cell.font.b, cell.fill.fgColor.rgb))
        out.append((ws.title, sorted(str(m) for m in ws.merged_cells.ranges)))
    return out


def _bordered() -> openpyxl.Workbook:
    """Cells with different borders on each side, some unlocked, where ranges will be merged."""
    wb = openpyxl.Workbook()
    ws = wb.active
    sides = [Side(style="thin"), Side(style="medium", color="FFFF0000"), Side(style=None), Side(style="dashed")]
    for r in range(1, 13):
        for c in range(1, 7):
            cell = ws.cell(r, c, f"{r}-{c}" if (r + c) % 3 else None)
            cell.border = Border(left=sides[(r + c) % 4], right=sides[(r * c) % 4], top=sides[r % 4], bottom=sides[c % 4])
            if c % 2:
                cell.protection = Protection(locked=False)
    return wb


RANGES = [(1, 1, 1, 4), (2, 1, 5, 1), (2, 2, 3, 3), (6, 2, 9, 5), (10, 6, 12, 6), (11, 1, 11, 1)]


def test_merging_on_style_ids_equals_openpyxls_merge_cells():
    slow, fast = _bordered(), _bordered()
    for r0, c0, r1, c1 in RANGES:
        slow.active.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    merger = MergedRanges(fast)
    for r0, c0, r1, c1 in RANGES:
        merger.add(fast.active, r0, c0, r1, c1)
    assert _state(fast) == _state(slow)
    # the cells under a range are MergedCells and the right edge took the top-left's right border
    assert type(fast.active["C7"]).__name__ == "MergedCell"
    assert fast.active["E7"].border.right.style == slow.active["E7"].border.right.style


def test_loading_with_fast_merged_ranges_equals_openpyxls_load(tmp_path):
    for src in (EX000, GENERATED):
        slow = openpyxl.load_workbook(src, rich_text=True)
        with fast_merged_loading():
            fast = openpyxl.load_workbook(src, rich_text=True)
        assert _state(fast) == _state(slow), src
        assert len(fast.active.merged_cells.ranges) > 10
        # and openpyxl's own binding is back once the block ends
        from openpyxl.worksheet import _reader
        assert _reader.WorksheetReader.bind_merged_cells.__module__ == "openpyxl.worksheet._reader"
