"""Which ledger type a header row is, and the generic profile for ledgers of no declared type.

Offices keep many more kinds of ledger than the built-in types (整改, 督办, 民生实事, 项目, 交办 and
kinds nobody declared). A detected type must therefore never demand columns the ledger does not
have: the columns a ledger has define what is checked. Here a header row is fitted to the
built-in types; the best one is used when it explains most of the columns whose role can be read
from their header words, restricted to the columns found and extended by the other recognised
ones. Otherwise a generic profile is compiled from the roles alone, so that deadlines, units,
people, phones and amounts are still checked. A type chosen by the office (--type, a template's
`_taizhang` sheet) is used whole: there, a column it lacks is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .ledger_types import UNIT_ROLES, ColumnDef, LedgerType, builtin_types, strip_note

GENERIC = "generic"
# roles worth adding to a detected type when the ledger has such a column: the ones with a grammar
CHECKED_ROLES = frozenset({*UNIT_ROLES, "deadline", "contact", "phone", "person", "amount"})
TASK_LEVEL = frozenset({"key", "category", "task", "units", "lead_unit"})
ROLE_NAMES = {
    "key": ("序号", "key"), "category": ("分类", "category"), "task": ("任务", "task"), "output": ("成果/内容", "output"),
    "units": ("责任单位", "units"), "lead_unit": ("牵头单位", "lead unit"), "co_units": ("配合单位", "co-operating units"),
    "deadline": ("时限", "deadline"), "progress": ("进展", "progress"), "status": ("状态", "status"),
    "contact": ("联系人", "contact"), "phone": ("电话", "phone"), "person": ("责任人", "responsible person"),
    "amount": ("金额", "amount"), "note": ("备注", "note"),
}
FIT_SHARE = 0.75  # a built-in type must explain this share of the recognisable columns

# Header words that carry a role, tried in this order (a header is 整改时限 before it is 整改…).
# Used until the reader's own header matcher (issue 12) provides match_header().
_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((role, re.compile(p)) for role, p in (
    ("key", r"^(?:序号|编号|序|No\.?)$"),
    ("phone", r"电话|手机|联系方式"),
    ("contact", r"联系人|联络人|联络员"),
    ("person", r"责任人|承办人|负责人|经办人|办理人"),
    ("co_units", r"(?:配合|协办|协助|参与)(?:单位|部门|处室|科室)?"),
    ("lead_unit", r"(?:牵头|主办)(?:单位|部门|处室|科室)?"),
    ("units", r"单位|部门|处室|科室|实施主体|责任主体"),
    ("amount", r"万元|亿元|投资|金额|资金|经费"),
    ("deadline", r"时限|期限|截止|完成时间|完成日期|办结时间|办结日期|竣工时间|完工时间|时间节点|进度安排|时间进度"),
    ("progress", r"进展|进度|完成情况|办理情况|落实情况|推进情况|办理结果|成效"),
    ("status", r"状态|是否完成|是否办结"),
    ("note", r"备注|说明"),
    ("task", r"事项|任务|问题|项目|名称|事由"),
    ("output", r"成果|目标|内容|措施|具体工作"),
    ("category", r"分类|类别|来源|依据|领域"),
))


def header_role(text: str) -> str | None:
    """The role a header's words carry (整改时限 -> deadline, 承办科室 -> units), or None."""
    try:  # the reader's matcher, once it exists, knows more words than this fallback
        from .header_roles import match_header  # type: ignore[import-not-found]
    except ImportError:
        match_header = None
    if match_header is not None:
        found = match_header(text)
        role = getattr(found, "role", found)
        return role if isinstance(role, str) else None
    bare = strip_note(text)
    for role, pattern in _KEYWORDS:
        if pattern.search(bare):
            return role
    if re.search(r"万元|亿元", text):  # 总计（万元）: the note names the unit of money
        return "amount"
    return None


@dataclass(frozen=True, slots=True)
class Fit:
    """A header row fitted to a type: which type, which column is which, and why.

    For a detected type, `ledger_type` is the whole built-in type until `settle()` restricts it to
    the columns found (after the reader has looked for a second header row).
    """

    ledger_type: LedgerType
    mapping: dict[int, ColumnDef]
    source: str  # option | template | detected | generic
    restrict: bool = False
    headers: tuple[str, ...] = ()
    recognised: dict[int, str] = field(default_factory=dict)  # header cells whose words tell a role

    @property
    def explained(self) -> int:
        return sum(1 for i in self.mapping if i in self.recognised)


