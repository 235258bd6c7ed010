"""Writing OUT without loading the master into openpyxl, when a merge only changes cells in place.

openpyxl parses and re-writes every cell of the master (on 20,000 rows, about 60 % of a merge).
When no row is inserted, OUT differs from the master only in the cells the merge writes, their
fills and notes, styles.xml (a fill and an xf per new look) and the sheets 合并记录 and 冲突. So
here the master's parts are carried over as they are: rows without edits byte for byte, the
edited <c> elements rewritten (text as inline strings, each cell keeping its own style but for
the fill), the report sheets made by the same openpyxl code as the slow path (in a workbook of
their own, grafted in: xlsx_parts.py edits the package), and OUT is validated from the master's
grid with the merge's values put in, in a forked process while OUT is put together where there
are two cores.

Anything this does not handle raises FastPathUnavailable before anything is written, and merge
takes the openpyxl path (merge_out): .xlsm or .xls masters, inserted rows, parts openpyxl would
drop (they would be kept here, and the two outputs would differ), VML on the ledger sheet that is
more than its notes (a sheet's notes are all rewritten when one is added, as openpyxl does),
values that are neither text nor numbers, an earlier 合并记录 that is not a plain table
(merged cells, links, notes ...). An earlier 合并记录 gets this round's rows appended below its last
cell and an earlier 冲突 is taken out (this round's, if any, goes last), as merge_out.log_sheets does.
tests/test_merge_fast.py checks that both paths give the same workbook and the same findings.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, fields
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .merge_result import CONFLICT_SHEET, LOG_SHEET, MergeResult
from .xlsx_parts import (CELL, STYLE_ID, Package, PackageUnsupported, Styles, add_notes, append_rows, graft,
                         last_cell_row, member, more_notes, rels_of, write_zip)

if TYPE_CHECKING:
    from taizhang.validator.findings import Finding
    from taizhang.validator.reader import Ledger

    from .merge_gather import NewRow

_ROW = re.compile(rb'<row\b([^>]*?)(/?)>')
_ATTR_R = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# whatever the fast path cannot carry (here or in xlsx_parts) sends the merge to openpyxl; nothing is written
FastPathUnavailable = PackageUnsupported


@dataclass(slots=True)
class _Edit:
    value: Any = None
    has_value: bool = False
    fill: str | None = None
    note: str | None = None


class RecordedCells:
    """The cell writer of merge_out.record, recording instead of writing (see merge_out.SheetCells)."""

    def __init__(self) -> None:
        self.edits: dict[tuple[int, int], _Edit] = {}

    def _at(self, row: int, col: int) -> _Edit:
        edit = self.edits.get((row, col))
        if edit is None:
            edit = self.edits[(row, col)] = _Edit()
        return edit

    def value(self, row: int, col: int, value: Any) -> None:
        if isinstance(value, str):
            value = _ILLEGAL.sub("", value)
        elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            value = int(value)
        elif value is not None and not isinstance(value, (int, float)):  # dates take a number format
            raise FastPathUnavailable(f"a {type(value).__name__} value")
        edit = self._at(row, col)
        edit.value, edit.has_value = value, True

    def fill(self, row: int, col: int, color: str) -> None:
        self._at(row, col).fill = color

    def note(self, row: int, col: int, text: str) -> None:
        from .xlsx_out import below

        edit = self._at(row, col)
        edit.note = below(edit.note, text)

    def is_merged(self, row: int, col: int) -> bool:
        raise FastPathUnavailable("rows to insert")


@dataclass
class FastOut:
    """OUT ready to be written (`write(path)`), and what the merge did (`result`)."""

    result: MergeResult
    master: Path
    parts: dict[str, bytes | None]  # zip members replaced, added or (None) left out

    def write(self, path: Path) -> None:
        write_zip(Path(path), self.master, self.parts)  # compressed as it is written: no second copy in memory


def fast_out(master: Path, out: Path, base: "Ledger", cells: dict, new_rows: list["NewRow"], accept_new_rows: bool,
             result: MergeResult) -> FastOut:
    """OUT made from the master's own parts; raises FastPathUnavailable when merge_out must do it.

    `result` is left untouched on FastPathUnavailable; on success the returned FastOut holds the
    result to use instead (a copy with the merge recorded).
    """
    from taizhang.validator.filecheck import sniff

    from .keep import _X14_DV_URI, unkept_parts
    from .merge_out import mark_invalid, record

    if Path(master).suffix.lower() != ".xlsx" or Path(out).suffix.lower() != ".xlsx":
        raise FastPathUnavailable("not .xlsx to .xlsx")
    if accept_new_rows and new_rows:
        raise FastPathUnavailable("rows to insert")
    kind = sniff(master)
    part = kind.sheets.get(base.sheet)
    if kind.kind != "xlsx" or kind.needs_repair or part is None or kind.workbook != "xl/workbook.xml":
        raise FastPathUnavailable("not a plain xlsx package")
    if unkept_parts(master):
        raise FastPathUnavailable("parts openpyxl drops")
    reports = {title: kind.sheets[title] for title in (LOG_SHEET, CONFLICT_SHEET) if title in kind.sheets}
    parts = _MasterParts.read(Path(master), part, reports)
    if any(_X14_DV_URI in xml for xml in parts.sheets.values()):
        raise FastPathUnavailable("Excel 2010 dropdowns (openpyxl rewrites them)")
    if b't="array"' in parts.sheet or b't="dataTable"' in parts.sheet:
        raise FastPathUnavailable("array formulas")

    trial = MergeResult(**{f.name: _copied(getattr(result, f.name)) for f in fields(MergeResult)})
    recorded = RecordedCells()
    log = record(base, recorded, cells, new_rows, [], lambda r: r, trial)
    parts.check_notes(recorded)
    later = _findings_later(base, recorded)  # on the other core, while OUT is put together
    try:
        book = _report_book(log, trial.conflicts)
        made = parts.assemble(recorded, book, base.sheet) if later is not None else None
        trial.findings = later.result() if later is not None else _validate(base, recorded)
    finally:
        if later is not None:
            later.close()
    marked = any(f.cell in trial.changed_cells for f in trial.findings)
    mark_invalid(recorded, trial)
    if made is None or marked:  # applied values that fail validation: their fills and notes too
        parts.check_notes(recorded)
        made = parts.assemble(recorded, book, base.sheet)
    return FastOut(trial, Path(master), made)


@dataclass
class _MasterParts:
    """The parts of the master that OUT changes, read once."""

    master: Path
    names: set[str]
    sheets: dict[str, bytes]  # every worksheet part
    package: dict[str, bytes]  # workbook.xml, its rels, [Content_Types].xml, styles.xml
    part: str  # the ledger's sheet
    rels_name: str
    rels: bytes | None  # the ledger sheet's rels
    reports: dict[str, str]  # 合并记录 and 冲突 of an earlier merge: title -> part

    @property
    def sheet(self) -> bytes:
        return self.sheets[self.part]

    @classmethod
    def read(cls, master: Path, part: str, reports: dict[str, str]) -> "_MasterParts":
        wanted = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml")
        with zipfile.ZipFile(master) as zf:
            names = set(zf.namelist())
            if not names.issuperset(wanted) or part not in names or not names.issuperset(reports.values()):
                raise FastPathUnavailable("a package without styles")
            sheets = {n: zf.read(n) for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
            rels_name = rels_of(part)
            rels = zf.read(rels_name) if rels_name in names else None
            made = cls(master, names, sheets, {n: zf.read(n) for n in wanted}, part, rels_name, rels, reports)
        if LOG_SHEET in reports:
            last_cell_row(sheets[reports[LOG_SHEET]])  # raises now, before the merge, for a log not appendable
        if any(rels_of(p) in names for p in reports.values()):
            raise FastPathUnavailable("a report sheet with parts of its own (notes, links, pictures)")
        return made

    def check_notes(self, recorded: RecordedCells) -> None:
        if any(e.note for e in recorded.edits.values()):
            self.notes_parts()

    def notes_parts(self) -> tuple[str, bytes, str] | None:
        """The ledger sheet's own notes (comments part, its text, VML part), None if it has none;
        raises for VML that holds more than notes (openpyxl keeps only the notes)."""
        if b"<legacyDrawing" not in self.sheet and (self.rels is None or b"comments" not in self.rels):
            return None
        links = {}
        for rel in re.findall(rb"<Relationship\b[^>]*?/>", self.rels or b""):
            kind, target = re.search(rb'\bType="[^"]*/(\w+)"', rel), re.search(rb'\bTarget="([^"]*)"', rel)
            if kind and target and kind.group(1) in (b"comments", b"vmlDrawing"):
                if kind.group(1) in links:
                    raise FastPathUnavailable("two notes parts on the ledger sheet")
                links[kind.group(1)] = member(self.part, target.group(1).decode())
        if set(links) != {b"comments", b"vmlDrawing"} or not self.names.issuperset(links.values()):
            raise FastPathUnavailable("VML on the ledger sheet that is not its notes")
        with zipfile.ZipFile(self.master) as zf:
            comments, vml = zf.read(links[b"comments"]), zf.read(links[b"vmlDrawing"])
        kinds = set(re.findall(rb'ObjectType="([^"]*)"', vml))
        if kinds - {b"Note"} or len(re.findall(rb"<(?:[\w.-]+:)?shape\b", vml)) != vml.count(b'ObjectType="Note"'):
            raise FastPathUnavailable("VML on the ledger sheet that is not its notes")
        return links[b"comments"], comments, links[b"vmlDrawing"]

    def assemble(self, recorded: RecordedCells, book: bytes, ledger_sheet: str) -> dict[str, bytes | None]:
        """OUT's changed parts: the ledger sheet patched, styles, notes, the report sheets, the package."""
        styles = Styles(self.package["xl/styles.xml"])
        package = Package(self.package, self.names)
        new: dict[str, bytes | None] = {}
        xml = _patch_rows(self.sheet, recorded.edits, styles)
        notes = {k: e.note for k, e in recorded.edits.items() if e.note}
        had = self.notes_parts() if notes else None
        if had is not None:  # every note of the sheet rewritten, as openpyxl does
            new[had[0]], new[had[2]] = more_notes(had[1], notes)
        elif notes:
            xml, new[self.rels_name] = add_notes(xml, self.rels, notes, package, new)
        new[self.part] = xml
        if CONFLICT_SHEET in self.reports:  # replaced or, without conflicts this round, gone
            package.remove_sheet(CONFLICT_SHEET, new)
        for title, sheet_xml, names_xml in graft(book, styles):
            if title == LOG_SHEET and title in self.reports:  # the earlier 合并记录
                new[self.reports[title]], ref = append_rows(self.sheets[self.reports[title]], sheet_xml)
                package.filter_name(title, ref)
            else:
                package.add_sheet(title, sheet_xml, names_xml, new)
        package.activate(ledger_sheet)
        new["xl/styles.xml"] = styles.xml()
        new.update(package.parts())
        return new


