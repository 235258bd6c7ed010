"""Unit clauses: cut the clause off a task's text and split it into lead and co-operating units.

`(责任单位:市卫生计生委,各区市县政府)`, `（体改处牵头，医政医管处配合）`, `（A、B分别负责）`:
the roles come from labels (责任单位: / 配合单位:) or from role words (牵头 / 配合 / 负责); each
name is split with the unit registry and checked against it. Unknown names are kept as written and
reported, never dropped.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .notice_model import Units

if TYPE_CHECKING:
    from taizhang.validator.ledger_types import LedgerType
    from taizhang.validator.units import Registry

    from .notice_model import Notice

LABEL = re.compile(
    r"(责任单位|责任部门|责任处室|责任科室|牵头单位|牵头部门|牵头处室|主办单位|主责单位|"
    r"配合单位|配合部门|配合处室|协办单位|参与单位|协助单位)\s*[:：]"
)
_CO_LABEL = re.compile(r"^(配合|协办|参与|协助)")
_LEAD_WORD = re.compile(r"(?:等(?:部门|单位|处室)?)?(分别)?(?:牵头负责|牵头|主办|主责|负责)$")
_CO_WORD = re.compile(r"(?:等(?:部门|单位|处室)?)?(?:共同)?(?:配合|协助|协办|参与|参加)$")
_PHRASE_SPLIT = re.compile(r"[，,；;]")
# A clause written without brackets at the end of the text: `…。责任单位：市卫生健康委`
_BARE_LABEL = re.compile(r"(?:^|(?<=[。；;！？\s]))" + LABEL.pattern + r"(?P<rest>[^。]*?)[。；;]?$")
_OPEN, _CLOSE = "（(", "）)"
CLAUSE_AT_END = re.compile(r"[（(][^（）()]*(?:" + LABEL.pattern + r"|牵头|配合|负责)[^（）()]*[）)]\s*[。；;]?\s*$")


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
    m = re.search(r"[（(]\s*(?=" + LABEL.pattern + r")", stripped)
    if m and bracket_depth(stripped[m.start():]) > 0:
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
    if LABEL.search(inner):
        return True
    if re.search(r"(?:牵头|配合|负责|协办|协助|主办)(?:[，,；;]|$)", inner):
        return True
    names = registry.split(inner)  # （市卫生健康委） with no role word: only if every name is known
    return bool(names) and all(registry.resolve(n) for n in names)


def parse_units(inner: str, registry: "Registry", clause: str = "") -> Units:
    """`责任单位:A,B` / `A牵头，B、C配合` / `A、B分别负责` / `A负责，B配合` -> lead and co units."""
    units = Units(clause=clause or inner)
    labels = list(LABEL.finditer(inner))
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


def check_units(notice: Notice, registry: "Registry") -> None:
    """Check each distinct unit name of the tasks, sub-items and table rows once, in order of first use."""
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


def bracket_depth(text: str) -> int:
    """How many brackets are still open at the end of `text` (a closing one with none open is ignored)."""
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
    return depth
