"""A small, fast .xlsx writer for benchmark ledgers.

openpyxl's normal mode holds every cell as an object (a 100,000-row ledger takes minutes and
gigabytes) and its write-only mode cannot merge cells, which the 000 seed's shape needs. The
workbook here is what Excel itself writes: shared strings, a styles part, vertical merges,
frozen header, column widths. Output is deterministic (fixed zip timestamps) for a given input.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable
from xml.sax.saxutils import escape

ZIP_TIME = (2019, 4, 22, 0, 0, 0)

# style ids in STYLES below
TITLE, HEADER, BODY_LEFT, BODY_CENTRE, BODY_TEXT, BODY_DATE = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True, slots=True)
class Formula:
    """A cell holding a formula (no cached value, as a workbook saved by a script has)."""

    text: str  # without the leading "="
    cached: str | None = None  # the value Excel saved with it, if any


@dataclass(slots=True)
class Sheet:
    name: str
    rows: list[list[object]]  # cell values: str, int, float, Formula, None
    styles: list[list[int]] | None = None  # style id per cell, same shape as rows (or None: 0)
    widths: list[float] | None = None
    heights: dict[int, float] | None = None  # 1-based row -> points
    merges: list[str] | None = None  # "A3:A5"
    freeze_row: int | None = None  # rows above this (1-based) stay on screen
    hidden: bool = False


def col_letter(index: int) -> str:
    """1-based column number to letters (1 -> A, 27 -> AA)."""
    out = ""
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="0"/>
<fonts count="3">
<font><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>
<font><b/><sz val="16"/><name val="宋体"/><family val="3"/><charset val="134"/></font>
<font><b/><sz val="11"/><name val="宋体"/><family val="3"/><charset val="134"/></font>
</fonts>
<fills count="3">
<fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill>
<fill><patternFill patternType="solid"><fgColor rgb="FFD9E1F2"/><bgColor indexed="64"/></patternFill></fill>
</fills>
<borders count="2">
<border><left/><right/><top/><bottom/><diagonal/></border>
<border><left style="thin"><color rgb="FF000000"/></left><right style="thin"><color rgb="FF000000"/></right><top style="thin"><color rgb="FF000000"/></top><bottom style="thin"><color rgb="FF000000"/></bottom><diagonal/></border>
</borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="7">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>
<xf numFmtId="0" fontId="2" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment horizontal="left" vertical="top" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top" wrapText="1"/></xf>
<xf numFmtId="49" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top" wrapText="1"/></xf>
<xf numFmtId="14" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="top" wrapText="1"/></xf>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>
"""

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
{sheets}<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>
</Types>
"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>
</Relationships>
"""

CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<dc:title>{title}</dc:title><dc:creator>taizhang bench/generate.py</dc:creator>
<dcterms:created xsi:type="dcterms:W3CDTF">2019-04-22T00:00:00Z</dcterms:created>
<dcterms:modified xsi:type="dcterms:W3CDTF">2019-04-22T00:00:00Z</dcterms:modified>
</cp:coreProperties>
"""

APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Excel</Application></Properties>
"""


class _Strings:
    """The shared-string table: each distinct text stored once, as Excel does."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.count = 0

    def ref(self, text: str) -> int:
        self.count += 1
        i = self.index.get(text)
        if i is None:
            i = self.index[text] = len(self.index)
        return i

    def xml(self) -> str:
        items = "".join(
            f'<si><t xml:space="preserve">{escape(t)}</t></si>' if t != t.strip() or "\n" in t else f"<si><t>{escape(t)}</t></si>"
            for t in self.index
        )
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="{self.count}" uniqueCount="{len(self.index)}">{items}</sst>')


