"""Dates a notice states (``年底前``, ``9月底前``, ``2019年``), proposed as deadlines.

Each is confirmed with the deadline grammar of `validator.deadlines`; dates inside titles of
documents (《…》) and document numbers (〔2018〕) are not deadlines.
"""

from __future__ import annotations

import re

_DEADLINE = re.compile(
    r"(?:(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*)?"
    r"(?:(?<![\d.．])\d{1,2}\s*月份?(?:\s*\d{1,2}\s*[日号]|上旬|中旬|下旬|底|末)?"
    r"|(?<![一二三四五六七八九十])(?:十[一二]?|[一二三四五六七八九])月份?(?:上旬|中旬|下旬|底|末|份)"
    r"|上半年|下半年|第?[一二三四1-4]\s*季度|年底|年末)"
    r"(?:之?前|以前)?"
    r"|(?<![\d.．])\d{4}\s*年(?!度|版|以来|起|开始|初|中|\d)(?:底|末)?(?:之?前|以前)?"
)
_NO_DATES = re.compile(r"《[^《》]*》|〔[^〔〕]*〕|\[[^\[\]]*\]")  # titles and document numbers


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
