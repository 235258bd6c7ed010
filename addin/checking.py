"""校验 and 清除标记: validate the open ledger through the grid contract and paint the plan in bulk.

The sheet is read once (addin/sheetio.py), validated by `validate_grid` here or by the warm service
(addin/warm.py), and the marks plan (validator/marks.py) is painted: fills grouped by colour in
multi-area writes, notes on at most NOTE_LIMIT cells (each note is one call in every engine), the
report written as one block whose first column links to each cell (HYPERLINK formulas, so the links
cost nothing extra), and a hidden marks sheet recording each cell's fill and note before, so that
清除标记 puts back exactly what was there, again grouped by colour.
"""

from __future__ import annotations

from typing import Any

from taizhang.validator.marks import HEADER_FILL

from . import sheetio
from .sheetio import KEEP_NOTE, WriteCount

MARKS_SHEET = "_taizhang_marks"
MARKS_HEADER = ["工作表", "单元格或区域", "原填充色", "原批注", "已加批注"]
NOTE_LIMIT = 300  # notes beyond this many cells would cost one Excel call each; the report lists all


class LedgerNotFound(Exception):
    """No sheet of the workbook holds a ledger header."""


def _skip(name: str, own: tuple[str, ...]) -> bool:
    return name.startswith("_") or name in own


def validate_book(book: Any, own_sheets: tuple[str, ...], meta_rows: list[list[Any]] | None,
                  service_url: str = "") -> tuple[Any, dict[str, Any], str]:
    """(sheet, {"file", "marks"}, "warm" | "local") for the active sheet, else the first ledger sheet.

    Raises LedgerNotFound, or ValueError with the user's message for a sheet that cannot be read.
    """
    from .warm import validate_remote

    active = book.sheets.active
    candidates = [active] + [s for s in book.sheets if s.name != active.name]
    for sheet in candidates:
        if _skip(sheet.name, own_sheets):
            continue
        request = sheetio.read_request(book, sheet, meta_rows)
        answer = validate_remote(service_url, request) if service_url else None
        via = "warm" if answer is not None else "local"
        if answer is None:
            service_url = ""  # asked once per click: a missing service must not cost each sheet a timeout
            answer = _validate_here(request)
        error = answer["file"].get("error")
        if error and error.get("code") == "header-not-found":
            continue
        if error:
            raise ValueError(error.get("message") or error.get("code"))
        return sheet, answer, via
    raise LedgerNotFound()


def _validate_here(request: dict[str, Any]) -> dict[str, Any]:
    """The service's answer, computed here; plus "columns", each column's role (for the alert)."""
    from taizhang.validator.grid import GridError, validate_grid_ledger
    from taizhang.validator.inspect import column_summary
    from taizhang.validator.validate import Options

    try:
        result, plan, ledger = validate_grid_ledger(request, Options())
    except GridError as exc:
        raise ValueError(exc.message("zh")) from None
    return {"file": result.to_dict(), "marks": plan.to_dict() if plan else None,
            "columns": column_summary(ledger) if ledger is not None else ""}


def paint_plan(book: Any, sheet: Any, plan: dict[str, Any], report_sheet: Any,
               marks_sheet_factory: Any) -> tuple[WriteCount, int]:
    """Paint `plan` (MarksPlan.to_dict()) on `sheet`; returns the fill writes and the notes written."""
    colors: dict[str, str] = {}
    addresses: list[str] = []
    for fill in plan["fills"]:
        addresses += fill["addresses"]
        for address in fill["addresses"]:
            colors.update((cell, fill["color"]) for cell in sheetio.expand(address))
    notes = plan["notes"][:NOTE_LIMIT]
    with sheetio.ScreenFrozen(book):
        before = sheetio.previous_fills(book, sheet, addresses)
        previous_notes = {n["cell"]: sheetio.previous_note(sheet[n["cell"]]) for n in notes}
        count = sheetio.paint(book, sheet, colors)
        written, noted = 0, set()
        for n in notes:
            before_note = previous_notes[n["cell"]]
            if before_note != KEEP_NOTE and sheetio.add_note(sheet[n["cell"]], n["text"], exists=before_note != ""):
                written += 1
                noted.add(n["cell"])
        report = plan["report"]
        targets = {link["row"]: link["target"] for link in report["links"]}
        table = [report["header"]]
        for i, row in enumerate(report["rows"], start=2):
            first = _link_formula(targets[i], row[0]) if i in targets else row[0]
            table.append([first, *(_as_text(v) for v in row[1:])])
        report_sheet["A1"].value = table
        report_sheet.range((1, 1), (1, len(report["header"]))).color = HEADER_FILL
        report_sheet.range((1, 1), (len(table), len(report["header"]))).columns.autofit()  # one call
        if colors:
            marks_sheet_factory()["A1"].value = [MARKS_HEADER] + _marks_rows(sheet.name, colors, before,
                                                                             previous_notes, noted)
    return count, written


def _marks_rows(sheet: str, colors: dict[str, str], before: dict[str, str], notes: dict[str, str],
                noted: set[str]) -> list[list[str]]:
    """What 清除标记 needs, compactly: one row per packed address of cells that had the same fill
    before (usually none), then one row per cell whose note we wrote, with the note it had."""
    from taizhang.validator.marks import pack_addresses

    by_previous: dict[str, list[str]] = {}
    for cell in colors:
        by_previous.setdefault(before.get(cell, ""), []).append(cell)
    rows = [[sheet, address, previous, "", ""]
            for previous, cells in by_previous.items() for address in pack_addresses(cells)]
    rows += [[sheet, cell, before.get(cell, ""), notes.get(cell, ""), "是"] for cell in colors if cell in noted]
    return rows


def _as_text(value: Any) -> Any:
    """A value like "=A3" (the formula-in-cell finding shows the formula) stays text in the report."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def _link_formula(target: str, text: str) -> str:
    """=HYPERLINK("#'工作台账'!H11","H11"): a link written with the block, no per-cell call."""
    quote = lambda s: s.replace('"', '""')  # noqa: E731
    return f'=HYPERLINK("{quote(target)}","{quote(text)}")'


def restore_marks(book: Any, rows: list[list[Any]]) -> WriteCount:
    """Put back the fills and notes recorded in the marks sheet's `rows` (header excluded)."""
    names = {s.name for s in book.sheets}
    by_sheet: dict[str, list[list[Any]]] = {}
    for row in rows:
        if len(row) >= 3 and row[0] and row[0] in names and row[1]:
            by_sheet.setdefault(str(row[0]), []).append(row)
    count = WriteCount()
    with sheetio.ScreenFrozen(book):
        for name, marks in by_sheet.items():
            sheet = book.sheets[name]
            colors = {cell: (str(r[2]) if r[2] else None) for r in marks for cell in sheetio.expand(str(r[1]))}
            sheetio.paint(book, sheet, colors, count)
            for r in marks:
                old_note = str(r[3]) if len(r) > 3 and r[3] else ""
                added = len(r) <= 4 or str(r[4] or "") == "是"  # marks sheets before 0.2 noted every cell
                if not added or old_note == KEEP_NOTE:
                    continue
                if old_note:
                    sheetio.add_note(sheet[str(r[1])], old_note)  # the user's own note comes back
                else:
                    sheetio.delete_note(sheet[str(r[1])])
    return count
