"""What survives openpyxl, and what does not: load a master keeping all it can, list the rest.

Split and merge rewrite the master with openpyxl, which keeps values, styles, merged cells,
comments, images (with Pillow), charts, pivot tables and plain data validation, but silently drops
other parts. Here the master is loaded with rich text, and Excel 2010's cross-sheet dropdowns
(stored in the sheet's extLst, which openpyxl drops) are turned into plain data validations,
which Excel, WPS and LibreOffice all read. What still cannot be kept is found by looking at the
zip parts of the master, so merge can list it in its report and on the terminal instead of losing
it without a word.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_X14_DV = re.compile(rb"<(?:\w+:)?dataValidation\b([^>]*)>(.*?)</(?:\w+:)?dataValidation>", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?formula([12])>\s*<(?:\w+:)?f>(.*?)</(?:\w+:)?f>", re.S)
_SQREF = re.compile(rb"<(?:\w+:)?sqref>(.*?)</(?:\w+:)?sqref>", re.S)
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_EXT_URI = re.compile(rb'<(?:\w+:)?ext\b[^>]*\buri="([^"]+)"')
_SHAPE = re.compile(rb"<(?:\w+:)?(sp|grpSp|cxnSp)[\s>]")
_X14_DV_URI = b"{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"
_REL_ID = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"[^>]*?/?>|'
                     rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"[^>]*?/?>')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]+)"[^>]*?\br:id="([^"]+)"')

# parts openpyxl does not read, by path prefix: (zh, en)
_PARTS = {
    "xl/vbaProject.bin": ("宏（VBA）", "macros (VBA)"),
    "xl/activeX/": ("ActiveX 控件", "ActiveX controls"),
    "xl/ctrlProps/": ("表单控件（按钮、复选框等）", "form controls"),
    "xl/embeddings/": ("嵌入对象", "embedded objects"),
    "xl/slicers/": ("切片器", "slicers"),
    "xl/timelines/": ("日程表", "timelines"),
    "xl/threadedComments/": ("批注回复（会保留为普通批注）", "threaded comment replies (kept as plain notes)"),
    "xl/connections.xml": ("数据连接", "data connections"),
    "xl/queryTables/": ("查询表", "query tables"),
    "xl/model/": ("数据模型", "data model"),
    "xl/richData/": ("单元格内图片", "pictures in cells"),
    "xl/charts/chartEx": ("新式图表（瀑布图、旭日图等）", "new chart types (waterfall, sunburst ...)"),
    "customXml/": ("自定义 XML 数据", "custom XML parts"),
}


@dataclass(slots=True)
class Unkept:
    """One kind of content openpyxl cannot keep, where it is and how much."""

    zh: str
    en: str
    where: str  # a sheet name or the workbook
    count: int = 1

    def text(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.where}：{self.zh}" + (f" {self.count} 处" if self.count > 1 else "")
        return f"{self.where}: {self.en}" + (f" ({self.count})" if self.count > 1 else "")

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"what": self.zh if lang == "zh" else self.en, "where": self.where, "count": self.count}


def load_keeping(path: Path, *, keep_vba: bool = False) -> Any:
    """openpyxl.load_workbook with rich text, and extLst dropdowns turned into plain ones."""
    import openpyxl

    from .merged_cells import fast_merged_loading

    with warnings.catch_warnings(), fast_merged_loading():  # "Data Validation extension ...": handled below
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path, keep_vba=keep_vba, rich_text=True)
    for sheet, xml in _sheet_xml(Path(path)):
        if sheet in wb.sheetnames and _X14_DV_URI in xml:
            _add_validations(wb[sheet], xml)
    for ws in wb.worksheets:
        for img in ws._images:
            _rereadable(img)
    return wb


class _KeepOpen(io.BytesIO):
    """Picture bytes openpyxl may read more than once: its Image closes what it read after one save."""

    def close(self) -> None:
        self.seek(0)


def _rereadable(img: Any) -> None:
    """Let a loaded picture be saved any number of times (split saves one workbook per department)."""
    from PIL import Image as PILImage

    img.ref = PILImage.open(_KeepOpen(img._data()))


def unkept_parts(path: Path, *, keep_vba: bool = False) -> list[Unkept]:
    """What of the workbook at `path` openpyxl would drop on a load and save, by looking at its parts."""
    found: list[Unkept] = []
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            for prefix, (zh, en) in _PARTS.items():
                if prefix == "xl/vbaProject.bin" and keep_vba:
                    continue
                hits = [n for n in names if n.startswith(prefix)]
                if hits:
                    found.append(Unkept(zh, en, "工作簿", len(hits)))
            odd = [n for n in names if n.startswith("xl/media/") and n.lower().endswith((".emf", ".wmf"))]
            if odd:
                found.append(Unkept("EMF/WMF 格式的图片", "EMF/WMF pictures", "工作簿", len(odd)))
            for sheet, xml, drawing in _sheets_with_drawings(zf):
                shapes = len(_SHAPE.findall(drawing)) if drawing else 0
                if shapes:
                    found.append(Unkept("形状、文本框或箭头", "shapes, text boxes or arrows", sheet, shapes))
                if b"<legacyDrawingHF" in xml:
                    found.append(Unkept("页眉页脚中的图片", "pictures in headers and footers", sheet))
                tail = xml[xml.rfind(b"<extLst"):] if b"<extLst" in xml else b""
                other = [u for u in _EXT_URI.findall(tail) if u != _X14_DV_URI]
                if other:
                    found.append(Unkept("扩展格式（迷你图、数据条、图标集等）", "extended features (sparklines, data bars, icon sets ...)",
                                        sheet, len(other)))
    except (OSError, zipfile.BadZipFile, KeyError):
        return found
    return found


def _sheet_xml(path: Path):
    """(sheet name, sheet XML) of every worksheet in the workbook at `path`."""
    try:
        with zipfile.ZipFile(path) as zf:
            for sheet, xml, _ in _sheets_with_drawings(zf, drawings=False):
                yield sheet, xml
    except (OSError, zipfile.BadZipFile, KeyError):
        return


def _sheets_with_drawings(zf: zipfile.ZipFile, drawings: bool = True):
    """(sheet name, sheet XML, its drawing's XML or b"") for every worksheet part."""
    import html

    names = set(zf.namelist())
    targets = _rels(zf, "xl/_rels/workbook.xml.rels")
    for name, rid in _SHEET.findall(zf.read("xl/workbook.xml")):
        part = _resolve("xl/", targets.get(rid, b""))
        if part not in names or "worksheets/" not in part:
            continue
        xml = zf.read(part)
        drawing = b""
        if drawings and b"<drawing " in xml:
            folder, _, file = part.rpartition("/")
            for target in _rels(zf, f"{folder}/_rels/{file}.rels").values():
                d = _resolve(folder + "/", target)
                if "drawings/" in d and d in names and not d.endswith(".vml"):
                    drawing += zf.read(d)
        yield html.unescape(name.decode("utf-8")), xml, drawing


def _rels(zf: zipfile.ZipFile, part: str) -> dict[bytes, bytes]:
    try:
        data = zf.read(part)
    except KeyError:
        return {}
    out = {}
    for m in _REL_ID.finditer(data):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        out[rid] = target
    return out


def _resolve(folder: str, target: bytes) -> str:
    """A relationship target as a zip part name ("../drawings/x.xml" from "xl/worksheets/")."""
    t = target.decode("utf-8")
    if t.startswith("/"):
        return t.lstrip("/")
    parts = folder.rstrip("/").split("/")
    for piece in t.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _add_validations(ws: Any, xml: bytes) -> None:
    """Excel 2010 writes a dropdown whose list is on another sheet in extLst; add it as a plain one."""
    import html

    from openpyxl.worksheet.datavalidation import DataValidation

    tail = xml[xml.rfind(b"<extLst"):]
    for attrs, body in _X14_DV.findall(tail):
        sqref = _SQREF.search(body)
        if sqref is None:
            continue
        a = {k.decode(): html.unescape(v.decode("utf-8")) for k, v in _ATTR.findall(attrs)}
        formulas = {n: html.unescape(f.decode("utf-8")) for n, f in _FORMULA.findall(body)}
        dv = DataValidation(type=a.get("type"), operator=a.get("operator"), formula1=formulas.get(b"1"),
                            formula2=formulas.get(b"2"), allow_blank=a.get("allowBlank") == "1",
                            showDropDown=a.get("showDropDown") == "1",
                            showErrorMessage=a.get("showErrorMessage") == "1",
                            showInputMessage=a.get("showInputMessage") == "1",
                            errorTitle=a.get("errorTitle"), error=a.get("error"),
                            promptTitle=a.get("promptTitle"), prompt=a.get("prompt"),
                            errorStyle=a.get("errorStyle"))
        dv.sqref = sqref.group(1).decode("utf-8").strip()
        ws.add_data_validation(dv)