def _sheet_xml(sheet: Sheet, strings: _Strings, selected: bool) -> str:
    ncols = max((len(r) for r in sheet.rows), default=1)
    nrows = len(sheet.rows)
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">',
             '' if sheet.hidden else '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
             f'<dimension ref="A1:{col_letter(ncols)}{max(nrows, 1)}"/>']
    view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "") + ">"
    if sheet.freeze_row and sheet.freeze_row > 1:
        top = sheet.freeze_row
        view += (f'<pane ySplit="{top - 1}" topLeftCell="A{top}" activePane="bottomLeft" state="frozen"/>'
                 f'<selection pane="bottomLeft" activeCell="A{top}" sqref="A{top}"/>')
    parts.append(f"<sheetViews>{view}</sheetView></sheetViews>")
    parts.append('<sheetFormatPr defaultRowHeight="13.5"/>')
    if sheet.widths:
        parts.append("<cols>" + "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(sheet.widths, 1)) + "</cols>")
    parts.append("<sheetData>")
    letters = [col_letter(i) for i in range(1, ncols + 1)]
    heights = sheet.heights or {}
    for r, row in enumerate(sheet.rows, 1):
        style_row = sheet.styles[r - 1] if sheet.styles else None
        ht = heights.get(r)
        cells = []
        for c, value in enumerate(row):
            s = style_row[c] if style_row else 0
            ref = f"{letters[c]}{r}"
            sa = f' s="{s}"' if s else ""
            if value is None or value == "":
                if s:
                    cells.append(f'<c r="{ref}"{sa}/>')
            elif isinstance(value, str):
                cells.append(f'<c r="{ref}"{sa} t="s"><v>{strings.ref(value)}</v></c>')
            elif isinstance(value, Formula):
                cached = f' t="str"><f>{escape(value.text)}</f><v>{escape(value.cached)}</v>' if value.cached else f"><f>{escape(value.text)}</f>"
                cells.append(f'<c r="{ref}"{sa}{cached}</c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}"{sa} t="b"><v>{int(value)}</v></c>')
            else:
                cells.append(f'<c r="{ref}"{sa}><v>{value}</v></c>')
        attrs = f' ht="{ht}" customHeight="1"' if ht else ""
        parts.append(f'<row r="{r}"{attrs}>' + "".join(cells) + "</row>")
    parts.append("</sheetData>")
    if sheet.merges:
        parts.append(f'<mergeCells count="{len(sheet.merges)}">'
                     + "".join(f'<mergeCell ref="{m}"/>' for m in sheet.merges) + "</mergeCells>")
    parts.append('<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>')
    parts.append('<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>' if not sheet.hidden else "")
    parts.append("</worksheet>")
    return "".join(parts)


def write_xlsx(path: Path, sheets: Iterable[Sheet], title: str = "") -> None:
    """Write `sheets` into a new workbook at `path` (the first sheet is the active one)."""
    sheets = list(sheets)
    strings = _Strings()
    bodies = [_sheet_xml(s, strings, i == 0) for i, s in enumerate(sheets)]
    wb_sheets = "".join(
        f'<sheet name="{escape(s.name)}" sheetId="{i}"' + (' state="hidden"' if s.hidden else "") + f' r:id="rId{i}"/>'
        for i, s in enumerate(sheets, 1))
    # print titles: repeat the title and header rows on every printed page
    names = "".join(
        f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">\'{escape(s.name)}\'!$1:${s.freeze_row - 1}</definedName>'
        for i, s in enumerate(sheets) if s.freeze_row and s.freeze_row > 1)
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f'<bookViews><workbookView/></bookViews><sheets>{wb_sheets}</sheets>'
                + (f"<definedNames>{names}</definedNames>" if names else "") + "</workbook>")
    n = len(sheets)
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
            + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/styles" Target="styles.xml"/>'
            + f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\n'
        for i in range(1, n + 1))
    parts = [("[Content_Types].xml", CONTENT_TYPES.format(sheets=overrides)), ("_rels/.rels", ROOT_RELS),
             ("docProps/core.xml", CORE.format(title=escape(title))), ("docProps/app.xml", APP),
             ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", rels), ("xl/styles.xml", STYLES)]
    parts += [(f"xl/worksheets/sheet{i}.xml", body) for i, body in enumerate(bodies, 1)]
    parts.append(("xl/sharedStrings.xml", strings.xml()))
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, text.encode("utf-8"))
    tmp.replace(path)