def _copied(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, set):
        return set(value)
    return value


# ----------------------------------------------------------------------------- validating OUT

def _validate(base: "Ledger", recorded: RecordedCells) -> list["Finding"]:
    """Validate OUT as merge_out's _validate_out would read it from openpyxl: the master's grid with
    the merge's values in it, formula cells holding their formula text, as openpyxl shows them."""
    from taizhang.validator.reader import read_grid, sheet_grid
    from taizhang.validator.validate import Options, validate_ledger

    grid, merged = sheet_grid(base.path, base.sheet)
    written = {k for k, e in recorded.edits.items() if e.has_value}
    for (r, c), formula in base.formulas.items():
        if (r, c) not in written:
            _put(grid, r, c, formula)
    for (r, c), e in recorded.edits.items():
        if e.has_value:
            _put(grid, r, c, "" if e.value is None else e.value)
    ledger = read_grid(grid, sheet=base.sheet, path=base.path, ledger_type=base.ledger_type, merged=merged,
                       metadata=base.metadata)
    if ledger is None:
        return []
    rows = set(ledger.rows)
    ledger.formulas = {k: f for k, f in base.formulas.items() if k[0] in rows and k not in written}
    findings, _ = validate_ledger(ledger, Options())
    return findings


_VALIDATING: tuple | None = None  # what the forked validator inherits