def fit_header(headers: list[str], wanted: LedgerType | None = None, *, restrict: bool = False) -> Fit | None:
    """Fit one row of normalised header cells; None when the row is not a ledger header.

    `wanted` is the type the office fixed; `restrict` asks to use it only for the columns present
    (a split file carries its master's type but not necessarily all its columns).
    """
    roles = {i: header_role(h) for i, h in enumerate(headers) if h}
    recognised = {i: r for i, r in roles.items() if r}
    if wanted is not None:
        _, mapping = wanted.match(headers)
        if not _is_header(mapping):
            return None
        return Fit(wanted, mapping, "template" if restrict else "option", restrict, tuple(headers), recognised)
    best = None
    for t in builtin_types().values():
        score, mapping = t.match(headers)
        if _is_header(mapping) and (best is None or score > best[0]):
            best = (score, t, mapping)
    if best is not None:
        _, t, mapping = best
        task = t.by_role("task")
        if (task is None or task in mapping.values()) and len(mapping) >= FIT_SHARE * max(len(recognised), 1):
            return Fit(t, mapping, "detected", True, tuple(headers), recognised)
    generic = generic_profile(headers, recognised)
    if generic is not None:
        return generic
    if best is not None:  # a poor fit still beats no header at all
        _, t, mapping = best
        return Fit(t, mapping, "detected", True, tuple(headers), recognised)
    return None


def settle(fit: Fit, mapping: dict[int, ColumnDef]) -> tuple[LedgerType, dict[int, ColumnDef]]:
    """The type to check with and its final column mapping (after a second header row, if any).

    A detected type keeps only the columns found, plus the other columns whose role has a grammar.
    """
    if not fit.restrict:
        return fit.ledger_type, mapping
    t = fit.ledger_type
    mapping = dict(mapping)
    taken = {c.name for c in mapping.values()}
    for i, role in sorted(fit.recognised.items()):
        if i in mapping or role not in CHECKED_ROLES:
            continue
        col = ColumnDef(name=_unique(fit.headers[i], taken), role=role, level="item")
        taken.add(col.name)
        mapping[i] = col
    present = set(mapping.values())
    extra = [c for _, c in sorted(mapping.items()) if c not in t.columns]
    columns = tuple(c for c in t.columns if c in present) + tuple(extra)
    return replace(t, columns=columns), mapping


def _is_header(mapping: dict[int, ColumnDef]) -> bool:
    return len(mapping) >= 2 and bool({c.role for c in mapping.values()} & {"key", "task"})


def generic_profile(headers: list[str], recognised: dict[int, str] | None = None) -> Fit | None:
    """A type compiled from the roles the header words carry; None if the row is no ledger header.

    The first task, unit (lead or sole) and deadline column, and every responsible person, are
    required, as in the built-in types; categories, notes and status words are left alone.
    """
    if recognised is None:
        recognised = {i: r for i, h in enumerate(headers) if h and (r := header_role(h))}
    roles = set(recognised.values())
    if len(recognised) < 3 or not roles & {"key", "task"}:
        return None
    mapping: dict[int, ColumnDef] = {}
    taken: set[str] = set()
    first: set[str] = set()
    for i, role in sorted(recognised.items()):
        if role == "note":
            continue
        group = "units" if role in ("units", "lead_unit") else role
        required = role == "person" or (role in ("task", "units", "lead_unit", "deadline") and group not in first)
        first.add(group)
        col = ColumnDef(name=_unique(headers[i], taken), role=role, level="task" if role in TASK_LEVEL else "item",
                        required=required, editable=role in ("progress", "contact", "phone", "person"))
        taken.add(col.name)
        mapping[i] = col
    if not _is_header(mapping):
        return None
    ltype = LedgerType(name=GENERIC, title="通用台账", columns=tuple(mapping[i] for i in sorted(mapping)),
                       description="没有内置类型与表头相符：按各列的作用检查")
    return Fit(ltype, mapping, "generic", False, tuple(headers), recognised)


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}_{n}", n + 1
    return out


def type_reason(source: str, ltype: LedgerType, explained: int = 0, recognised: int = 0) -> dict[str, str]:
    """Why this type or profile was used, for the report line (zh and en)."""
    if source == "option":
        return {"zh": "由 --type 指定，缺少的列会报告", "en": "given with --type; missing columns are reported"}
    if source == "template":
        return {"zh": "由工作簿的 _taizhang 工作表指定，缺少的列会报告",
                "en": "fixed by the workbook's _taizhang sheet; missing columns are reported"}
    roles = list(dict.fromkeys(c.role for c in ltype.columns))
    if source == "generic":
        zh = "、".join(ROLE_NAMES.get(r, (r, r))[0] for r in roles)
        en = ", ".join(ROLE_NAMES.get(r, (r, r))[1] for r in roles)
        return {"zh": f"自动识别：没有内置类型与表头相符，按各列的作用检查（{zh}）",
                "en": f"detected: no built-in type fits the header; each column is checked for its role ({en})"}
    return {"zh": f"自动识别：表头可识别的 {recognised} 列中 {explained} 列与该类型相符；只检查台账已有的列",
            "en": f"detected: {explained} of the {recognised} recognisable header columns fit this type; "
                  "only the columns the ledger has are checked"}
