"""Which sheet of a workbook is the ledger: the one a person would open.

Workbooks carry more than the ledger: an instructions sheet (填表说明) before it, last year's
ledger kept as a hidden archive, quarterly copies side by side. The active sheet (the one Excel
shows on opening) is tried first, then the other visible ones in order, then instructions sheets;
hidden sheets come last, so an archive is never chosen over the visible ledger.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .metadata import META_SHEET

_INSTRUCTIONS = re.compile(r"说明|须知|填表|填报要求|目录|封面|instruction", re.IGNORECASE)
SHEET_REASONS = {  # why a sheet was read, or passed over
    "option": ("--sheet 指定", "named by --sheet"),
    "only": ("唯一的表", "the only table"),
    "active": ("活动工作表，即打开时显示的那张", "the active sheet, shown on opening"),
    "visible": ("第一张有台账表头的可见工作表", "the first visible sheet with a ledger header"),
    "instructions": ("填表说明类工作表", "an instructions sheet"),
    "hidden": ("隐藏工作表，如往年存档", "a hidden sheet, such as last year's archive"),
    "no-header": ("没有台账表头", "no ledger header"),
}


def sheet_order(names: list[str], hidden: set[str], active: int | None,
                passed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The order sheets are tried in: the active sheet, the other visible ones, then instructions
    sheets (填表说明), hidden sheets last: last year's ledger kept hidden is never chosen over the
    visible one. `--sheet` still picks any sheet."""
    act = names[active] if active is not None and 0 <= active < len(names) else None
    names = [n for n in names if n != META_SHEET]
    first, later, last = [], [], []
    for n in names:
        if n in hidden:
            last.append((n, "hidden"))
        elif _INSTRUCTIONS.search(n):
            later.append((n, "instructions"))
        elif n == act:
            first.insert(0, (n, "active"))
        else:
            first.append((n, "visible"))
    passed.extend(later + last)
    return first + later + last


def active_tab(path: Path) -> int | None:
    """activeTab of workbook.xml: the sheet Excel shows on opening (0 when not written)."""
    try:
        with zipfile.ZipFile(path) as zf:
            head = zf.read("xl/workbook.xml")[:8192]
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    m = re.search(rb'activeTab="(\d+)"', head)
    return int(m.group(1)) if m else 0
