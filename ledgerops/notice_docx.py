"""Read a .docx notice into blocks: paragraphs and tables in document order, via python-docx.

Paragraph text gets the number Word shows for list-numbered paragraphs (it is not in the text);
a table cell that continues a vertical merge is marked, so rows read it as "same as above".
"""

from __future__ import annotations

from pathlib import Path

from taizhang.validator.filecheck import ReadError, check_zip_document

from .notice_blocks import Para, TableBlock
from .notice_numbering import cn_numeral


def docx_blocks(path: Path) -> list[Para | TableBlock]:
    import zipfile

    check_zip_document(path)  # the zip-bomb and entity caps of validate
    try:
        import docx
        from docx.table import Table

        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError("unreadable-file", f"文件已损坏或不是 Word 文档（{type(exc).__name__}）",
                        f"damaged file or not a Word document ({type(exc).__name__})") from None
    except Exception as exc:  # python-docx raises several unrelated types on broken packages
        raise ReadError("unreadable-file", f"Word 文档无法读取（{type(exc).__name__}: {exc}）",
                        f"the Word document cannot be read ({type(exc).__name__}: {exc})") from None
    numbering = _AutoNumbering(document)
    blocks: list[Para | TableBlock] = []
    for n, item in enumerate(document.iter_inner_content(), 1):
        if isinstance(item, Table):
            blocks.append(TableBlock(n, _grid(item)))
        else:
            blocks.append(Para(n, numbering.prefix(item) + item.text))
    return blocks


def _grid(table) -> list[list[tuple[str, bool]]]:
    """Cell texts of a docx table; True where a cell continues a vertical merge from above."""
    grid: list[list[tuple[str, bool]]] = []
    above: list = []  # keep the previous row's cells alive so that `is` compares elements
    for row in table.rows:
        cells = list(row.cells)
        out = []
        for c, cell in enumerate(cells):
            merged = c < len(above) and cell._tc is above[c]._tc
            out.append((_cell_text(cell), merged))
        grid.append(out)
        above = cells
    return grid


def _cell_text(cell) -> str:
    # Empty paragraphs are layout (people press Enter to space lines out), not content.
    lines = [p.text.strip() for p in cell.paragraphs]
    return "\n".join(line for line in lines if line)


class _AutoNumbering:
    """The text Word shows for auto-numbered paragraphs (一、 / 1. from the numbering part).

    Notices typed in Word often use list numbering, which is not in the paragraph text. Counters
    are kept per list and level, as Word does, and lower levels restart under a higher one.
    """

    def __init__(self, document) -> None:
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        try:
            part = document.part.numbering_part
        except (NotImplementedError, KeyError, AttributeError):
            return
        root = part.element
        ns = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        w = "{%s}" % ns
        abstract = {}
        for a in root.findall(f"{w}abstractNum"):
            levels = {}
            for lvl in a.findall(f"{w}lvl"):
                fmt = lvl.find(f"{w}numFmt")
                text = lvl.find(f"{w}lvlText")
                start = lvl.find(f"{w}start")
                levels[int(lvl.get(f"{w}ilvl"))] = (
                    fmt.get(f"{w}val") if fmt is not None else "decimal",
                    text.get(f"{w}val") if text is not None else "",
                    int(start.get(f"{w}val")) if start is not None else 1,
                )
            abstract[a.get(f"{w}abstractNumId")] = levels
        for num in root.findall(f"{w}num"):
            ref = num.find(f"{w}abstractNumId")
            if ref is not None and ref.get(f"{w}val") in abstract:
                for ilvl, spec in abstract[ref.get(f"{w}val")].items():
                    self.formats[(num.get(f"{w}numId"), ilvl)] = spec
        self.w = w

    def prefix(self, paragraph) -> str:
        if not self.formats:
            return ""
        w = self.w
        ppr = paragraph._p.pPr
        numpr = ppr.find(f"{w}numPr") if ppr is not None else None
        if numpr is None and paragraph.style is not None:
            spr = paragraph.style.element.pPr
            numpr = spr.find(f"{w}numPr") if spr is not None else None
        if numpr is None:
            return ""
        num_id = numpr.find(f"{w}numId")
        ilvl = numpr.find(f"{w}ilvl")
        num_id = num_id.get(f"{w}val") if num_id is not None else None
        level = int(ilvl.get(f"{w}val")) if ilvl is not None else 0
        spec = self.formats.get((num_id, level))
        if num_id in (None, "0") or spec is None or spec[0] in ("bullet", "none"):
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[level] = counters.get(level, self.formats[(num_id, level)][2] - 1) + 1
        for deeper in [k for k in counters if k > level]:
            del counters[deeper]
        text = spec[1]
        for k in range(level + 1):
            kspec = self.formats.get((num_id, k))
            value = counters.get(k, kspec[2] if kspec else 1)
            text = text.replace(f"%{k + 1}", _format_number(value, kspec[0] if kspec else "decimal"))
        return text if text.endswith(("、", "）", ")", " ")) else text + " "


def _format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "taiwaneseCounting",
               "japaneseCounting"):
        return cn_numeral(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x245F + n)
    return str(n)
