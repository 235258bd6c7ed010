"""Editing the parts of an .xlsx package as bytes: what openpyxl would rewrite whole, changed in place.

Styles get fills, fonts, borders and cell formats appended (what is there keeps its index),
workbook.xml, its rels and [Content_Types].xml get sheets and parts added, a sheet gets notes
(the comments part and VML shapes openpyxl itself writes) and sheets made by openpyxl in a
workbook of their own are grafted in, their styles moved over and their strings made inline.
A report sheet the master already has is appended to (`append_rows`) or taken out
(`Package.remove_sheet`), as merge_out's openpyxl calls do.
Anything outside what these functions understand (namespace prefixes, custom number formats in
a grafted sheet ...) raises PackageUnsupported before anything is written.
"""

from __future__ import annotations

import io
import re
import zipfile
from html import escape
from pathlib import Path


class PackageUnsupported(Exception):
    """Something in the package these edits do not handle; the caller uses openpyxl instead."""


_RELS_NS = b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_CALC_CHAIN = re.compile(rb'<(?:Override|Relationship)\b[^>]*calcChain[^>]*/>')
CELL = re.compile(rb'<c\b([^>]*?)(?:/>|>(.*?)</c>)', re.S)
STYLE_ID = re.compile(rb'\bs="(\d+)"')
# elements that come after <legacyDrawing> in a worksheet (ECMA-376 CT_Worksheet order)
_AFTER_LEGACY = (b"<legacyDrawingHF", b"<drawingHF", b"<picture", b"<oleObjects", b"<controls",
                 b"<webPublishItems", b"<tableParts", b"<extLst", b"</worksheet>")
_AFTER_NAMES = (b"<calcPr", b"<oleSize", b"<customWorkbookViews", b"<pivotCaches", b"<smartTagPr",
                b"<smartTagTypes", b"<webPublishing", b"<fileRecoveryPr", b"<webPublishObjects", b"<extLst",
                b"</workbook>")


def member(part: str, target: str) -> str:
    """The zip member a relationship of `part` points to (targets are relative to its folder, or absolute)."""
    import posixpath

    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def rels_of(part: str) -> str:
    """The relationships part of `part`."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels"


def write_zip(target: Path, master: Path, parts: dict[str, bytes | None]) -> None:
    """Write to `target` the master's zip with the members in `parts` replaced, added or (None) left out."""
    with zipfile.ZipFile(master) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in parts:
                dst.writestr(_fresh(info), src.read(info))
            elif parts[info.filename] is not None:
                dst.writestr(_fresh(info), parts[info.filename])
        known = set(src.namelist())
        for name, data in parts.items():
            if name not in known and data is not None:
                dst.writestr(name, data)


