"""Match header text to column roles, the way people read a ledger's header.

Offices name one column many ways: 完成时限, 办结时限（填写到日）, 截止时间; 责任单位, 主办处室,
承办科室; 推进情况, 落实进展, 工作进展（截至本月底）. A fixed list of names never covers them, so a
header is matched in three steps, strongest first:

1. exact: its name (bracketed notes and line breaks set aside) is the canonical name of a role;
2. alias: it is a name offices use for that role;
3. keyword: it holds the words that carry the role (时限 / 时间 / 期限, 牵头 / 配合, 单位 / 部门 /
   处室 / 科室, 联系 / 电话 ...).

`match_header` answers for one header without any ledger type; `assign_columns` gives each column
of a ledger type at most one header column (and each header column at most one role): exact beats
alias beats keyword, so a leader column (责任领导) never steals the contact role from 联系人.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Literal, NamedTuple, Sequence

from .normalize import normalize_header

How = Literal["setting", "exact", "alias", "keyword"]  # setting: the user's own mapping (_taizhang sheet)
STRENGTH = {"setting": 4, "exact": 3, "alias": 2, "keyword": 1}

# roles beyond a ledger type's own: a header can name them even when no type declares them
EXTRA_ROLES = ("content", "responsible", "contact_phone")


@dataclass(frozen=True, slots=True)
class RoleTerms:
    exact: tuple[str, ...]
    aliases: tuple[str, ...]
    keywords: tuple[str, ...]  # any one of them (plain substrings) carries the role


# Order matters for keywords: the first role whose keyword the name holds wins, so the more
# specific roles come first (联系人及电话 before 联系人, 配合部门 before 部门, 完成时限 before 完成情况).
ROLE_TERMS: dict[str, RoleTerms] = {
    "key": RoleTerms(("序号",), ("编号", "序", "序列号", "任务编号", "项目编号", "No", "No."), ("序号", "编号")),
    "contact_phone": RoleTerms((), ("联系人及电话", "联系人电话", "联系人/电话", "联系人及联系电话", "联络人及手机",
                                    "联络人及电话", "联系人及手机", "联系人及联系方式", "联系人和电话"), ()),
    "responsible": RoleTerms(("责任人",), ("责任领导", "分管领导", "牵头领导", "负责人", "分管负责人", "责任领导及责任人"),
                             ("领导", "责任人", "负责人")),
    "contact": RoleTerms(("联系人",), ("联络人", "经办人", "具体联系人", "工作联系人"), ("联系人", "联络人", "经办人")),
    "phone": RoleTerms(("联系电话",), ("电话", "联系方式", "手机", "办公电话", "手机号码", "联系电话号码"),
                       ("电话", "手机", "联系方式")),
    "co_units": RoleTerms(("配合部门", "配合单位"), ("协办单位", "协办处室", "协办科室", "协办部门", "配合处室", "配合科室",
                                                   "参与单位", "参与部门", "协同单位", "协同部门"),
                          ("配合", "协办", "参与", "协同")),
    "lead_unit": RoleTerms(("牵头部门", "牵头单位"), ("牵头处室", "牵头科室", "牵头责任单位"), ("牵头",)),
    "units": RoleTerms(("责任单位",), ("责任部门", "责任处室", "责任科室", "主办单位", "主办处室", "主办科室", "承办单位",
                                      "承办处室", "承办科室", "承办部门", "主责单位", "责任主体"),
                       ("单位", "部门", "处室", "科室", "主体")),
    "deadline": RoleTerms(("完成时限及主要节点", "完成时限", "时间进度"),
                          ("完成时间", "时间节点", "进度安排", "截止时间", "办结时限", "办结时间", "完成期限", "时限要求",
                           "时间要求", "完成时限要求", "时限"),
                          ("时限", "时间", "期限", "节点", "截止", "办结", "日期")),
    "progress": RoleTerms(("推进情况",), ("进展情况", "工作进展", "进度情况", "落实情况", "落实进展", "完成情况",
                                         "推进落实情况", "工作推进情况", "进展", "目前进展"),
                          ("进展", "进度", "情况", "落实")),
    "status": RoleTerms(("完成状态",), ("状态", "是否完成", "办理状态", "完成与否"), ("状态", "是否")),
    "output": RoleTerms(("重要成果形式",), ("成果形式", "主要成果", "预期成果", "成果"), ("成果",)),
    "content": RoleTerms(("具体工作",), ("工作内容", "主要内容", "具体任务", "工作措施", "具体措施", "主要措施", "子任务",
                                        "分项任务", "具体内容"), ("措施", "内容", "具体")),
    "task": RoleTerms(("改革事项", "重点任务", "工作任务"), ("改革任务", "任务内容", "任务名称", "工作事项", "重点工作",
                                                       "任务事项", "改革举措", "重点改革任务"), ("事项", "任务", "举措")),
    "category": RoleTerms(("任务分类",), ("分类", "类别", "任务来源", "工作领域", "领域", "板块"), ("分类", "类别", "领域")),
    "note": RoleTerms(("备注",), ("说明", "附注", "备考"), ("备注",)),
}

# A header role may fill a type's column of another role when the type has none of its own:
# 主办处室 (units) is a key-tasks ledger's 牵头部门 (lead_unit); 具体工作 (content) is the
# reform ledger's output column; a combined 联系人/电话 column serves as the contact column.
SERVES = {
    "units": ("lead_unit",),
    "lead_unit": ("units",),
    "content": ("output",),
    "contact_phone": ("contact",),
}

_NOTE = re.compile(r"[（(【\[〔<＜《][^）)】\]〕>＞》]*[）)】\]〕>＞》]?")


class HeaderMatch(NamedTuple):
    """What a header cell was read as: its role (None: none), how it matched, the note set aside.

    A tuple too: `role, how, name, note = match_header(text)`.
    """

    role: str | None
    how: How | None
    name: str  # the header's name: normalised, notes and line breaks removed
    note: str = ""  # the bracketed note(s) set aside, e.g. "填写到日"


def split_note(text: Any) -> tuple[str, str]:
    """(name, note) of a header cell: 办结时间（填写到日） -> ("办结时间", "填写到日").

    Full-width and half-width brackets, 【】 and line breaks inside are all set aside; a header
    that is nothing but a bracket keeps its text as the name.
    """
    full = normalize_header(text)
    if not full:
        return "", ""
    notes = [m.group(0) for m in _NOTE.finditer(full)]
    if not notes:
        return full, ""
    name = _NOTE.sub("", full)
    if not name:
        return full, ""
    note = "；".join(n.strip("（()）【】[]〔〕<>＜＞《》") for n in notes)
    return name, note


@lru_cache(maxsize=4096)
def match_header(text: Any) -> HeaderMatch:
    """The role a header names, without any ledger type: exact, else alias, else keyword."""
    name, note = split_note(text)
    if not name:
        return HeaderMatch(None, None, "", "")
    folded = name.replace("／", "/").replace("、", "及").replace("和", "及")
    for how in ("exact", "alias"):
        for role, terms in ROLE_TERMS.items():
            names = terms.exact if how == "exact" else terms.aliases
            if name in names or folded in names:
                return HeaderMatch(role, how, name, note)  # type: ignore[arg-type]
    role = _keyword_role(name)
    return HeaderMatch(role, "keyword" if role else None, name, note)


def _keyword_role(name: str) -> str | None:
    person = any(w in name for w in ("联系人", "联络人", "经办人"))
    if person and any(w in name for w in ("电话", "手机", "方式", "号码")):
        return "contact_phone"
    for role, terms in ROLE_TERMS.items():
        if any(k in name for k in terms.keywords):
            return role
    return None


@dataclass(frozen=True, slots=True)
class Assignment:
    """One header column given to one column of a ledger type."""

    index: int  # 0-based column in the sheet
    column: Any  # the type's ColumnDef
    how: How
    match: HeaderMatch

    @property
    def strength(self) -> int:
        return STRENGTH[self.how]


def pair_strength(header: Any, column: Any) -> How | None:
    """How header text fits one column of a type (a ColumnDef): exact (its name), alias (one of its
    aliases, or a name offices use for its role), keyword (words of its role), or None."""
    m = match_header(header)
    if not m.name:
        return None
    full = normalize_header(header)
    names = column.match_names
    if m.name == names[0] or full == names[0]:
        return "exact"
    if m.name in names[1:] or full in names[1:]:
        return "alias"
    if m.role is not None and m.role == column.role:
        # a name offices use for the role (协办处室 for 配合部门) is as good as the type's own alias
        return "alias" if m.how in ("exact", "alias") else "keyword"
    if m.role is not None and column.role in SERVES.get(m.role, ()):
        return "keyword"
    return None


def assign_columns(headers: Sequence[Any], columns: Iterable[Any]) -> dict[int, Assignment]:
    """Give each type column at most one header column and each header column at most one role.

    All (header, column) pairs are ranked by strength (exact > alias > keyword), then by the
    header role being the column's own (not merely serving it), then left to right; pairs are
    taken greedily, never claiming a header column or a type column twice.
    """
    columns = list(columns)
    pairs = []
    for i, head in enumerate(headers):
        if head is None or head == "":
            continue
        m = match_header(head)
        if not m.name:
            continue
        for order, col in enumerate(columns):
            how = pair_strength(head, col)
            if how is None:
                continue
            own = how != "keyword" or m.role == col.role
            pairs.append((-STRENGTH[how], not own, i, order, Assignment(i, col, how, m)))
    pairs.sort(key=lambda p: p[:4])
    taken_idx: set[int] = set()
    taken_col: set[int] = set()
    out: dict[int, Assignment] = {}
    for *_, a in pairs:
        if a.index in taken_idx or id(a.column) in taken_col:
            continue
        taken_idx.add(a.index)
        taken_col.add(id(a.column))
        out[a.index] = a
    return dict(sorted(out.items()))


__all__ = ["HeaderMatch", "Assignment", "ROLE_TERMS", "EXTRA_ROLES", "split_note", "match_header", "pair_strength",
           "assign_columns"]
