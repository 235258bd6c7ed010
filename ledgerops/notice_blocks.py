"""Read a notice file into blocks, paragraphs and tables in document order, and refuse what is no notice.

.txt is UTF-8 (with or without BOM) or GB18030, what 记事本 and WPS save; runs of aligned lines
(tabs, or columns two spaces apart) are tables. .docx is read by `notice_docx`. A PDF, an old
.doc / .wps or any other file is refused with a message saying what to do instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from taizhang.validator.filecheck import ReadError, check_regular
from taizhang.validator.normalize import decode_text

NOTICE_SUFFIXES = (".txt", ".docx")


@dataclass(slots=True)
class Para:
    """A paragraph (a line of a .txt, a paragraph of a .docx) and where it is."""

    line: int
    text: str


@dataclass(slots=True)
class TableBlock:
    """A table (of a .docx, or aligned lines of a .txt) as a grid of cell texts, not yet matched to a ledger."""

    line: int
    grid: list[list[tuple[str, bool]]]  # (text, merged with the cell above)
    text_lines: list[str] | None = None  # a .txt table's own lines: paragraphs again if it is no ledger


_CELL_GAP = re.compile(r"\t|[ \u3000]{2,}")
_RULE_ROW = re.compile(r"[-=:|+\s]*")


def _cells(line: str) -> list[str] | None:
    """A line's cells when it looks like a table row: tab-separated, or columns set apart by two or
    more spaces (Word and Excel copy tables as tabs; pdftotext -layout aligns with spaces)."""
    cells = line.split("\t") if "\t" in line else _CELL_GAP.split(line.strip())
    return cells if len(cells) >= 3 else None


def _text_blocks(lines: list[str]) -> list[Para | TableBlock]:
    """Paragraphs of a .txt notice, with runs of aligned lines as tables (blank lines may separate
    a table's task groups, as in the Dalian notice). parse_notice turns a table back into
    paragraphs when its header is not a ledger header."""
    blocks: list[Para | TableBlock] = []
    i = 0
    while i < len(lines):
        if _cells(lines[i]) is None:
            blocks.append(Para(i + 1, lines[i]))
            i += 1
            continue
        rows, j, end = [], i, i
        while j < len(lines):
            cells = _cells(lines[j])
            if cells is not None:
                if not _RULE_ROW.fullmatch("".join(cells)):  # a ruled line (---- or |:--|) between rows
                    rows.append(cells)
                end = j = j + 1
            elif not lines[j].strip():
                j += 1
            else:
                break
        if len(rows) >= 2:
            width = max(len(r) for r in rows)
            grid = [[(c.strip(), False) for c in r] + [("", False)] * (width - len(r)) for r in rows]
            blocks.append(TableBlock(i + 1, grid, lines[i:end]))
        else:
            blocks.extend(Para(k + 1, lines[k]) for k in range(i, end))
        i = end
    return blocks


def read_blocks(path: Path) -> tuple[list[Para | TableBlock], str | None]:
    """Paragraphs (and .docx tables) in document order, and the text encoding used."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise ReadError("unreadable-file", "文件不存在", "file not found")
    if path.is_dir():
        raise ReadError("unreadable-file", "这是一个文件夹，不是文件", "this is a folder, not a file")
    if suffix in (".txt", ".docx"):
        check_regular(path)  # a FIFO or a device is never opened; the size cap of validate
    if suffix == ".txt":
        text, encoding = _decode(path)
        return _text_blocks(text.split("\n")), encoding
    if suffix == ".docx":
        from .notice_docx import docx_blocks  # python-docx is only loaded for a .docx

        return docx_blocks(path), None
    if suffix == ".pdf":
        raise ReadError("unreadable-file", "PDF 需先转成文本：如 pdftotext 通知.pdf 通知.txt，再导入 .txt",
                        "convert the PDF to text first (e.g. pdftotext notice.pdf notice.txt), then import the .txt")
    if suffix in (".doc", ".wps"):
        raise ReadError("unreadable-file", f"不支持旧版 Word 格式 {suffix}：请在 Word/WPS 中另存为 .docx",
                        f"old Word format {suffix} is not supported: save it as .docx in Word/WPS")
    raise ReadError("unreadable-file", "不是支持的通知文件（支持 .docx、.txt）",
                    "not a supported notice file (.docx, .txt)")


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("unreadable-file", "文件是空的", "the file is empty")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("unreadable-file", "不是文本文件（含二进制内容）", "not a text file (binary content)")
    decoded = decode_text(data)
    if decoded is not None:
        text, encoding = decoded
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    raise ReadError("unreadable-file", "无法识别文字编码：请另存为 UTF-8 文本", "unknown text encoding: save as UTF-8")