def _fresh(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A member's name, time and mode, deflated (whatever the master's own compression)."""
    out = zipfile.ZipInfo(info.filename, info.date_time)
    out.compress_type = zipfile.ZIP_DEFLATED
    out.external_attr = info.external_attr
    return out


def add_notes(xml: bytes, rels: bytes | None, notes: dict[tuple[int, int], str], package: "Package",
              parts: dict[str, bytes | None]) -> tuple[bytes, bytes]:
    """Comments and their VML shapes as openpyxl writes them, linked from the sheet."""
    from openpyxl.utils.cell import get_column_letter

    from .xlsx_out import note

    xml = _declare_r(xml, b"<worksheet")
    n = package.free_number("xl/comments/comment{}.xml", "xl/drawings/commentsDrawing{}.vml")
    comments, vml = f"xl/comments/comment{n}.xml", f"xl/drawings/commentsDrawing{n}.vml"
    parts[comments], parts[vml] = _note_parts({f"{get_column_letter(c)}{r}": note(text)
                                               for (r, c), text in sorted(notes.items())})
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


def more_notes(comments: bytes, notes: dict[tuple[int, int], str]) -> tuple[bytes, bytes]:
    """A sheet's comments part with `notes` added, and the VML shapes of all its notes, as openpyxl
    writes a sheet it loaded: every note rewritten (text and author kept, shapes made anew), a
    note added to a cell that has one kept below the old text (xlsx_out.below)."""
    from openpyxl.comments.comment_sheet import CommentSheet
    from openpyxl.utils.cell import coordinate_from_string, get_column_letter
    from openpyxl.utils.cell import column_index_from_string as col_index
    from openpyxl.xml.functions import fromstring

    from .xlsx_out import below, note

    kept = dict(CommentSheet.from_tree(fromstring(comments)).comments)
    for (r, c), text in notes.items():
        ref = f"{get_column_letter(c)}{r}"
        kept[ref] = note(below(kept[ref].text if ref in kept else None, text))

    def place(ref: str) -> tuple[int, int]:
        letter, row = coordinate_from_string(ref)
        return row, col_index(letter)

    return _note_parts({ref: kept[ref] for ref in sorted(kept, key=place)})


def _note_parts(comments: dict) -> tuple[bytes, bytes]:
    """The comments part and its VML for openpyxl Comments by cell reference."""
    from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet
    from openpyxl.xml.functions import tostring

    records = []
    for ref, comment in comments.items():
        holder = type("Holder", (), {})()
        holder._comment, holder.coordinate = comment, ref
        records.append(CommentRecord.from_cell(holder))
    sheet = CommentSheet.from_comments(records)
    return tostring(sheet.to_tree()), sheet.write_shapes(None)


def _declare_r(xml: bytes, root: bytes) -> bytes:
    """`xml` with the r: prefix (relationship ids) declared on its root element, as added parts need."""
    end = xml.find(b">", xml.find(root))
    if b"xmlns:r=" not in xml[:end]:
        return xml[:end] + b" " + _RELS_NS + xml[end:]
    if _RELS_NS not in xml[:end]:
        raise PackageUnsupported("r: bound to something else")
    return xml


def _free_id(rels: bytes, stem: str) -> str:
    n = 1
    while f'Id="{stem}{n}"'.encode() in rels:
        n += 1
    return f"{stem}{n}"


def graft(book: bytes, styles: "Styles"):
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
                raise PackageUnsupported("row or column styles in a report sheet")
            xml = CELL.sub(lambda m: _inline(m, strings, remap), xml)
            own = [n for n in names if f'localSheetId="{i}"'.encode() in n]
            yield title, xml, own


_ROW_ELEMENT = re.compile(rb'<row\b[^>]*?\br="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_REF_ROW = re.compile(rb'(\br="[A-Z]*)(\d+)"')
_FILTER = re.compile(rb'(<autoFilter\b[^>]*?\bref=")([^"]*)(")')


def last_cell_row(xml: bytes) -> int:
    """openpyxl's `ws.max_row` of a sheet as it would load it (1 when it has no cell); raises
    PackageUnsupported for what would put cells elsewhere or rows below it (merged ranges,
    hyperlinks, cells or rows without an address, empty rows after the last cell)."""
    start, end = xml.find(b"<sheetData"), xml.find(b"</sheetData>")
    if start < 0 or b"<mergeCell" in xml or b"<hyperlink" in xml or _FILTER.search(xml) is None:
        raise PackageUnsupported("a report sheet with merged cells, links, no filter or prefixes")
    body = xml[start:end] if end >= 0 else b""
    rows = [int(r) for r in re.findall(rb'<row\b[^>]*?\br="(\d+)"', body)]
    cells = [int(r) for r in re.findall(rb'<c\b[^>]*?\br="[A-Z]+(\d+)"', body)]
    if len(rows) != len(re.findall(rb"<row\b", body)) or len(cells) != len(re.findall(rb"<c\b", body)):
        raise PackageUnsupported("rows or cells without their address in a report sheet")
    last = max(cells, default=1)
    if any(r > last for r in rows):
        raise PackageUnsupported("empty rows below a report sheet's last cell")
    return last


def append_rows(xml: bytes, report: bytes) -> tuple[bytes, str]:
    """The sheet `xml` with `report`'s rows from 2 on put below its last cell, where openpyxl's
    table_sheet(append=True) writes them, and its filter (and dimension) grown as it grows them.
    Returns the sheet and its filter's range."""
    from openpyxl.utils.cell import range_boundaries, get_column_letter

    last = last_cell_row(xml)
    shift = last - 1
    rows = [_REF_ROW.sub(lambda m: m.group(1) + b"%d\"" % (int(m.group(2)) + shift), m.group(0))
            for m in _ROW_ELEMENT.finditer(report) if int(m.group(1)) >= 2]
    end = last + len(rows)
    added = b"".join(rows)
    if b"<sheetData/>" in xml:
        xml = xml.replace(b"<sheetData/>", b"<sheetData>" + added + b"</sheetData>", 1)
    else:
        xml = xml.replace(b"</sheetData>", added + b"</sheetData>", 1)
    cols = _FILTER.search(report).group(2).decode().split(":")[-1].rstrip("0123456789")
    ref = f"A1:{cols}{end}"
    xml = _FILTER.sub(lambda m: m.group(1) + ref.encode() + m.group(3), xml, count=1)
    dim = re.search(rb'<dimension\b[^>]*?\bref="([^"]*)"', xml)
    if dim is not None and rows:
        c0, r0, c1, r1 = range_boundaries(dim.group(1).decode())
        c1 = max(c1 or 1, range_boundaries(ref)[2])
        grown = f"{get_column_letter(c0 or 1)}{r0 or 1}:{get_column_letter(c1)}{end}".encode()
        xml = xml[:dim.start(1)] + grown + xml[dim.end(1):]
    return xml, ref


