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
from dataclasses import dataclass, replace
from typing import Any

from .header_roles import Assignment, match_header
from .ledger_types import UNIT_ROLES, ColumnDef, LedgerType

GENERIC = "generic"
# roles worth adding to a detected type when the ledger has such a column: the ones with a grammar
CHECKED_ROLES = frozenset({*UNIT_ROLES, "deadline", "contact", "phone", "responsible", "amount"})
TASK_LEVEL = frozenset({"key", "category", "task", "units", "lead_unit"})
LEFT_ALONE = frozenset({"note", "status", "contact_phone"})  # kept, shown, not checked in a generic profile
ROLE_NAMES = {
    "key": ("序号", "key"), "category": ("分类", "category"), "task": ("任务", "task"), "output": ("成果", "output"),
    "content": ("内容", "content"), "units": ("责任单位", "units"), "lead_unit": ("牵头单位", "lead unit"),
    "co_units": ("配合单位", "co-operating units"), "deadline": ("时限", "deadline"), "progress": ("进展", "progress"),
    "status": ("状态", "status"), "contact": ("联系人", "contact"), "phone": ("电话", "phone"),
    "responsible": ("责任人", "responsible person"), "amount": ("金额", "amount"), "note": ("备注", "note"),
}
FIT_SHARE = 0.75  # a built-in type must explain this share of the recognisable columns
# words the header matcher leaves to this module: money, and the people a 督办 / 交办 ledger names
_AMOUNT = re.compile(r"万元|亿元|投资|金额|资金|经费")
_RESPONSIBLE = re.compile(r"承办人|办理人|责任人")
_TASK = re.compile(r"问题|项目名称")
_PROGRESS = re.compile(r"结果|成效")
# a deadline proper (办结期限) comes before a date column (交办时间) that only records when
_DEADLINE = re.compile(r"时限|期限|截止|完成")


def header_role(text: object) -> str | None:
    """The role a header's words carry (整改时限 -> deadline, 承办科室 -> units), or None."""
    m = match_header(text)
    if m.role is None and _AMOUNT.search(m.name + m.note):
        return "amount"  # 总投资（万元）, 年度计划投资
    if m.role is None and _RESPONSIBLE.search(m.name):
        return "responsible"
    if m.role is None and _TASK.search(m.name):
        return "task"  # 发现问题, 反映问题, 存在问题
    if m.role is None and _PROGRESS.search(m.name):
        return "progress"  # 处理结果, 办理结果
    return m.role


@dataclass(frozen=True, slots=True)
class Fit:
    """The type a header row is read with, and why.

    `restrict`: the type is used only for the columns found, plus the other recognised columns
    whose role has a grammar (a detected type, or a split file's master type).
    """

    ledger_type: LedgerType
    mapping: dict[int, Assignment]
    source: str  # option | template | detected | generic
    restrict: bool = False
    explained: int = 0  # recognisable header cells the type explains
    recognised: int = 0  # header cells whose words tell a role


def choose(ltype: LedgerType, mapping: dict[int, Assignment], row: list[Any], *, wanted: bool,
           from_template: bool, restrict: bool) -> Fit:
    """Keep the reader's best built-in type for this header row, or use the generic profile.

    A detected built-in type is kept when its task column was found and it explains most of the
    columns whose role the header words tell; otherwise the roles alone make a generic profile.
    """
    recognised = {i: r for i, v in enumerate(row) if (r := header_role(v))}
    explained = sum(1 for i in mapping if i in recognised)
    if wanted or from_template:
        source = "template" if from_template else "option"
        return Fit(ltype, mapping, source, restrict, explained, len(recognised))
    if ltype.name == GENERIC:
        return Fit(ltype, mapping, "generic", False, len(mapping), len(recognised))
    task = ltype.by_role("task")
    found = {id(a.column) for a in mapping.values()}
    if (task is None or id(task) in found) and len(mapping) >= FIT_SHARE * max(len(recognised), 1):
        return Fit(ltype, mapping, "detected", True, explained, len(recognised))
    generic = generic_profile(row)
    if generic is not None:
        return generic
    return Fit(ltype, mapping, "detected", True, explained, len(recognised))


