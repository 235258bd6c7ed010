"""Tables whose header is a ledger header (seeds 002 and 003 are such table dumps), as ledger rows.

Cell by cell; vertically merged cells are read as "same as above", a 序号 cell that is blank or
merged with the row above marks a sub-item row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .notice_blocks import Para, TableBlock
from .notice_items import clean_line
from .notice_model import NoticeTable, TableRow
from .notice_title import ATTACHMENT

if TYPE_CHECKING:
    from taizhang.validator.ledger_types import LedgerType


def ledger_table(table: TableBlock, blocks: list[Para | TableBlock], wanted: "LedgerType | None") -> NoticeTable | None:
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
        title = clean_line(first.pop())
    index = blocks.index(table)
    for block in reversed(blocks[max(0, index - 4):index]):
        if title is not None:
            break
        if isinstance(block, Para):
            text = clean_line(block.text)
            if text and not ATTACHMENT.match(text):
                title = text
                break
    return NoticeTable(ltype, title, [t for t, _ in header_row], mapped, seen_unmapped, rows, table.line)
