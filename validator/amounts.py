"""Amounts (投资, 资金, in 万元): a number, or nothing.

Project and 民生实事 ledgers sum their investment columns; a cell holding 约500, 待定 or 1.2亿
(another unit than the column's 万元) breaks the sum without anyone noticing, because Excel
silently skips text. A number typed as text (1,200 or １２００) still counts: the column's header
says the unit, and a trailing 万元 / 万 repeating it is harmless.
"""

from __future__ import annotations

import re

from .findings import Problem
from .normalize import FULLWIDTH_ASCII

_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|万)?$")
_NOTHING = frozenset({"-", "—", "——", "/", "无", "0"})  # written for "no money in this column"


def amount_problems(text: str | None) -> list[Problem]:
    """invalid-amount when the cell is not a number (the reader gives numbers as their digits)."""
    if text is None:
        return []
    value = re.sub(r"\s+", "", str(text).translate(FULLWIDTH_ASCII))
    if not value or value in _NOTHING or _NUMBER.match(value):
        return []
    return [Problem("invalid-amount")]