def _findings_later(base: "Ledger", recorded: RecordedCells) -> "_Later | None":
    """Validate OUT in a forked process while this one puts OUT together. None on one core, or
    where forking is unsafe (threads: the add-in, a service): then validate first, here."""
    from .fanout import worker_count

    return _Later(base, recorded) if worker_count(2) > 1 else None


class _Later:
    """The findings of OUT, computed by a forked child (it reads the master's grid itself; nothing
    is pickled but the findings coming back)."""

    def __init__(self, base: "Ledger", recorded: RecordedCells) -> None:
        from .fanout import result_pool

        global _VALIDATING
        self.args = (base, recorded)
        _VALIDATING = self.args
        try:
            self.pool = result_pool(1)
            self.job = self.pool.submit(_validate_inherited)  # forks now: the child inherits _VALIDATING
        finally:
            _VALIDATING = None

    def result(self) -> list["Finding"]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return self.job.result()
        except BrokenProcessPool:  # killed from outside (the OOM killer): validate here instead
            return _validate(*self.args)

    def close(self) -> None:
        self.pool.shutdown(wait=self.job.done(), cancel_futures=True)


def _validate_inherited() -> list["Finding"]:
    return _validate(*_VALIDATING)


def _put(grid: list[list[Any]], row: int, col: int, value: Any) -> None:
    while len(grid) < row:
        grid.append([""] * (len(grid[0]) if grid else 0))
    line = grid[row - 1]
    if len(line) < col:
        line.extend([""] * (col - len(line)))
    line[col - 1] = value


