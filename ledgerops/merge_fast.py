"""Writing OUT without loading the master into openpyxl, when a merge only changes cells in place.

openpyxl parses and re-writes every cell of the master (on 20,000 rows, about 60 % of a merge).
When no row is inserted, OUT differs from the master only in the cells the merge writes, their
fills and notes, styles.xml (a fill and an xf per new look) and the sheets 合并记录 and 冲突. So
here the master's parts are carried over as they are: rows without edits byte for byte, the
edited <c> elements rewritten (text as inline strings, each cell keeping its own style but for
the fill), the report sheets made by the same openpyxl code as the slow path (in a workbook of
their own, grafted in), and OUT is validated from the grid the master was read into.

Anything this does not handle raises FastPathUnavailable before anything is written, and merge
takes the openpyxl path (merge_out): .xlsm or .xls masters, inserted rows, parts openpyxl would
drop (they would be kept here, and the two outputs would differ), notes on a sheet that already
has notes, values that are neither text nor numbers, a master that already has 合并记录 or 冲突.
tests/test_merge_fast.py checks that both paths give the same workbook and the same findings.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field, fields
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .merge_result import CONFLICT_SHEET, LOG_SHEET, MergeResult

if TYPE_CHECKING:
    from taizhang.validator.findings import Finding
    from taizhang.validator.reader import Ledger

    from .merge_gather import NewRow

_RELS_NS = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_CALC_CHAIN = re.compile(rb'<(?:Override|Relationship)\b[^>]*calcChain[^>]*/>')
_ROW = re.compile(rb'<row\b([^>]*?)(/?)>')
_CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
_ATTR_R = re.compile(rb'\br="([A-Z]+)(\d+)"')
_ATTR_S = re.compile(rb'\bs="(\d+)"')
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# elements that come after <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order)
_AFTER_LEGACY = (b"<legacyDrawingHF", b"<drawingHF", b"<picture", b"<oleObjects", b"<controls",
                 b"<webPublishItems", b"<tableParts", b"<extLst", b"</worksheet>")
_AFTER_NAMES = (b"<calcPr", b"<oleSize", b"<customWorkbookViews", b"<pivotCaches", b"<smartTagPr",
                b"<smartTagTypes", b"<webPublishing", b"<fileRecoveryPr", b"<webPublishObjects", b"<extLst",
                b"</workbook>")


class FastPathUnavailable(Exception):
    """This merge needs the openpyxl path; nothing has been written."""


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
        edit = self._at(row, col)
        edit.note = text if not edit.note else edit.note.rstrip() + "\n—\n" + text

    def is_merged(self, row: int, col: int) -> bool:
        raise FastPathUnavailable("rows to insert")


@dataclass
class FastOut:
    """OUT ready to be written (`write(path)`), and what the merge did (`result`)."""

    result: MergeResult
    data: bytes

    def write(self, path: Path) -> None:
        Path(path).write_bytes(self.data)


def _zipped(master: Path, parts: dict[str, bytes | None]) -> bytes:
    """The master's zip with the members in `parts` replaced, added or (None) left out."""
    buf = io.BytesIO()
    with zipfile.ZipFile(master) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in parts:
                dst.writestr(_fresh(info), src.read(info))
            elif parts[info.filename] is not None:
                dst.writestr(_fresh(info), parts[info.filename])
        known = set(src.namelist())
        for name, data in parts.items():
            if name not in known and data is not None:
                dst.writestr(name, data)
    return buf.getvalue()


