"""Read a notice (通知 / 分工方案) into sections, tasks, sub-items, units and proposed deadlines.

Every ledger starts as a notice: numbered tasks in prose, each followed by the units that answer
for it (`(责任单位:市卫生计生委,各区市县政府)`, `（体改处牵头，医政医管处配合）`). Retyping them
into Excel is where unit names get mangled, so this module reads the notice itself:

- .txt (UTF-8, with or without BOM, or GB18030: what 记事本 and WPS save) and .docx (paragraphs
  and tables, in document order, via python-docx). A PDF must first be turned into text.
- Numbering of Chinese official documents, from the top: ``一、`` > ``（一）`` > ``1.`` / ``1、``
  > ``（1）`` > ``①``. Which level holds the tasks is decided by where the unit clauses are: the
  highest level whose items mostly end in one. Levels above it are sections (→ 任务分类), levels
  below are sub-items. Sub-items may also be inline (``…。1.制定…；2.开展…``).
- Lines a text export broke in the middle of a sentence or of a unit clause are joined again
  (seed 001 item 28 breaks its parenthesis across lines); text that is neither numbered nor a
  continuation (the addressee, the closing paragraph, the signature) is kept apart, not glued
  onto the last task.
- A task is split into its title (first sentence), its content and its unit clause; the clause
  is split into lead and co-operating units (牵头 / 配合 / 分别负责 / 负责 / 责任单位:) and each
  name is split and checked with the unit registry as it is read. Unknown names are kept as
  written and reported, never dropped.
- Dates stated in the text (``年底前``, ``9月底前``, ``2019年``) are collected as proposed deadlines;
  each is confirmed with the deadline grammar of `validator.deadlines`.
- Tables whose header is a ledger header (seeds 002 and 003 are such table dumps) are returned
  as rows, cell by cell; vertically merged cells are read as "same as above".

This module only reads; `ledgerops.importer` turns a `Notice` into a ledger workbook.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from taizhang.validator.filecheck import ReadError, check_regular, check_zip_document
from taizhang.validator.normalize import decode_text

if TYPE_CHECKING:
    from taizhang.validator.findings import Problem
    from taizhang.validator.ledger_types import LedgerType
    from taizhang.validator.units import Registry

NOTICE_SUFFIXES = (".txt", ".docx")

# --------------------------------------------------------------------------- numbering
# (rank, regex) from the top of the hierarchy down; a paragraph's marker decides its rank.
_CN = "一二三四五六七八九十百零〇"
_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"^([{_CN}]{{1,4}})\s*[、，,．.]\s*")),
    (1, re.compile(rf"^[（(]\s*([{_CN}]{{1,4}})\s*[）)]\s*")),
    (2, re.compile(r"^(\d{1,3})\s*(?:[、．]|\.(?!\d))\s*")),
    (3, re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*")),
    (4, re.compile(r"^([①-⑳])\s*")),
)
# Inline sub-items inside a task's text: `…工作。1.制定方案；2.开展试点。` or （1）…（2）… or ①②.
_INLINE = re.compile(
    r"(?:(?<=^)|(?<=[。；;：:！？\s]))(?:(\d{1,2})\s*(?:[、．]|\.(?!\d))|[（(](\d{1,2})[）)]|([①-⑳]))"
)
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}

# --------------------------------------------------------------------------- unit clauses
_LABEL = re.compile(
    r"(责任单位|责任部门|责任处室|责任科室|牵头单位|牵头部门|牵头处室|主办单位|主责单位|"
    r"配合单位|配合部门|配合处室|协办单位|参与单位|协助单位)\s*[:：]"
)
_CO_LABEL = re.compile(r"^(配合|协办|参与|协助)")
_LEAD_WORD = re.compile(r"(?:等(?:部门|单位|处室)?)?(分别)?(?:牵头负责|牵头|主办|主责|负责)$")
_CO_WORD = re.compile(r"(?:等(?:部门|单位|处室)?)?(?:共同)?(?:配合|协助|协办|参与|参加)$")
_PHRASE_SPLIT = re.compile(r"[，,；;]")
# A clause written without brackets at the end of the text: `…。责任单位：市卫生健康委`
_BARE_LABEL = re.compile(r"(?:^|(?<=[。；;！？\s]))" + _LABEL.pattern + r"(?P<rest>[^。]*?)[。；;]?$")
_OPEN, _CLOSE = "（(", "）)"
_CLAUSE_AT_END = re.compile(r"[（(][^（）()]*(?:" + _LABEL.pattern + r"|牵头|配合|负责)[^（）()]*[）)]\s*[。；;]?\s*$")
_TERMINAL = "。；;！？!?）)」”’：:"

# --------------------------------------------------------------------------- deadlines
_CN_NUM = "一二两三四五六七八九十"
_DEADLINE = re.compile(
    r"(?:(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*)?"
    r"(?:(?<![\d.．])\d{1,2}\s*月份?(?:\s*\d{1,2}\s*[日号]|上旬|中旬|下旬|底|末)?"
    r"|(?<![一二三四五六七八九十])(?:十[一二]?|[一二三四五六七八九])月份?(?:上旬|中旬|下旬|底|末|份)"
    r"|上半年|下半年|第?[一二三四1-4]\s*季度|年底|年末)"
    r"(?:之?前|以前)?"
    r"|(?<![\d.．])\d{4}\s*年(?!度|版|以来|起|开始|初|中|\d)(?:底|末)?(?:之?前|以前)?"
)
_NO_DATES = re.compile(r"《[^《》]*》|〔[^〔〕]*〕|\[[^\[\]]*\]")  # titles and document numbers
_ATTACHMENT = re.compile(r"^附件\s*[\d一二三四五六七八九十]*\s*[:：]?\s*$")
_DOC_NUMBER = re.compile(r"〔\s*(\d{4})\s*〕\s*\d+\s*号|\[\s*(\d{4})\s*\]\s*\d+\s*号")
_SIGN_DATE = re.compile(r"^\s*(\d{4})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")


@dataclass(slots=True)
class Units:
    """The units a clause names, split by role, as written; `clause` is the text it came from."""

    clause: str = ""
    lead: list[str] = field(default_factory=list)
    co: list[str] = field(default_factory=list)
    separately: bool = False  # 分别负责: each lead answers for its own part
    roles: bool = False  # the clause said who leads and who co-operates (牵头/配合)

    @property
    def all(self) -> list[str]:
        return self.lead + [u for u in self.co if u not in self.lead]

    def __bool__(self) -> bool:
        return bool(self.lead or self.co)


@dataclass(slots=True)
class SubItem:
    number: str  # as written: "1", "（2）", "①"
    text: str
    units: Units = field(default_factory=Units)
    deadlines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Task:
    number: str  # as written: "1", "三", "二十六"
    section: str | None  # the heading(s) above it, as written: "一、稳步推进分级诊疗制度建设"
    title: str  # first sentence, without its final 。
    content: str  # the rest of the text, without the unit clause and the sub-items
    units: Units
    sub_items: list[SubItem] = field(default_factory=list)
    deadlines: list[str] = field(default_factory=list)  # dates stated in title + content
    line: int = 0  # where it starts in the source (line of a .txt, paragraph of a .docx)
    body: str = ""  # the whole text without the unit clause, sub-items included

    @property
    def text(self) -> str:
        """Title and content again, for types that keep the whole task in one column."""
        title = self.title + ("。" if self.title and not self.title.endswith(tuple(_TERMINAL)) else "")
        return (title + self.content) if self.content else self.title


@dataclass(slots=True)
class TableRow:
    values: dict[str, str | None]  # type column name -> cell text (merged cells filled from above)
    key_merged: bool  # the 序号 cell is blank or merged with the row above: a sub-item row
    line: int


@dataclass(slots=True)
class NoticeTable:
    """A table in a .docx (or an aligned table in a .txt) whose header row is a ledger header."""

    ledger_type: "LedgerType"
    title: str | None
    headers: list[str]  # as written
    mapped: dict[int, str]  # table column index -> type column name
    unmapped: list[str]  # headers no column of the type takes
    rows: list[TableRow]
    line: int


@dataclass(slots=True)
class Notice:
    path: Path
    title: str | None
    year: int | None
    sections: list[str]
    tasks: list[Task]
    tables: list[NoticeTable]
    other: list[tuple[int, str]]  # unnumbered text outside any task: preamble, closing, signature
    encoding: str | None = None
    unit_problems: dict[str, list["Problem"]] = field(default_factory=dict)  # each distinct name -> problems
    unread_tables: list[tuple[int, str]] = field(default_factory=list)  # (line, header) of tables that are no ledger
    cell_per_line: bool = False  # a table flattened to one cell per tab-led line (web or PDF copy)

    @property
    def units_found(self) -> list[str]:
        return list(self.unit_problems)

    @property
    def sub_item_count(self) -> int:
        return sum(len(t.sub_items) for t in self.tasks)


# =========================================================================== reading


@dataclass(slots=True)
class _Para:
    line: int
    text: str


@dataclass(slots=True)
class _Table:
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


def _text_blocks(lines: list[str]) -> list[_Para | _Table]:
    """Paragraphs of a .txt notice, with runs of aligned lines as tables (blank lines may separate
    a table's task groups, as in the Dalian notice). parse_notice turns a table back into
    paragraphs when its header is not a ledger header."""
    blocks: list[_Para | _Table] = []
    i = 0
    while i < len(lines):
        if _cells(lines[i]) is None:
            blocks.append(_Para(i + 1, lines[i]))
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
            blocks.append(_Table(i + 1, grid, lines[i:end]))
        else:
            blocks.extend(_Para(k + 1, lines[k]) for k in range(i, end))
        i = end
    return blocks


def read_blocks(path: Path) -> tuple[list[_Para | _Table], str | None]:
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
        return _docx_blocks(path), None
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


def _docx_blocks(path: Path) -> list[_Para | _Table]:
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
    blocks: list[_Para | _Table] = []
    for n, item in enumerate(document.iter_inner_content(), 1):
        if isinstance(item, Table):
            blocks.append(_Table(n, _grid(item)))
        else:
            blocks.append(_Para(n, numbering.prefix(item) + item.text))
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
        return _cn_numeral(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x245F + n)
    return str(n)


def _cn_numeral(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def cn_to_int(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十六 -> 26, 3 -> 3, ⑤ -> 5; None if not a numeral."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if text in _CIRCLED:
        return _CIRCLED[text]
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits["〇"] = 0
    if not text or any(c not in digits and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = digits[ch]
    return total + current


# =========================================================================== parsing


@dataclass(slots=True)
class _Item:
    rank: int
    number: str
    line: int
    pieces: list[str]
    marker: str = ""  # the numbering as written: "（三）", "1."
    units: Units = field(default_factory=Units)
    body: str = ""

    @property
    def text(self) -> str:
        return _join(self.pieces)


def parse_notice(path: str | Path, registry: "Registry | None" = None, *, year: int | None = None,
                 ledger_type: "LedgerType | None" = None) -> Notice:
    """Read a notice. `registry` splits and checks unit names (default: every built-in one).

    `ledger_type` only matters for tables: a table is taken when its header matches this type
    (or, without one, any built-in type). Raises ReadError with a message for the user.
    """
    from taizhang.validator.deadlines import infer_year
    from taizhang.validator.units import Registry

    path = Path(path)
    registry = registry or Registry.builtin()
    blocks, encoding = read_blocks(path)
    tables, kept, unread = [], [], []
    for block in blocks:
        table = _notice_table(block, blocks, ledger_type) if isinstance(block, _Table) else None
        if table is not None:
            tables.append(table)
        elif isinstance(block, _Table) and block.text_lines is not None:
            unread.append((block.line, " | ".join(t for t, _ in block.grid[0] if t)))
            kept.extend(_Para(block.line + k, text) for k, text in enumerate(block.text_lines))
            continue
        kept.append(block)
    blocks = kept
    paras = [b for b in blocks if isinstance(b, _Para)]
    items, other = _items(blocks)

    title = _title(paras, items, tables)
    found_year = year or infer_year(title) or _year_from_text(paras)
    for item in items:
        body, units = split_units(item.text, registry)
        item.body, item.units = body, units
    sections, tasks = _tasks(items, registry, found_year)
    notice = Notice(path=path, title=title, year=found_year, sections=sections, tasks=tasks, tables=tables,
                    other=other, encoding=encoding, unread_tables=unread,
                    cell_per_line=sum(1 for p in paras if p.text.startswith("\t") and "\t" not in p.text[1:]) >= 8)
    _check_units(notice, registry)
    return notice


def _items(blocks: list[_Para | _Table]) -> tuple[list[_Item], list[tuple[int, str]]]:
    """Numbered paragraphs with the lines that continue them; everything else apart."""
    items: list[_Item] = []
    other: list[tuple[int, str]] = []
    current: _Item | None = None
    texts = [(_clean(b.text) if isinstance(b, _Para) else None) for b in blocks]
    for i, block in enumerate(blocks):
        text = texts[i]
        if text is None:  # a table ends whatever task was open
            current = None
            continue
        if not text:
            continue
        marker = _marker(text)
        if marker is not None:
            rank, number, rest, written = marker
            current = _Item(rank, number, block.line, [rest], written)
            items.append(current)
        elif current is not None and (_continues(current, text) or _clause_follows(current, texts, i)):
            current.pieces.append(text)
        else:
            other.append((block.line, text))
            current = None
    return items, other


def _clause_follows(item: _Item, texts: list[str | None], start: int) -> bool:
    """A task written over several paragraphs: its unit clause closes one of the next paragraphs.

    Looks ahead through unnumbered paragraphs up to the next numbered one or table; only a task
    that has no clause yet qualifies, so the closing text after the last task stays apart.
    """
    if item.rank == 0 or _CLAUSE_AT_END.search(item.text):
        return False
    for text in texts[start:]:
        if text is None or (text and _marker(text) is not None):
            return False
        if text and _CLAUSE_AT_END.search(text):
            return True
    return False


def _clean(text: str) -> str:
    return text.replace("\u3000", " ").replace("\u00a0", " ").replace("\t", " ").strip(" \ufeff\u200b")


def _marker(text: str) -> tuple[int, str, str, str] | None:
    for rank, pattern in _MARKERS:
        m = pattern.match(text)
        if m and m.end() < len(text):
            return rank, m.group(1), text[m.end():].strip(), m.group(0).strip()
    return None


def _continues(item: _Item, text: str) -> bool:
    """Does an unnumbered paragraph continue `item`? Only when the item is visibly unfinished."""
    so_far = item.text
    if _depth(so_far) > 0:  # inside a bracket: a unit clause broken across lines
        return True
    if re.match(r"^[（(]\s*(?:" + _LABEL.pattern + r"|[^（）()]*(?:牵头|配合|分别负责|负责)[）)])", text):
        return True  # the unit clause on a line of its own
    if item.rank == 0 and len(so_far) < 40:
        return False  # a heading: what follows it is an introduction, not more heading
    return not so_far.endswith(tuple(_TERMINAL))  # a line broken in mid-sentence


def _depth(text: str) -> int:
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
    return depth


def _join(pieces: list[str]) -> str:
    """Join lines of a text export: no space between Chinese characters, one between Latin words."""
    out = ""
    for piece in pieces:
        if out and out[-1].isascii() and out[-1].isalnum() and piece[:1].isascii() and piece[:1].isalnum():
            out += " "
        out += piece
    return out


def _title(paras: list[_Para], items: list[_Item], tables: list[NoticeTable]) -> str | None:
    """The document title: short unpunctuated lines before the first task (关于…的通知).

    A title a text export spread over several lines (blank lines between) is joined again; the
    issuer line (…文件), the document number, the addressee (…：) and long prose break it off.
    """
    if tables and not items:
        return tables[0].title
    first = items[0].line if items else (tables[0].line if tables else 10**9)
    candidates: list[list[str]] = []
    run: list[str] = []
    for p in paras:
        if p.line >= first:
            break
        text = _clean(p.text)
        if not text:
            continue
        if (len(text) > 60 or text.endswith(("。", "：", ":", "；", "，")) or _DOC_NUMBER.search(text)
                or _ATTACHMENT.match(text) or text.endswith("文件") or _SIGN_DATE.match(text)):
            if run:
                candidates.append(run)
                run = []
            continue
        run.append(text)
    if run:
        candidates.append(run)
    if not candidates:
        return None
    for c in candidates:  # the one that names the document type wins
        joined = "".join(c)
        if re.search(r"(通知|方案|意见|要点|安排|计划|台账|台帐|清单|分工|报告|任务)$", joined):
            return joined
    return "".join(candidates[0])


def _year_from_text(paras: list[_Para]) -> int | None:
    """The document number's year (大医改办〔2018〕5号), else the signing date's."""
    for p in paras:
        m = _DOC_NUMBER.search(p.text)
        if m and len(p.text.strip()) < 40:
            return int(m.group(1) or m.group(2))
    for p in reversed(paras):
        m = _SIGN_DATE.match(_clean(p.text))
        if m:
            return int(m.group(1))
    return None


# --------------------------------------------------------------------------- units


def split_units(text: str, registry: "Registry") -> tuple[str, Units]:
    """Cut the unit clause off the end of a task's text; return (text without it, its units)."""
    stripped = text.rstrip(" 。；;")
    if stripped.endswith(tuple(_CLOSE)):
        start = _opening(stripped)
        if start is not None:
            inner = stripped[start + 1:-1]
            if _is_units_clause(inner, registry):
                return text[:start].rstrip(), parse_units(inner, registry, clause=stripped[start:])
    # an opening bracket never closed: `（责任单位：市卫生健康委` at the very end
    m = re.search(r"[（(]\s*(?=" + _LABEL.pattern + r")", stripped)
    if m and _depth(stripped[m.start():]) > 0:
        inner = stripped[m.end():].rstrip(" ）)>＞》")
        return text[:m.start()].rstrip(), parse_units(inner, registry, clause=stripped[m.start():])
    m = _BARE_LABEL.search(stripped)
    if m:
        return text[:m.start()].rstrip(), parse_units(m.group(0), registry, clause=m.group(0))
    return text, Units()


def _opening(text: str) -> int | None:
    """Index of the bracket that the final closing bracket of `text` closes."""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch in _CLOSE:
            depth += 1
        elif ch in _OPEN:
            depth -= 1
            if depth == 0:
                return i
    return None


def _is_units_clause(inner: str, registry: "Registry") -> bool:
    if _LABEL.search(inner):
        return True
    if re.search(r"(?:牵头|配合|负责|协办|协助|主办)(?:[，,；;]|$)", inner):
        return True
    names = registry.split(inner)  # （市卫生健康委） with no role word: only if every name is known
    return bool(names) and all(registry.resolve(n) for n in names)


def parse_units(inner: str, registry: "Registry", clause: str = "") -> Units:
    """`责任单位:A,B` / `A牵头，B、C配合` / `A、B分别负责` / `A负责，B配合` -> lead and co units."""
    units = Units(clause=clause or inner)
    labels = list(_LABEL.finditer(inner))
    segments: list[tuple[str, str]] = []  # (role, text)
    if labels:
        if inner[:labels[0].start()].strip(" ，,；;"):
            segments.append(("lead", inner[:labels[0].start()]))
        for i, m in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(inner)
            role = "co" if _CO_LABEL.match(m.group(1)) else "lead"
            units.roles = units.roles or role == "co" or "牵头" in m.group(1)
            segments.append((role, inner[m.end():end]))
    else:
        pending: list[str] = []
        for phrase in _PHRASE_SPLIT.split(inner):
            phrase = re.sub(r"^\s*由", "", phrase.strip())
            if not phrase:
                continue
            lead = _LEAD_WORD.search(phrase)
            co = _CO_WORD.search(phrase)
            if co:
                segments.append(("co", "、".join(pending + [phrase[:co.start()]])))
                units.roles = True
            elif lead:
                segments.append(("lead", "、".join(pending + [phrase[:lead.start()]])))
                units.separately = units.separately or bool(lead.group(1))
                units.roles = units.roles or "牵头" in lead.group(0)
            else:
                pending.append(phrase)
                continue
            pending = []
        if pending:
            segments.append(("lead", "、".join(pending)))
    for role, text in segments:
        target = units.co if role == "co" else units.lead
        for name in registry.split(text):
            if name not in target:
                target.append(name)
    units.co = [u for u in units.co if u not in units.lead]
    return units


def _check_units(notice: Notice, registry: "Registry") -> None:
    names: list[str] = []
    for task in notice.tasks:
        names += task.units.all
        for sub in task.sub_items:
            names += sub.units.all
    for table in notice.tables:
        for column, _role in _unit_columns(table.ledger_type):
            for row in table.rows:
                names += registry.split(row.values.get(column))
    for name in dict.fromkeys(names):
        notice.unit_problems[name] = list(registry.check(name, notice.year))


def _unit_columns(ltype: "LedgerType") -> list[tuple[str, str]]:
    from taizhang.validator.ledger_types import UNIT_ROLES

    return [(c.name, c.role) for c in ltype.columns if c.role in UNIT_ROLES]


# --------------------------------------------------------------------------- tasks


def _tasks(items: list[_Item], registry: "Registry", year: int | None) -> tuple[list[str], list[Task]]:
    """Decide which numbering level holds the tasks, then build sections, tasks and sub-items."""
    if not items:
        return [], []
    ranks = sorted({i.rank for i in items})
    task_rank = None
    for rank in ranks:
        level = [i for i in items if i.rank == rank]
        if sum(1 for i in level if i.units) * 2 >= len(level):
            task_rank = rank
            break
    if task_rank is None:  # no unit clauses at all: the level under the headings
        task_rank = ranks[1] if len(ranks) > 1 and ranks[0] == 0 else ranks[0]
    headings: dict[int, str] = {}
    sections: list[str] = []
    tasks: list[Task] = []
    for item in items:
        if item.rank < task_rank:
            headings = {r: h for r, h in headings.items() if r < item.rank}
            headings[item.rank] = _heading(item)
            label = " ".join(headings[r] for r in sorted(headings))
            if label not in sections:
                sections.append(label)
        elif item.rank == task_rank:
            section = " ".join(headings[r] for r in sorted(headings)) or None
            tasks.append(_task(item, section, registry, year))
        elif tasks:  # a sub-item paragraph under the last task
            task = tasks[-1]
            text, units = item.body, item.units
            task.body += "\n" + item.marker + item.text
            if item.rank > task_rank + 1 and task.sub_items:
                task.sub_items[-1].text += item.marker + text  # deeper levels stay inside their sub-item
                continue
            task.sub_items.append(SubItem(item.number, text, units, proposed_deadlines(text, year)))
        # a lower-level item before any task is left out of the ledger; it is still in `items`
    for task in tasks:  # a task without its own clause answers with its sub-items' units
        if not task.units and task.sub_items:
            merged = Units(clause="")
            for sub in task.sub_items:
                merged.lead += [u for u in sub.units.lead if u not in merged.lead]
                merged.co += [u for u in sub.units.co if u not in merged.co]
                merged.roles = merged.roles or sub.units.roles
            merged.co = [u for u in merged.co if u not in merged.lead]
            task.units = merged
    return sections, tasks


def _heading(item: _Item) -> str:
    """A heading as written with its number (一、稳步推进…), without any introduction after it."""
    marker = {0: f"{item.number}、", 1: f"（{item.number}）", 2: f"{item.number}.", 3: f"（{item.number}）"}
    return marker.get(item.rank, item.number) + item.pieces[0]


def _task(item: _Item, section: str | None, registry: "Registry", year: int | None) -> Task:
    body = item.body
    subs = _inline_sub_items(body)
    lead_in = body[:subs[0][0]] if subs else body
    sub_items = []
    for start, end, number in subs:
        text = body[start:end].strip()
        text = _MARKER_AT_START.sub("", text, count=1).strip()
        sub_body, units = split_units(text, registry)
        sub_items.append(SubItem(number, sub_body.rstrip("；;"), units, proposed_deadlines(sub_body, year)))
    title, content = split_title(lead_in)
    return Task(
        number=item.number, section=section, title=title, content=content, units=item.units,
        sub_items=sub_items, deadlines=proposed_deadlines(lead_in, year), line=item.line, body=body.strip(),
    )


_MARKER_AT_START = re.compile(r"^(?:\d{1,2}\s*(?:[、．]|\.(?!\d))|[（(]\d{1,2}[）)]|[①-⑳])")


def _inline_sub_items(body: str) -> list[tuple[int, int, str]]:
    """(start, end, number) of inline numbered sub-items 1,2,3… (at least two, in order)."""
    marks = []
    for m in _INLINE.finditer(body):
        if _depth(body[:m.start()]) > 0:
            continue
        number = m.group(1) or m.group(2) or m.group(3)
        marks.append((m.start(), cn_to_int(number) or 0, number, bool(m.group(3)), bool(m.group(2))))
    # the longest run 1, 2, 3… of one marker style
    best: list = []
    for style in {(m[3], m[4]) for m in marks}:
        run: list = []
        for m in marks:
            if (m[3], m[4]) != style:
                continue
            if m[1] == len(run) + 1:
                run.append(m)
        if len(run) >= 2 and len(run) > len(best):
            best = run
    return [(m[0], best[i + 1][0] if i + 1 < len(best) else len(body), m[2]) for i, m in enumerate(best)]


def split_title(text: str) -> tuple[str, str]:
    """(first sentence without its 。, the rest). Brackets and quotes do not end a sentence."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "（(《“‘「【":
            depth += 1
        elif ch in "）)》”’」】" and depth:
            depth -= 1
        elif ch == "。" and depth == 0:
            return text[:i].strip(), text[i + 1:].strip()
    return text.strip().rstrip("；;。"), ""


def proposed_deadlines(text: str, year: int | None) -> list[str]:
    """Dates the text states (年底前, 9月底前, 2019年), each confirmed by the deadline grammar."""
    from taizhang.validator.deadlines import parse_deadline

    masked = _NO_DATES.sub(lambda m: "\u3000" * len(m.group(0)), text)
    found: list[str] = []
    for m in _DEADLINE.finditer(masked):
        value = re.sub(r"\s+", "", m.group(0))
        if value in found:
            continue
        if re.fullmatch(r"\d{4}年", value) and m.end() < len(masked) and masked[m.end()] in "-—～~至到":
            continue  # 2019年-2020年 is a period, not a deadline
        parsed = parse_deadline(value, year)
        if parsed.state == "dated" and not any(p.code == "invalid-deadline" for p in parsed.problems):
            found.append(value)
    return found


# --------------------------------------------------------------------------- tables


def _notice_table(table: _Table, blocks: list[_Para | _Table], wanted: "LedgerType | None") -> NoticeTable | None:
    """A docx table whose header row is a ledger header, as rows of the matching type."""
    from taizhang.validator.ledger_types import builtin_types
    from taizhang.validator.normalize import normalize_header, normalize_text

    types = [wanted] if wanted is not None else list(builtin_types().values())
    best = None
    for h, row in enumerate(table.grid[:5]):
        headers = [normalize_header(text) for text, _ in row]
        for ltype in types:
            score, found = ltype.match(headers)
            key = ltype.by_role("key")
            if not found or (key is not None and key not in found.values()) or len(found) < 2:
                continue
            if best is None or score > best[0]:
                best = (score, h, ltype, found)
    if best is None:
        return None
    _, h, ltype, found = best
    header_row = table.grid[h]
    mapped = {idx: col.name for idx, col in found.items()}
    seen_unmapped: list[str] = []  # a header cell spanning columns is one column to the reader
    for idx, (text, _) in enumerate(header_row):
        if idx not in mapped and text.strip() and text not in seen_unmapped:
            seen_unmapped.append(text)
    key = ltype.by_role("key")
    key_idx = next((i for i, n in mapped.items() if key is not None and n == key.name), None)
    headers_norm = [normalize_header(t) for t, _ in header_row]
    rows: list[TableRow] = []
    for r, cells in enumerate(table.grid[h + 1:], h + 2):
        if [normalize_header(t) for t, _ in cells] == headers_norm:
            continue  # the header repeated where the table breaks across pages
        values: dict[str, str | None] = {}
        for idx, name in mapped.items():
            text, merged = cells[idx] if idx < len(cells) else ("", False)
            values[name] = normalize_text(text)
        if not any(values.values()):
            continue
        key_merged = key_idx is not None and (cells[key_idx][1] or not cells[key_idx][0].strip())
        rows.append(TableRow(values, bool(key_merged and rows), r))
    title = None
    first = {text for text, _ in table.grid[0] if text.strip()} if h > 0 else set()
    if len(first) == 1:  # a title row merged across the table, above the header
        title = _clean(first.pop())
    index = blocks.index(table)
    for block in reversed(blocks[max(0, index - 4):index]):
        if title is not None:
            break
        if isinstance(block, _Para):
            text = _clean(block.text)
            if text and not _ATTACHMENT.match(text):
                title = text
                break
    return NoticeTable(ltype, title, [t for t, _ in header_row], mapped, seen_unmapped, rows, table.line)


__all__ = [
    "Notice", "NoticeTable", "SubItem", "TableRow", "Task", "Units", "NOTICE_SUFFIXES", "cn_to_int",
    "parse_notice", "parse_units", "proposed_deadlines", "read_blocks", "split_title", "split_units",
]