def _shared_strings(xml: bytes) -> list[bytes]:
    return [m.group(1) for m in re.finditer(rb"<si>(.*?)</si>", xml, re.S)]


def _inline(m: re.Match, strings: list[bytes], remap: dict[int, int]) -> bytes:
    attrs = STYLE_ID.sub(lambda s: b's="%d"' % remap[int(s.group(1))], m.group(1))
    inner = m.group(2)
    if inner is None:
        return b"<c" + attrs + b"/>"
    if b't="s"' in attrs:
        k = int(re.search(rb"<v>(\d+)</v>", inner).group(1))
        return b"<c" + attrs.replace(b't="s"', b't="inlineStr"') + b"><is>" + strings[k] + b"</is></c>"
    return b"<c" + attrs + b">" + inner + b"</c>"


# ----------------------------------------------------------------------------- styles.xml

class Styles:
    """styles.xml with fills, fonts, borders and cell formats appended; what is there stays as it is."""

    _SECTIONS = (("fonts", "font"), ("fills", "fill"), ("borders", "border"), ("cellXfs", "xf"))

    def __init__(self, xml: bytes) -> None:
        self.src = xml
        self.items: dict[str, list[bytes]] = {}
        self.spans: dict[str, tuple[int, int]] = {}
        for section, item in self._SECTIONS:
            m = re.search(rb"<%s\b[^>]*?(?:/>|>(.*?)</%s>)" % (section.encode(), section.encode()), xml, re.S)
            if m is None:
                raise PackageUnsupported(f"styles.xml without <{section}>")
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
        other = Styles(other_xml)
        if b"<numFmt " in other.src:
            raise PackageUnsupported("a custom number format in a report sheet")
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