def _fresh(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    out = zipfile.ZipInfo(info.filename, info.date_time)
    out.compress_type = zipfile.ZIP_DEFLATED
    out.external_attr = info.external_attr
    return out


def fast_out(master: Path, out: Path, base: "Ledger", kept: dict[str, Any], cells: dict, new_rows: list["NewRow"],
             accept_new_rows: bool, result: MergeResult) -> FastOut:
    """OUT made from the master's own parts; raises FastPathUnavailable when merge_out must do it.

    `result` is left untouched on FastPathUnavailable; on success the returned FastOut holds the
    result to use instead (a copy with the merge recorded).
    """
    from taizhang.validator.filecheck import sniff

    from .keep import _X14_DV_URI, unkept_parts
    from .merge_out import mark_invalid, record

    if Path(master).suffix.lower() != ".xlsx" or Path(out).suffix.lower() != ".xlsx" or "grid" not in kept:
        raise FastPathUnavailable("not .xlsx to .xlsx")
    if accept_new_rows and new_rows:
        raise FastPathUnavailable("rows to insert")
    kind = sniff(master)
    part = kind.sheets.get(base.sheet)
    if kind.kind != "xlsx" or kind.needs_repair or part is None or kind.workbook != "xl/workbook.xml":
        raise FastPathUnavailable("not a plain xlsx package")
    if LOG_SHEET in kind.sheets or CONFLICT_SHEET in kind.sheets or unkept_parts(master):
        raise FastPathUnavailable("an earlier log, or parts openpyxl drops")
    parts = _MasterParts.read(Path(master), part)
    if any(_X14_DV_URI in xml for xml in parts.sheets.values()):
        raise FastPathUnavailable("Excel 2010 dropdowns (openpyxl rewrites them)")
    if b't="array"' in parts.sheet or b't="dataTable"' in parts.sheet:
        raise FastPathUnavailable("array formulas")

    trial = MergeResult(**{f.name: _copied(getattr(result, f.name)) for f in fields(MergeResult)})
    recorded = RecordedCells()
    log = record(base, recorded, cells, new_rows, [], lambda r: r, trial)
    parts.check_notes(recorded)
    later = _findings_later(base, kept, recorded)  # on the other core, while OUT is put together
    try:
        book = _report_book(log, trial.conflicts)
        made = parts.assemble(recorded, book, base.sheet) if later is not None else None
        trial.findings = later.result() if later is not None else _validate(base, kept, recorded)
    finally:
        if later is not None:
            later.close()
    marked = any(f.cell in trial.changed_cells for f in trial.findings)
    mark_invalid(recorded, trial)
    if made is None or marked:  # applied values that fail validation: their fills and notes too
        parts.check_notes(recorded)
        made = parts.assemble(recorded, book, base.sheet)
    return FastOut(trial, made)


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

    @property
    def sheet(self) -> bytes:
        return self.sheets[self.part]

    @classmethod
    def read(cls, master: Path, part: str) -> "_MasterParts":
        wanted = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml")
        with zipfile.ZipFile(master) as zf:
            names = set(zf.namelist())
            if not names.issuperset(wanted) or part not in names:
                raise FastPathUnavailable("a package without styles")
            sheets = {n: zf.read(n) for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
            rels_name = _rels_of(part)
            rels = zf.read(rels_name) if rels_name in names else None
            return cls(master, names, sheets, {n: zf.read(n) for n in wanted}, part, rels_name, rels)

    def check_notes(self, recorded: RecordedCells) -> None:
        if any(e.note for e in recorded.edits.values()) and (
                b"<legacyDrawing" in self.sheet or self.rels is not None and b"comments" in self.rels):
            raise FastPathUnavailable("notes on a sheet that has notes")

    def assemble(self, recorded: RecordedCells, book: bytes, ledger_sheet: str) -> bytes:
        """OUT's bytes: the master's zip with the ledger sheet patched, styles, notes and the report sheets."""
        styles = _Styles(self.package["xl/styles.xml"])
        package = _Package(self.package, self.names)
        new: dict[str, bytes | None] = {}
        xml = _patch_rows(self.sheet, recorded.edits, styles)
        notes = {k: e.note for k, e in recorded.edits.items() if e.note}
        if notes:
            xml, new[self.rels_name] = _add_notes(xml, self.rels, notes, package, new)
        new[self.part] = xml
        for title, sheet_xml, names_xml in _graft(book, styles):
            package.add_sheet(title, sheet_xml, names_xml, new)
        package.activate(ledger_sheet)
        new["xl/styles.xml"] = styles.xml()
        new.update(package.parts())
        return _zipped(self.master, new)


def _copied(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, set):
        return set(value)
    return value


def _rels_of(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


# ----------------------------------------------------------------------------- validating OUT

def _validate(base: "Ledger", kept: dict[str, Any], recorded: RecordedCells) -> list["Finding"]:
    """Validate OUT as merge_out's _validate_out would read it from openpyxl: the master's grid with
    the merge's values in it, formula cells holding their formula text, as openpyxl shows them."""
    from taizhang.validator.reader import read_grid
    from taizhang.validator.validate import Options, validate_ledger

    grid = [list(row) for row in kept["grid"]]
    written = {k for k, e in recorded.edits.items() if e.has_value}
    for (r, c), formula in base.formulas.items():
        if (r, c) not in written:
            _put(grid, r, c, formula)
    for (r, c), e in recorded.edits.items():
        if e.has_value:
            _put(grid, r, c, "" if e.value is None else e.value)
    ledger = read_grid(grid, sheet=base.sheet, path=base.path, ledger_type=base.ledger_type, merged=kept["merged"],
                       metadata=base.metadata)
    if ledger is None:
        return []
    rows = set(ledger.rows)
    ledger.formulas = {k: f for k, f in base.formulas.items() if k[0] in rows and k not in written}
    findings, _ = validate_ledger(ledger, Options())
    return findings


_VALIDATING: tuple | None = None  # what the forked validator inherits


def _findings_later(base: "Ledger", kept: dict[str, Any], recorded: RecordedCells) -> "_Later | None":
    """Validate OUT in a forked process while this one puts OUT together. None on one core, or
    where forking is unsafe (threads: the add-in, a service): then validate first, here."""
    import os

    from taizhang.validator.isolate import _forkable

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return _Later(base, kept, recorded) if cores >= 2 and _forkable() else None


class _Later:
    """The findings of OUT, computed by a forked child that inherits the grid (nothing pickled
    but the findings coming back)."""

    def __init__(self, base: "Ledger", kept: dict[str, Any], recorded: RecordedCells) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _VALIDATING
        self.args = (base, kept, recorded)
        _VALIDATING = self.args
        try:
            self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
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

def _patch_rows(xml: bytes, edits: dict[tuple[int, int], _Edit], styles: "_Styles") -> bytes:
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


def _row_xml(r: int, attrs: bytes, body: bytes, edits: dict[int, _Edit], styles: "_Styles") -> bytes:
    from openpyxl.utils.cell import column_index_from_string as col_index
    from openpyxl.utils.cell import get_column_letter as letter

    cells: list[tuple[int, bytes]] = []
    done = set()
    for m in _CELL.finditer(body):
        ref = _ATTR_R.search(m.group(1))
        if ref is None:
            raise FastPathUnavailable("a cell without its address")
        c = col_index(ref.group(1).decode())
        edit = edits.get(c)
        if edit is None:
            cells.append((c, m.group(0)))
            continue
        done.add(c)
        s = _ATTR_S.search(m.group(1))
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


def _cell_xml(ref: bytes, style: int | None, old: re.Match | None, edit: _Edit, styles: "_Styles") -> bytes:
    """One <c>: the new value (or the old content) with the style the merge's fill gives it."""
    if edit.fill is not None:
        style = styles.with_fill(style, edit.fill)
    s = b"" if style is None else b' s="%d"' % style
    if not edit.has_value:
        attrs = _ATTR_S.sub(b"", old.group(1)) if old is not None else b" " + ref
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


def _add_notes(xml: bytes, rels: bytes | None, notes: dict[tuple[int, int], str], package: "_Package",
               parts: dict[str, bytes | None]) -> tuple[bytes, bytes]:
    """Comments and their VML shapes as openpyxl writes them, linked from the sheet."""
    from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
    from openpyxl.utils.cell import get_column_letter
    from openpyxl.xml.functions import tostring

    from .xlsx_out import note

    xml = _declare_r(xml, b"<worksheet")
    records = []
    for (r, c), text in sorted(notes.items()):
        holder = type("Holder", (), {})()
        holder._comment, holder.coordinate = note(text), f"{get_column_letter(c)}{r}"
        records.append(CommentRecord.from_cell(holder))
    sheet = CommentSheet.from_comments(records)
    n = package.free_number("xl/comments/comment{}.xml", "xl/drawings/commentsDrawing{}.vml")
    comments, vml = f"xl/comments/comment{n}.xml", f"xl/drawings/commentsDrawing{n}.vml"
    parts[comments] = tostring(sheet.to_tree())
    parts[vml] = sheet.write_shapes(None)
    package.content_type(f'<Override PartName="/{comments}" ContentType="application/vnd.openxmlformats-'
                         'officedocument.spreadsheetml.comments+xml"/>',
                         '<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.vmlDrawing"/>')
    rels = rels or (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>')
    vml_id, comments_id = _free_id(rels, "tzVml"), _free_id(rels, "tzComments")
    rels = rels.replace(b"</Relationships>", (
        f'<Relationship Id="{comments_id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'comments" Target="/{comments}"/><Relationship Id="{vml_id}" Type="http://schemas.openxmlformats.org/'
        f'officeDocument/2006/relationships/vmlDrawing" Target="/{vml}"/></Relationships>').encode())
    at = min(i for i in (xml.find(tag) for tag in _AFTER_LEGACY) if i >= 0)
    return xml[:at] + f'<legacyDrawing r:id="{vml_id}"/>'.encode() + xml[at:], rels


def _declare_r(xml: bytes, root: bytes) -> bytes:
    """`xml` with the r: prefix (relationship ids) declared on its root element, as added parts need."""
    end = xml.find(b">", xml.find(root))
    if b"xmlns:r=" not in xml[:end]:
        return xml[:end] + b" " + _RELS_NS + xml[end:]
    if _RELS_NS not in xml[:end]:
        raise FastPathUnavailable("r: bound to something else")
    return xml


def _free_id(rels: bytes, stem: str) -> str:
    n = 1
    while f'Id="{stem}{n}"'.encode() in rels:
        n += 1
    return f"{stem}{n}"


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


def _graft(book: bytes, styles: "_Styles"):
    """(title, sheet XML, defined names XML) of each sheet of `book`, its styles moved into
    `styles` and its shared strings made inline."""
    import html

    with zipfile.ZipFile(io.BytesIO(book)) as zf:
        strings = _shared_strings(zf.read("xl/sharedStrings.xml")) if "xl/sharedStrings.xml" in zf.namelist() else []
        remap = styles.graft(zf.read("xl/styles.xml"))
        workbook = zf.read("xl/workbook.xml")
        names = re.findall(rb'<definedName\b[^>]*>.*?</definedName>', workbook, re.S)
        titles = [html.unescape(t.decode("utf-8")) for t in re.findall(rb'<sheet\b[^>]*?\bname="([^"]*)"', workbook)]
        for i, title in enumerate(titles):
            xml = zf.read(f"xl/worksheets/sheet{i + 1}.xml")
            if re.search(rb'<(?:row|col)\b[^>]*\b(?:s|style)="', xml):
                raise FastPathUnavailable("row or column styles in a report sheet")
            xml = _CELL.sub(lambda m: _inline(m, strings, remap), xml)
            own = [n for n in names if f'localSheetId="{i}"'.encode() in n]
            yield title, xml, own


def _shared_strings(xml: bytes) -> list[bytes]:
    return [m.group(1) for m in re.finditer(rb"<si>(.*?)</si>", xml, re.S)]


def _inline(m: re.Match, strings: list[bytes], remap: dict[int, int]) -> bytes:
    attrs = _ATTR_S.sub(lambda s: b's="%d"' % remap[int(s.group(1))], m.group(1))
    inner = m.group(2)
    if inner is None:
        return b"<c" + attrs + b"/>"
    if b't="s"' in attrs:
        k = int(re.search(rb"<v>(\d+)</v>", inner).group(1))
        return b"<c" + attrs.replace(b't="s"', b't="inlineStr"') + b"><is>" + strings[k] + b"</is></c>"
    return b"<c" + attrs + b">" + inner + b"</c>"


# ----------------------------------------------------------------------------- styles.xml

class _Styles:
    """styles.xml with fills, fonts, borders and cell formats appended; what is there stays as it is."""

    _SECTIONS = (("fonts", "font"), ("fills", "fill"), ("borders", "border"), ("cellXfs", "xf"))

    def __init__(self, xml: bytes) -> None:
        self.src = xml
        self.items: dict[str, list[bytes]] = {}
        self.spans: dict[str, tuple[int, int]] = {}
        for section, item in self._SECTIONS:
            m = re.search(rb"<%s\b[^>]*?(?:/>|>(.*?)</%s>)" % (section.encode(), section.encode()), xml, re.S)
            if m is None:
                raise FastPathUnavailable(f"styles.xml without <{section}>")
            self.spans[section] = m.span()
            self.items[section] = re.findall(rb"<%s\b[^>]*?(?:/>|>.*?</%s>)" % (item.encode(), item.encode()),
                                             m.group(1) or b"", re.S)
        self.added = {section: 0 for section, _ in self._SECTIONS}
        self._fills: dict[str, int] = {}
        self._xfs: dict[tuple[int | None, str], int] = {}

    def _add(self, section: str, item: bytes) -> int:
        self.items[section].append(item)
        self.added[section] += 1
        return len(self.items[section]) - 1

    def with_fill(self, style: int | None, color: str) -> int:
        """The xf of `style` (None: a cell without one) with a solid fill of `color`, as openpyxl's
        `cell.fill = fill(color)` leaves it."""
        key = (style, color)
        if key not in self._xfs:
            if color not in self._fills:
                argb = color if len(color) == 8 else "FF" + color
                self._fills[color] = self._add("fills", (
                    f'<fill><patternFill patternType="solid"><fgColor rgb="{argb}"/><bgColor rgb="{argb}"/>'
                    f'</patternFill></fill>').encode())
            fill_id = self._fills[color]
            if style is None:
                xf = b'<xf numFmtId="0" fontId="0" fillId="%d" borderId="0" xfId="0" applyFill="1"/>' % fill_id
            else:
                xf = self.items["cellXfs"][style]
                xf = _set_attr(_set_attr(xf, b"fillId", b"%d" % fill_id), b"applyFill", b"1")
            self._xfs[key] = self._add("cellXfs", xf)
        return self._xfs[key]

    def graft(self, other_xml: bytes) -> dict[int, int]:
        """Append another workbook's cell formats (and the fonts, fills and borders they use) to these;
        its defaults (font 0, fills 0-1, border 0) are these defaults, as for a new cell in openpyxl.
        Returns its xf index -> the index here."""
        other = _Styles(other_xml)
        if b"<numFmt " in other.src:
            raise FastPathUnavailable("a custom number format in a report sheet")
        maps: dict[str, dict[int, int]] = {}
        for section, keep in (("fonts", 1), ("fills", 2), ("borders", 1)):
            maps[section] = {i: i if i < keep else self._add(section, item)
                             for i, item in enumerate(other.items[section])}
        out = {}
        for i, xf in enumerate(other.items["cellXfs"]):
            for attr, section in ((b"fontId", "fonts"), (b"fillId", "fills"), (b"borderId", "borders")):
                m = re.search(rb'\b%s="(\d+)"' % attr, xf)
                if m:
                    xf = _set_attr(xf, attr, b"%d" % maps[section][int(m.group(1))])
            out[i] = self._add("cellXfs", xf)
        return out

    def xml(self) -> bytes:
        xml = self.src
        for section, _ in sorted(self._SECTIONS, key=lambda s: -self.spans[s[0]][0]):
            if not self.added[section]:
                continue
            a, b = self.spans[section]
            items = self.items[section]
            xml = xml[:a] + b'<%s count="%d">' % (section.encode(), len(items)) + b"".join(items) + \
                b"</%s>" % section.encode() + xml[b:]
        return xml


def _set_attr(tag_xml: bytes, name: bytes, value: bytes) -> bytes:
    """Set an attribute on the first (start) tag of `tag_xml`."""
    head_end = tag_xml.find(b">")
    head, rest = tag_xml[:head_end], tag_xml[head_end:]
    pattern = re.compile(rb'\s%s="[^"]*"' % name)
    if pattern.search(head):
        head = pattern.sub(b' %s="%s"' % (name, value), head, count=1)
    else:
        closing = head.endswith(b"/")
        head = (head[:-1] if closing else head) + b' %s="%s"' % (name, value) + (b"/" if closing else b"")
    return head + rest


# ----------------------------------------------------------------------------- the package

class _Package:
    """workbook.xml, its rels and [Content_Types].xml, with sheets and parts added."""

    def __init__(self, parts: dict[str, bytes], names: set[str]) -> None:
        self.book = parts["xl/workbook.xml"]
        if b"<workbook" not in self.book or b"<sheets>" not in self.book:
            raise FastPathUnavailable("workbook.xml with prefixes")
        self.book = _declare_r(self.book, b"<workbook")
        self.rels = _CALC_CHAIN.sub(b"", parts["xl/_rels/workbook.xml.rels"])  # openpyxl drops it too
        self.types = _CALC_CHAIN.sub(b"", parts["[Content_Types].xml"])
        self.names = set(names)
        self.dropped = [n for n in names if n.endswith("calcChain.xml")]

    def free_number(self, *patterns: str) -> int:
        n = 1
        while any(p.format(n) in self.names for p in patterns):
            n += 1
        for p in patterns:
            self.names.add(p.format(n))
        return n

    def content_type(self, override: str, default: str | None = None) -> None:
        add = override
        if default is not None and b'Extension="vml"' not in self.types:
            add = default + override
        self.types = self.types.replace(b"</Types>", add.encode() + b"</Types>")

    def add_sheet(self, title: str, xml: bytes, names: list[bytes], parts: dict[str, bytes | None]) -> None:
        index = len(re.findall(rb"<sheet\b", self.book))
        n = self.free_number("xl/worksheets/sheet{}.xml")
        part = f"xl/worksheets/sheet{n}.xml"
        parts[part] = xml
        rid = _free_id(self.rels, "tzSheet")
        self.rels = self.rels.replace(b"</Relationships>", f'<Relationship Id="{rid}" Type="{_WORKSHEET_TYPE}" '
                                      f'Target="/{part}"/></Relationships>'.encode())
        self.content_type(f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-'
                          'officedocument.spreadsheetml.worksheet+xml"/>')
        ids = [int(i) for i in re.findall(rb'<sheet\b[^>]*\bsheetId="(\d+)"', self.book)]
        entry = f'<sheet name="{escape(title)}" sheetId="{max(ids, default=0) + 1}" r:id="{rid}"/>'.encode()
        self.book = self.book.replace(b"</sheets>", entry + b"</sheets>", 1)
        own = b"".join(re.sub(rb'localSheetId="\d+"', b'localSheetId="%d"' % index, n) for n in names)
        if not own:
            return
        if b"</definedNames>" in self.book:
            self.book = self.book.replace(b"</definedNames>", own + b"</definedNames>", 1)
        elif b"<definedNames/>" in self.book:
            self.book = self.book.replace(b"<definedNames/>", b"<definedNames>" + own + b"</definedNames>", 1)
        else:
            at = min(i for i in (self.book.find(tag) for tag in _AFTER_NAMES) if i >= 0)
            self.book = self.book[:at] + b"<definedNames>" + own + b"</definedNames>" + self.book[at:]

    def activate(self, sheet: str) -> None:
        """The ledger's sheet is the one OUT opens on (openpyxl's `wb.active = ...`)."""
        import html

        titles = [html.unescape(t.decode("utf-8")) for t in re.findall(rb'<sheet\b[^>]*?\bname="([^"]*)"', self.book)]
        if sheet not in titles:
            raise FastPathUnavailable("the ledger's sheet is not in workbook.xml")
        index = titles.index(sheet)
        view = re.search(rb"<workbookView\b[^>]*?/?>", self.book)
        if view is None:
            if index:
                self.book = self.book.replace(b"<sheets>", b'<bookViews><workbookView activeTab="%d"/></bookViews>'
                                              b"<sheets>" % index, 1)
            return
        self.book = self.book[:view.start()] + _set_attr(view.group(0), b"activeTab", b"%d" % index) + \
            self.book[view.end():]

    def parts(self) -> dict[str, bytes | None]:
        out: dict[str, bytes | None] = {"xl/workbook.xml": self.book, "xl/_rels/workbook.xml.rels": self.rels,
                                        "[Content_Types].xml": self.types}
        out.update(dict.fromkeys(self.dropped))
        return out