def settle(fit: Fit, mapping: dict[int, Assignment], headers: list[Any]) -> tuple[LedgerType, dict[int, Assignment]]:
    """The type to check with and its final column mapping (after a second header row, if any)."""
    if not fit.restrict:
        return fit.ledger_type, mapping
    t = fit.ledger_type
    mapping = dict(mapping)
    taken = {a.column.name for a in mapping.values()}
    has_contact = any(a.column.role == "contact" for a in mapping.values())
    for i, head in enumerate(headers):
        role = header_role(head) if i not in mapping else None
        if role not in CHECKED_ROLES:
            continue
        m = match_header(head)
        if role == "responsible" and (has_contact or "人" not in m.name):
            continue  # a leader (责任领导), or a 责任人 beside the 联系人 who answers: kept, left alone
        col = ColumnDef(name=_unique(m.name, taken), role=role, level="item")
        taken.add(col.name)
        mapping[i] = Assignment(i, col, m.how or "keyword", m)
    present = {id(a.column) for a in mapping.values()}
    phone = t.by_role("phone")
    if phone is not None and any(a.match.role == "contact_phone" for a in mapping.values()):
        present.add(id(phone))  # 联系人/电话 in one column: the reader fills the phone column from it
    own = {id(c) for c in t.columns}
    extra = [a.column for _, a in sorted(mapping.items()) if id(a.column) not in own]
    columns = tuple(c for c in t.columns if id(c) in present) + tuple(extra)
    return replace(t, columns=columns), dict(sorted(mapping.items()))


def generic_profile(row: list[Any]) -> Fit | None:
    """A type compiled from the roles the header words carry; None if the row is no ledger header.

    The first task, unit (lead or sole) and deadline column, and each responsible person (责任人,
    承办人; not a leader) are required, as in the built-in types; notes and status words are left
    alone.
    """

    recognised = {i: r for i, v in enumerate(row) if (r := header_role(v))}
    if len(recognised) < 3 or not set(recognised.values()) & {"key", "task"}:
        return None
    mapping: dict[int, Assignment] = {}
    taken: set[str] = set()
    first: set[str] = set()
    for i, role in sorted(recognised.items()):
        if role in LEFT_ALONE:
            continue
        m = match_header(row[i])
        group = "units" if role in ("units", "lead_unit") else role
        weak = role == "deadline" and not _DEADLINE.search(m.name)
        required = (role == "responsible" and "人" in m.name) or \
            (role in ("task", "units", "lead_unit", "deadline") and group not in first and not weak)
        if not weak:
            first.add(group)
        col = ColumnDef(name=_unique(m.name, taken), role=role, level="task" if role in TASK_LEVEL else "item",
                        required=required, editable=role in ("progress", "contact", "phone", "responsible"))
        taken.add(col.name)
        mapping[i] = Assignment(i, col, m.how or "keyword", m)
    if not {a.column.role for a in mapping.values()} & {"key", "task"}:
        return None
    # by_role("deadline") is what roll-up dates an item by: a deadline proper before a mere date
    order = sorted(mapping, key=lambda i: (mapping[i].column.role == "deadline" and not
                                           _DEADLINE.search(mapping[i].column.name), i))
    ltype = LedgerType(name=GENERIC, title="通用台账", columns=tuple(mapping[i].column for i in order),
                       description="没有内置类型与表头相符：按各列的作用检查")
    return Fit(ltype, mapping, "generic", False, len(mapping), len(recognised))


def _unique(name: str, taken: set[str]) -> str:
    out, n = name, 2
    while out in taken:
        out, n = f"{name}_{n}", n + 1
    return out


def type_reason(fit: Fit, ltype: LedgerType) -> dict[str, str]:
    """Why this type or profile was used, for the report line (zh and en)."""
    if fit.source == "option":
        return {"zh": "由 --type 指定，缺少的列会报告", "en": "given with --type; missing columns are reported"}
    if fit.source == "template" and fit.restrict:
        return {"zh": "由拆分文件的 _taizhang 工作表得知（总台账的类型）；只检查台账已有的列",
                "en": "from the split file's _taizhang sheet (the master's type); only the columns the ledger has "
                      "are checked"}
    if fit.source == "template":
        return {"zh": "由工作簿的 _taizhang 工作表指定，缺少的列会报告",
                "en": "fixed by the workbook's _taizhang sheet; missing columns are reported"}
    roles = list(dict.fromkeys(c.role for c in ltype.columns))
    if fit.source == "generic":
        zh = "、".join(ROLE_NAMES.get(r, (r, r))[0] for r in roles)
        en = ", ".join(ROLE_NAMES.get(r, (r, r))[1] for r in roles)
        return {"zh": f"自动识别：没有内置类型与表头相符，按各列的作用检查（{zh}）",
                "en": f"detected: no built-in type fits the header; each column is checked for its role ({en})"}
    return {"zh": f"自动识别：表头可识别的 {fit.recognised} 列中 {fit.explained} 列与该类型相符；只检查台账已有的列",
            "en": f"detected: {fit.explained} of the {fit.recognised} recognisable header columns fit this type; "
                  "only the columns the ledger has are checked"}
