"""Header text to roles: exact name, alias, keywords with bracketed notes set aside; one column, one role."""

from __future__ import annotations

import pytest

from taizhang.validator.header_roles import assign_columns, match_header, split_note
from taizhang.validator.ledger_types import builtin_types


@pytest.mark.parametrize("text, role, how, note", [
    ("办结时间（填写到日）", "deadline", "alias", "填写到日"),
    ("联系电话(座机)", "phone", "exact", "座机"),
    ("工作进展\n（截至本月底）", "progress", "alias", "截至本月底"),
    ("主办单位（排第一位的为牵头）", "units", "alias", "排第一位的为牵头"),
    ("主办处室", "units", "alias", ""),
    ("协办处室", "co_units", "alias", ""),
    ("承办科室", "units", "alias", ""),
    ("办结时限", "deadline", "alias", ""),
    ("落实进展", "progress", "alias", ""),
    ("联系人/电话", "contact_phone", "alias", ""),
    ("联络人及手机", "contact_phone", "alias", ""),
    ("责任领导", "responsible", "alias", ""),
    ("责任人", "responsible", "exact", ""),
    ("具体工作", "content", "exact", ""),
    ("是否完成", "status", "alias", ""),
    ("备注", "note", "exact", ""),
    ("牵头", "lead_unit", "keyword", ""),
    ("配合", "co_units", "keyword", ""),
    ("任务完成时间节点", "deadline", "keyword", ""),
    ("街道责任科室", "units", "keyword", ""),
    ("联系人姓名及办公电话", "contact_phone", "keyword", ""),
    ("填表说明", None, None, ""),
])
def test_match_header(text, role, how, note):
    m = match_header(text)
    assert (m.role, m.how, m.note) == (role, how, note)


def test_split_note_keeps_a_bracket_only_header_and_joins_several_notes():
    assert split_note("（备注）") == ("（备注）", "")
    assert split_note("完成时限【必填】(填写到日)") == ("完成时限", "必填；填写到日")


def _served(headers, type_name="reform-ledger"):
    t = builtin_types()[type_name]
    return {headers[i]: (a.column.name, a.how) for i, a in assign_columns(headers, t.columns).items()}


def test_exact_beats_alias_and_a_column_is_never_claimed_twice():
    # 责任人 is the reform type's alias of 联系人; the exact 联系人 beside it wins
    got = _served(["序号", "改革事项", "责任人", "联系人", "联系电话"])
    assert got["联系人"] == ("联系人", "exact") and "责任人" not in got
    # alone, 责任人 serves as the contact column by its alias
    assert _served(["序号", "改革事项", "责任人", "联系电话"])["责任人"] == ("联系人", "alias")


def test_alias_beats_keyword_and_leader_columns_do_not_steal_the_contact_role():
    got = _served(["序号", "改革事项", "责任领导", "联络人", "联系电话（座机）"])
    assert got["联络人"] == ("联系人", "alias") and "责任领导" not in got
    assert got["联系电话（座机）"] == ("联系电话", "exact")
    # two deadline-ish columns: the alias takes the deadline, the keyword one is left alone
    got = _served(["序号", "改革事项", "完成时间", "填报时间"])
    assert got["完成时间"] == ("完成时限及主要节点", "alias") and "填报时间" not in got


def test_keywords_fill_a_type_column_by_role():
    got = _served(["序号", "重点任务", "具体工作", "主办处室", "协办处室"], "key-tasks")
    assert got["主办处室"] == ("牵头部门", "keyword") and got["协办处室"] == ("配合部门", "alias")
