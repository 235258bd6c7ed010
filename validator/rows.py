"""Row classes: which rows under a ledger's header are tasks, and which are not.

Between and below the tasks, offices put section headings (二、推进公立医院综合改革, merged across
the table), 合计 / 总计 rows, 注： footnotes, a 填报单位 / 填报人 / 审核人 / 日期 line and blank
rows. None of them is work someone answers for: they get no findings and are not counted, but
they are kept where they are. Tasks and their sub-items are told apart later, by the key.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Sequence

RowClass = Literal["task", "sub-item", "section", "total", "note", "blank"]
ROW_CLASSES: tuple[str, ...] = ("task", "sub-item", "section", "total", "note", "blank")
LABELS = {"task": ("任务", "task"), "sub-item": ("子项", "sub-item"), "section": ("分节标题", "section"),
          "total": ("合计", "total"), "note": ("注释/落款", "note"), "blank": ("空行", "blank")}

_TOTAL = re.compile(r"^(?:合\s*计|总\s*计|小\s*计|共\s*计)")
_NOTE = re.compile(r"^(?:注|备注|说明|附注|注释|填表说明)\s*[0-9一二三四五六七八九十]*\s*[：:.．、]"
                   r"|^(?:填报单位|填报人|填表人|审核人|制表人|制表|审核|签发人?|负责人|联系人|联系电话|报送单位|"
                   r"填报日期|填表日期|报送日期|日期)\s*[：:]")
_SECTION = re.compile(r"^(?:[一二三四五六七八九十百]+\s*[、.．]|[（(][一二三四五六七八九十百]+[）)]|"
                      r"第[一二三四五六七八九十百0-9]+(?:部分|章|节|类|项|方面))")
_CN_NUMERAL = re.compile(r"^[一二三四五六七八九十百]+[、.．]?$|^[（(][一二三四五六七八九十百]+[）)]$")
_NUMBER = re.compile(r"^\s*\d+(?:[.．、]\d*)*\s*[.．、]?\s*$")


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def is_number(value: Any) -> bool:
    """A key cell holding a number (1, "2", "3.", "１"): the row is a task's, whatever else it holds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    if isinstance(value, str) and value:
        return bool(_NUMBER.match(value.translate(_FULLWIDTH)))
    return False


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}


def classify(row: Sequence[Any], *, key: int | None, first_text_col: int, wide: int = 0) -> RowClass | None:
    """The class of a row that is not plainly a task's, or None when it is (task or sub-item).

    `key` is the key column's index (None without one); `first_text_col` the last column index a
    section heading may start in (the task column); `wide` how many columns a horizontal merge
    starting in this row spans (0 when none). Called for every row whose key is not a number, so
    it looks at the first filled cell before anything else.
    """
    if key is not None and key < len(row) and is_number(row[key]):
        return None
    first_i, first = -1, ""
    for i, v in enumerate(row):
        if v is not None and v != "":
            t = _text(v)
            if t:
                first_i, first = i, t
                break
    if first_i < 0:
        return "blank"
    compact = re.sub(r"\s+", "", first)
    if _TOTAL.match(compact):
        return "total"
    if _NOTE.match(compact):
        return "note"
    if wide < 3 and first_i > first_text_col and first_i != key:
        return None  # a sub-item's text right of the task column: no heading starts there
    cells = [t for v in row[first_i:] if (t := _text(v))]
    distinct = set(cells)
    if wide >= 3 and len(distinct) == 1:
        return "section"
    if len(distinct) == 1 and first_i <= first_text_col and _SECTION.match(compact):
        return "section"
    # 一 | 推进公立医院综合改革: a Chinese numeral in the key column and the heading beside it
    if key is not None and len(cells) <= 2 and first_i == key and _CN_NUMERAL.match(compact):
        return "section"
    return None


__all__ = ["RowClass", "ROW_CLASSES", "LABELS", "classify", "is_number"]