# ----------------------------------------------------------------------------- the ledger sheet

def _patch_rows(xml: bytes, edits: dict[tuple[int, int], _Edit], styles: "Styles") -> bytes:
    """The sheet XML with the edited cells rewritten; every other byte as it was."""
    if not edits:
        return xml
    by_row: dict[int, dict[int, _Edit]] = {}
    for (r, c), e in edits.items():
        by_row.setdefault(r, {})[c] = e
    start = xml.find(b"<sheetData>")
    end = xml.find(b"</sheetData>")
    if start < 0 or end < 0:
        raise FastPathUnavailable("no <sheetData> (namespace prefix, or an empty sheet)")
    out, pos, seen = [], 0, set()
    for m in _ROW.finditer(xml, start, end):
        rm = _ROW_NUMBER.search(m.group(1))
        if rm is None:
            raise FastPathUnavailable("a row without its number")
        r = int(rm.group(1))
        if r not in by_row:
            continue
        seen.add(r)
        body_end = m.end() if m.group(2) else xml.index(b"</row>", m.end())
        out.append(xml[pos:m.start()])
        out.append(_row_xml(r, m.group(1), xml[m.end():body_end] if not m.group(2) else b"", by_row[r], styles))
        pos = body_end + (0 if m.group(2) else len(b"</row>"))
    missing = sorted(set(by_row) - seen)
    if missing:  # rows with no element at all: never a ledger row with an edit; be safe
        raise FastPathUnavailable(f"row {missing[0]} has no element")
    out.append(xml[pos:])
    return b"".join(out)


def _row_xml(r: int, attrs: bytes, body: bytes, edits: dict[int, _Edit], styles: "Styles") -> bytes:
    from openpyxl.utils.cell import column_index_from_string as col_index
    from openpyxl.utils.cell import get_column_letter as letter

    cells: list[tuple[int, bytes]] = []
    done = set()
    for m in CELL.finditer(body):
        ref = _ATTR_R.search(m.group(1))
        if ref is None:
            raise FastPathUnavailable("a cell without its address")
        c = col_index(ref.group(1).decode())
        edit = edits.get(c)
        if edit is None:
            cells.append((c, m.group(0)))
            continue
        done.add(c)
        s = STYLE_ID.search(m.group(1))
        cells.append((c, _cell_xml(ref.group(0), int(s.group(1)) if s else None, m, edit, styles)))
    added = False
    for c, edit in edits.items():
        if c not in done:
            cells.append((c, _cell_xml(f'r="{letter(c)}{r}"'.encode(), None, None, edit, styles)))
            added = True
    cells.sort(key=lambda x: x[0])
    if added:  # spans is a hint that must cover the row's cells
        attrs = re.sub(rb'\s+spans="[^"]*"', b"", attrs)
    return b"<row" + attrs + b">" + b"".join(x for _, x in cells) + b"</row>"


def _cell_xml(ref: bytes, style: int | None, old: re.Match | None, edit: _Edit, styles: "Styles") -> bytes:
    """One <c>: the new value (or the old content) with the style the merge's fill gives it."""
    if edit.fill is not None:
        style = styles.with_fill(style, edit.fill)
    s = b"" if style is None else b' s="%d"' % style
    if not edit.has_value:
        attrs = STYLE_ID.sub(b"", old.group(1)) if old is not None else b" " + ref
        inner = old.group(2) if old is not None else None
        return b"<c" + attrs.rstrip() + s + (b"/>" if inner is None else b">" + inner + b"</c>")
    v = edit.value
    if v is None:
        return b"<c " + ref + s + b"/>"
    if isinstance(v, bool):
        return b"<c " + ref + s + b' t="b"><v>' + (b"1" if v else b"0") + b"</v></c>"
    if isinstance(v, (int, float)):
        return b"<c " + ref + s + b"><v>" + repr(v).encode() + b"</v></c>"
    text = escape(v, quote=False).replace("\r", "&#13;")
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return b"<c " + ref + s + b' t="inlineStr"><is><t' + space.encode() + b">" + text.encode("utf-8") + b"</t></is></c>"


# ----------------------------------------------------------------------------- report sheets

def _report_book(log: list[list[Any]], conflicts: list[dict[str, Any]]) -> bytes:
    """合并记录 and 冲突 made by merge_out.log_sheets in a workbook of their own (saved to bytes)."""
    import openpyxl

    from .merge_out import log_sheets

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    log_sheets(wb, log, MergeResult(Path(), Path(), conflicts=conflicts))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