class Package:
    """workbook.xml, its rels and [Content_Types].xml, with sheets and parts added."""

    def __init__(self, parts: dict[str, bytes], names: set[str]) -> None:
        self.book = parts["xl/workbook.xml"]
        if b"<workbook" not in self.book or b"<sheets>" not in self.book:
            raise PackageUnsupported("workbook.xml with prefixes")
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
        self._add_names(b"".join(re.sub(rb'localSheetId="\d+"', b'localSheetId="%d"' % index, n) for n in names))

    def _add_names(self, own: bytes) -> None:
        if not own:
            return
        if b"</definedNames>" in self.book:
            self.book = self.book.replace(b"</definedNames>", own + b"</definedNames>", 1)
        elif b"<definedNames/>" in self.book:
            self.book = self.book.replace(b"<definedNames/>", b"<definedNames>" + own + b"</definedNames>", 1)
        else:
            at = min(i for i in (self.book.find(tag) for tag in _AFTER_NAMES) if i >= 0)
            self.book = self.book[:at] + b"<definedNames>" + own + b"</definedNames>" + self.book[at:]

    def _titles(self) -> list[str]:
        import html

        return [html.unescape(t.decode("utf-8")) for t in re.findall(rb'<sheet\b[^>]*?\bname="([^"]*)"', self.book)]

    def remove_sheet(self, title: str, parts: dict[str, bytes | None]) -> None:
        """Take a sheet out, as openpyxl's `del wb[title]`: its entry, relationship, content type,
        part and local names; the local names of the sheets after it follow them down."""
        index = self._titles().index(title)
        entry = re.findall(rb"<sheet\b[^>]*?/>", self.book)[index]
        rid = re.search(rb'\br:id="([^"]*)"', entry)
        rel = rid and re.search(rb'<Relationship\b[^>]*?\bId="%s"[^>]*?/>' % re.escape(rid.group(1)), self.rels)
        target = rel and re.search(rb'\bTarget="([^"]*)"', rel.group(0))
        if target is None:
            raise PackageUnsupported(f"{title}: no relationship to its part")
        part = member("xl/workbook.xml", target.group(1).decode())
        if rels_of(part) in self.names:
            raise PackageUnsupported(f"{title}: a report sheet with parts of its own")

        def renumber(m: re.Match) -> bytes:
            local = re.search(rb'\blocalSheetId="(\d+)"', m.group(0))
            if local is None:
                if title.encode() in m.group(0):
                    raise PackageUnsupported(f"a workbook name refers to {title}")
                return m.group(0)
            n = int(local.group(1))
            if n == index:
                return b""
            return m.group(0) if n < index else _set_attr(m.group(0), b"localSheetId", b"%d" % (n - 1))

        self.book = re.sub(rb"<definedName\b[^>]*>.*?</definedName>", renumber, self.book.replace(entry, b"", 1),
                           flags=re.S)
        self.rels = self.rels.replace(rel.group(0), b"", 1)
        self.types = re.sub(rb'<Override\b[^>]*?\bPartName="/%s"[^>]*?/>' % re.escape(part.encode()), b"", self.types)
        parts[part] = None

    def filter_name(self, title: str, ref: str) -> None:
        """The hidden name openpyxl writes for a sheet's filter, set to `ref` (added if missing)."""
        from openpyxl.utils.cell import absolute_coordinate, quote_sheetname

        index = self._titles().index(title)
        name = ('<definedName name="_xlnm._FilterDatabase" localSheetId="%d" hidden="1">%s</definedName>' % (
            index, escape(f"{quote_sheetname(title)}!{absolute_coordinate(ref)}", quote=False))).encode()
        old = re.compile(rb'<definedName\b(?=[^>]*\bname="_xlnm._FilterDatabase")(?=[^>]*\blocalSheetId="%d")'
                         rb'[^>]*>.*?</definedName>' % index, re.S)
        if old.search(self.book):
            self.book = old.sub(lambda m: name, self.book, count=1)
        else:
            self._add_names(name)

    def activate(self, sheet: str) -> None:
        """The ledger's sheet is the one OUT opens on (openpyxl's `wb.active = ...`)."""
        titles = self._titles()
        if sheet not in titles:
            raise PackageUnsupported("the ledger's sheet is not in workbook.xml")
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
