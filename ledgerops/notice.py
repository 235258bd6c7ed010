"""Read a notice (通知 / 分工方案) into sections, tasks, sub-items, units and proposed deadlines.

Every ledger starts as a notice: numbered tasks in prose, each followed by the units that answer
for it (`(责任单位:市卫生计生委,各区市县政府)`, `（体改处牵头，医政医管处配合）`). Retyping them
into Excel is where unit names get mangled, so this module reads the notice itself, in steps
that each have their module:

- notice_blocks / notice_docx: the file into paragraphs and tables, in document order (.txt in
  UTF-8 or GB18030, .docx via python-docx; a PDF must first be turned into text).
- notice_items: numbered paragraphs (notice_numbering: ``一、`` > ``（一）`` > ``1.`` > ``（1）``
  > ``①``) with the lines a text export broke off them; unnumbered text is kept apart.
- notice_title: the title and the year.
- notice_units: the unit clause of each item, split into lead and co-operating units and
  checked with the unit registry; unknown names are kept as written and reported.
- notice_tasks: which level holds the tasks, sections above it, sub-items below;
  notice_deadlines: dates stated in the text, proposed as deadlines.
- notice_tables: tables whose header is a ledger header, as rows.
- notice_model: what all this is read into.

This module only reads; `ledgerops.importer` turns a `Notice` into a ledger workbook.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .notice_blocks import NOTICE_SUFFIXES, Para, TableBlock, read_blocks
from .notice_deadlines import proposed_deadlines
from .notice_items import collect_items
from .notice_model import Notice, NoticeTable, SubItem, TableRow, Task, Units
from .notice_numbering import cn_to_int
from .notice_tables import ledger_table
from .notice_tasks import build_tasks, split_title
from .notice_title import find_title, year_from_text
from .notice_units import check_units, parse_units, split_units

if TYPE_CHECKING:
    from taizhang.validator.ledger_types import LedgerType
    from taizhang.validator.units import Registry


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
        table = ledger_table(block, blocks, ledger_type) if isinstance(block, TableBlock) else None
        if table is not None:
            tables.append(table)
        elif isinstance(block, TableBlock) and block.text_lines is not None:
            unread.append((block.line, " | ".join(t for t, _ in block.grid[0] if t)))
            kept.extend(Para(block.line + k, text) for k, text in enumerate(block.text_lines))
            continue
        kept.append(block)
    blocks = kept
    paras = [b for b in blocks if isinstance(b, Para)]
    items, other = collect_items(blocks)

    title = find_title(paras, items, tables)
    found_year = year or infer_year(title) or year_from_text(paras)
    for item in items:
        body, units = split_units(item.text, registry)
        item.body, item.units = body, units
    sections, tasks = build_tasks(items, registry, found_year)
    notice = Notice(path=path, title=title, year=found_year, sections=sections, tasks=tasks, tables=tables,
                    other=other, encoding=encoding, unread_tables=unread,
                    cell_per_line=sum(1 for p in paras if p.text.startswith("\t") and "\t" not in p.text[1:]) >= 8)
    check_units(notice, registry)
    return notice


__all__ = [
    "Notice", "NoticeTable", "SubItem", "TableRow", "Task", "Units", "NOTICE_SUFFIXES", "cn_to_int",
    "parse_notice", "parse_units", "proposed_deadlines", "read_blocks", "split_title", "split_units",
]
