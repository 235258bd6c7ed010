"""Tests for the deadline grammar (validator/deadlines.py).

The seed ledgers' deadline cells are listed literally: they are the texts the grammar exists for.
Property tests then check that every form the grammar documents gives the right date, and that no
input whatever makes the parser raise.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from taizhang.validator.deadlines import Deadline, Milestone, infer_year, parse_deadline
from taizhang.validator.findings import RULES

D = dt.date
DONE = "done"  # an undated done item in an expected list


def _shape(d: Deadline) -> list:
    """Milestones as a comparable list: their date, or DONE for an undated done item."""
    return [m.date if m.date is not None else (DONE if m.done else None) for m in d.milestones]


def _codes(d: Deadline) -> list[str]:
    return [p.code for p in d.problems]


# --------------------------------------------------------------------------- the seeds

# examples/sources/000_*.txt, column 完成时限及主要节点, every row in order; ledger year 2019.
SEED_000 = [
    ("5 月 31 日。", "dated", [D(2019, 5, 31)]),
    ("12 月底，创建 5 所市级中医药健康养老服务示范单位。", "dated", [D(2019, 12, 31)]),
    ("4 月底。", "dated", [D(2019, 4, 30)]),
    ("2019 年底。", "dated", [D(2019, 12, 31)]),
    ("6 月底。", "dated", [D(2019, 6, 30)]),
    ("7月底出方案。 9月底完成考核工作。", "dated", [D(2019, 7, 31), D(2019, 9, 30)]),
    ("1.已完成。 2.6月底前正式启动，12月底前总结评估。", "dated", [DONE, D(2019, 6, 30), D(2019, 12, 31)]),
    ("2019年4月底前起草《大连市疫苗预防接种全程追溯系统建设方案》； 12月前选取区市县及接种单位进行试点。",
     "dated", [D(2019, 4, 30), D(2019, 12, 31)]),
    ("2019年10月底前", "dated", [D(2019, 10, 31)]),
    ("6月底", "dated", [D(2019, 6, 30)]),
    ("6月底", "dated", [D(2019, 6, 30)]),
    ("6月底", "dated", [D(2019, 6, 30)]),
]

# examples/sources/003_*.txt, column 时间进度, rows 1-40; ledger year 2017.
_DEC, _SEP, _OCT = [D(2017, 12, 31)], [D(2017, 9, 30)], [D(2017, 10, 31)]
SEED_003 = [
    (1, "持续实施", "ongoing", []),
    (2, "持续实施", "ongoing", []),
    (3, "2017年12月", "dated", _DEC),
    (4, "2017年9月", "dated", _SEP),
    (5, "2017年12月", "dated", _DEC),
    (6, "2017年12月", "dated", _DEC),
    (7, "持续实施", "ongoing", []),
    (8, "2017年7月底前各区将核定的基层医疗卫生机构人员编制总量报市编办审核", "dated", [D(2017, 7, 31)]),
    (9, "2017年12月", "dated", _DEC),
    (10, "2017年12月", "dated", _DEC),
    (11, "2017年12月", "dated", _DEC),
    (12, "2017年12月", "dated", _DEC),
    (13, "持续推进", "ongoing", []),
    (14, "2017年12月", "dated", _DEC),
    (15, "2017年12月", "dated", _DEC),
    (16, "2017年12月", "dated", _DEC),
    (17, "2017年12月", "dated", _DEC),
    (18, "2017年12月", "dated", _DEC),
    (19, "2017年12月", "dated", _DEC),
    (20, "2017年12月", "dated", _DEC),
    (21, "持续推进", "ongoing", []),
    (22, "2017年12月", "dated", _DEC),
    (23, "2017年9月", "dated", _SEP),
    (24, "持续推进", "ongoing", []),
    (25, "2017年12月", "dated", _DEC),
    (26, "2017年9月", "dated", _SEP),
    (27, "2017年10月", "dated", _OCT),
    (28, "2017年12月", "dated", _DEC),
    (29, "2017年9月", "dated", _SEP),
    (30, "持续推进", "ongoing", []),
    (31, "2017年9月", "dated", _SEP),
    (32, "持续实施", "ongoing", []),
    (33, "持续实施", "ongoing", []),
    (34, "2017年12月", "dated", _DEC),
    (35, "2017年12月", "dated", _DEC),
    (36, "持续推进", "ongoing", []),
    (37, "2017年9月", "dated", _SEP),
    (38, "持续实施", "ongoing", []),
    (39, "持续实施", "ongoing", []),
    (40, "2017年12月", "dated", _DEC),
]


@pytest.mark.parametrize(("text", "state", "expected"), SEED_000, ids=[f"000-{i}" for i in range(len(SEED_000))])
def test_seed_000_deadlines(text, state, expected):
    d = parse_deadline(text, 2019)
    assert _shape(d) == expected
    assert d.state == state
    assert d.problems == ()


@pytest.mark.parametrize(("row", "text", "state", "expected"), SEED_003, ids=[f"003-{r[0]}" for r in SEED_003])
def test_seed_003_deadlines(row, text, state, expected):
    d = parse_deadline(text, 2017)
    assert _shape(d) == expected
    assert d.state == state
    assert d.ongoing == (state == "ongoing")
    assert d.problems == ()


def test_seed_texts_keep_their_own_text():
    d = parse_deadline("12 月底，创建 5 所市级中医药健康养老服务示范单位。", 2019)
    assert d.milestones == (Milestone(D(2019, 12, 31), "12月底，创建5所市级中医药健康养老服务示范单位", year_assumed=True),)
    d = parse_deadline("7月底出方案。 9月底完成考核工作。", 2019)
    assert [m.text for m in d.milestones] == ["7月底出方案", "9月底完成考核工作"]
    d = parse_deadline("1.已完成。 2.6月底前正式启动，12月底前总结评估。", 2019)
    assert d.milestones[0] == Milestone(None, "已完成", done=True)
    assert [m.text for m in d.milestones[1:]] == ["6月底前正式启动", "12月底前总结评估"]
    assert not any(m.done for m in d.milestones[1:])
    d = parse_deadline("2019年4月底前起草《大连市疫苗预防接种全程追溯系统建设方案》； 12月前选取区市县及接种单位进行试点。", 2019)
    assert d.milestones[0].text == "2019年4月底前起草《大连市疫苗预防接种全程追溯系统建设方案》"
    assert not d.milestones[0].year_assumed
    assert d.milestones[1].text == "12月前选取区市县及接种单位进行试点"
    assert not d.milestones[1].year_assumed  # 2019 carries over from the first clause


# 推进情况 (progress) cells of seed 000 are not deadlines, but the grammar should read them sanely.
@pytest.mark.parametrize(("text", "expected"), [
    ("5 月 31 日完成提请市政府出台实施方案。", [D(2019, 5, 31)]),
    ("前期调研、专家宣讲、组织座谈等工作已完成，目前结合历史数据进行测算，已完成2018年1-12月的数据测算。",
     [D(2018, 12, 31)]),
    ("1. 3月15日已组织各区市县卫生健康行政部门及省属、市属公立医院进行短缺药品信息填报培训，并部署相关工作。"
     "2. 印发《关于做好公立医疗卫生机构短缺药品信息直报工作的通知》（大卫计办〔2019〕34号），"
     "组织公立医疗卫生机构做好短缺药品信息直报工作。", [D(2019, 3, 15)]),
    ("3月对各区市县进行工作部署，4月中旬前，各区市县卫生健康行政部门对辖区内基层医疗卫生机构实施国家基本药物制度"
     "进行绩效考核，并公示结果并上报市卫生健康委。", [D(2019, 3, 31), D(2019, 4, 20)]),
    ("正在制定。", []),
    ("通过全科医生转岗培训等方式，加大全科医生培养力度。", []),
])
def test_seed_000_progress_texts(text, expected):
    assert parse_deadline(text, 2019).dates == tuple(expected)


@pytest.mark.parametrize(("title", "year"), [
    ("全面深化改革 2019 年卫生健康工作台账", 2019),
    ("关于印发全面深化改革 2019 年卫生健康工作台账的通知", 2019),
    ("2017年重点工作任务分工及进度安排表", 2017),
    ("附件 2017年重点工作任务分工及进度安排表", 2017),
    ("二〇一九年重点工作台账", 2019),
    ("２０２０年工作台账", 2020),
    ("2018-2019年度工作台账", 2019),
    ("台账2021.xlsx", 2021),
    ("重点工作任务分工及进度安排表", None),
    ("", None),
    (None, None),
    ("第 66 条", None),
])
def test_infer_year(title, year):
    assert infer_year(title) == year


# --------------------------------------------------------------------------- the documented forms

Y = 2019
FORMS = [
    # one date each
    ("5月31日", [D(Y, 5, 31)]),
    ("5月31号", [D(Y, 5, 31)]),
    ("5 月 31 日", [D(Y, 5, 31)]),
    ("4月底", [D(Y, 4, 30)]),
    ("4月末", [D(Y, 4, 30)]),
    ("6月底前", [D(Y, 6, 30)]),
    ("12月前", [D(Y, 12, 31)]),
    ("2月份", [D(Y, 2, 28)]),
    ("9月", [D(Y, 9, 30)]),
    ("9月上旬", [D(Y, 9, 10)]),
    ("9月中旬", [D(Y, 9, 20)]),
    ("9月下旬", [D(Y, 9, 30)]),
    ("9月初", [D(Y, 9, 10)]),
    ("9月中", [D(Y, 9, 15)]),
    ("2017年12月", [D(2017, 12, 31)]),
    ("2020年2月", [D(2020, 2, 29)]),
    ("2019年4月底前", [D(2019, 4, 30)]),
    ("2019年6月30日", [D(2019, 6, 30)]),
    ("2019-06-30", [D(2019, 6, 30)]),
    ("2019/6/30", [D(2019, 6, 30)]),
    ("2019.6.30", [D(2019, 6, 30)]),
    ("2019-06", [D(2019, 6, 30)]),
    ("2019年底", [D(2019, 12, 31)]),
    ("2020年年底", [D(2020, 12, 31)]),
    ("2020年末", [D(2020, 12, 31)]),
    ("2020年内", [D(2020, 12, 31)]),
    ("2020年", [D(2020, 12, 31)]),
    ("2020年度", [D(2020, 12, 31)]),
    ("年底", [D(Y, 12, 31)]),
    ("年底前", [D(Y, 12, 31)]),
    ("年末", [D(Y, 12, 31)]),
    ("年内", [D(Y, 12, 31)]),
    ("全年", [D(Y, 12, 31)]),
    ("上半年", [D(Y, 6, 30)]),
    ("下半年", [D(Y, 12, 31)]),
    ("2020年上半年", [D(2020, 6, 30)]),
    ("一季度", [D(Y, 3, 31)]),
    ("第一季度", [D(Y, 3, 31)]),
    ("1季度", [D(Y, 3, 31)]),
    ("第2季度", [D(Y, 6, 30)]),
    ("三季度", [D(Y, 9, 30)]),
    ("四季度末", [D(Y, 12, 31)]),
    ("2020年第一季度", [D(2020, 3, 31)]),
    ("次年3月", [D(Y + 1, 3, 31)]),
    ("明年3月底", [D(Y + 1, 3, 31)]),
    ("明年底", [D(Y + 1, 12, 31)]),
    ("次年上半年", [D(Y + 1, 6, 30)]),
    ("今年底", [D(Y, 12, 31)]),
    ("十二月底", [D(Y, 12, 31)]),
    ("三月中旬", [D(Y, 3, 20)]),
    ("十月三十一日", [D(Y, 10, 31)]),
    ("二月二十八日", [D(Y, 2, 28)]),
    ("二〇一九年三月", [D(2019, 3, 31)]),
    ("二○二〇年年底", [D(2020, 12, 31)]),
    ("６月", [D(Y, 6, 30)]),
    ("２０１９年６月３０日", [D(2019, 6, 30)]),
    ("2019 年 6 月 30 日前", [D(2019, 6, 30)]),
    # ranges end at their last date
    ("1-12月", [D(Y, 12, 31)]),
    ("6月至9月", [D(Y, 9, 30)]),
    ("3月1日至6月30日", [D(Y, 6, 30)]),
    ("2019年10月至2020年3月", [D(2020, 3, 31)]),
    # several milestones
    ("6月底；9月底", [D(Y, 6, 30), D(Y, 9, 30)]),
    ("6月底;9月底", [D(Y, 6, 30), D(Y, 9, 30)]),
    ("6月底出方案，12月底前完成", [D(Y, 6, 30), D(Y, 12, 31)]),
    ("6月底、9月底、12月底前各报送一次", [D(Y, 6, 30), D(Y, 9, 30), D(Y, 12, 31)]),
    ("6月底前起草并于12月底前印发", [D(Y, 6, 30), D(Y, 12, 31)]),
    ("1.6月底\n2.9月底", [D(Y, 6, 30), D(Y, 9, 30)]),
    ("1、6月底；2、9月底", [D(Y, 6, 30), D(Y, 9, 30)]),
    ("（1）6月底；（2）9月底", [D(Y, 6, 30), D(Y, 9, 30)]),
    ("(1)6月底(2)9月底", [D(Y, 6, 30), D(Y, 9, 30)]),
    ("①6月底②9月底", [D(Y, 6, 30), D(Y, 9, 30)]),
    ("一、三月底；二、九月底", [D(Y, 3, 31), D(Y, 9, 30)]),
    ("1.2019-06-30；2.2019.9.30", [D(2019, 6, 30), D(2019, 9, 30)]),
    ("2019年10月底前；2020年3月底前，6月底前验收", [D(2019, 10, 31), D(2020, 3, 31), D(2020, 6, 30)]),
    # done items
    ("已完成", [DONE]),
    ("完成", [DONE]),
    ("已印发", [DONE]),
    ("已于3月印发", [D(Y, 3, 31)]),
    ("1.已完成。2.持续推进", [DONE]),
    # numbers that are not dates
    ("创建 5 所", []),
    ("每万人口拥有全科医生 3.8 人", []),
    ("覆盖率达到90%以上", []),
    ("3个月内", []),
    ("2019", []),
    ("大委办发〔2019〕14号", []),
    ("印发《2020年工作要点》", []),
    ("长期护理保险试点", []),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_documented_forms(text, expected):
    d = parse_deadline(text, Y)
    assert _shape(d) == expected
    assert "invalid-deadline" not in _codes(d)
    assert "deadline-year-unknown" not in _codes(d)


@pytest.mark.parametrize(("text", "state", "ongoing"), [
    ("持续实施", "ongoing", True),
    ("持续推进", "ongoing", True),
    ("持续开展", "ongoing", True),
    ("长期", "ongoing", True),
    ("长期坚持", "ongoing", True),
    ("常态化", "ongoing", True),
    ("常态化开展，每季度通报", "ongoing", True),
    ("持续推进，6月底前出方案", "dated", True),
    ("已完成", "done", False),
    ("1.已完成。 2.已印发。", "done", False),
    ("3月15日已完成", "done", False),
    ("1.已完成。2.持续推进", "ongoing", True),
    ("1.已完成。2.6月底", "dated", False),
    ("尽快", "unknown", False),
    ("", "empty", False),
    ("   \n ", "empty", False),
])
def test_states(text, state, ongoing):
    d = parse_deadline(text, 2019)
    assert (d.state, d.ongoing) == (state, ongoing)


def test_unparsed_text_is_a_warning_not_an_error():
    d = parse_deadline("尽快", 2019)
    assert d.state == "unknown" and d.milestones == ()
    assert d.problems[0].code == "unparsed-deadline" and dict(d.problems[0].params) == {}
    assert RULES["unparsed-deadline"].severity == "warning"
    # ongoing or done wording is not "unparsed"
    assert _codes(parse_deadline("持续推进", 2019)) == []
    assert _codes(parse_deadline("已完成", 2019)) == []


@pytest.mark.parametrize(("text", "zh", "en"), [
    ("13月底", "13月不存在", "month 13 does not exist"),
    ("十三月底", "13月不存在", "month 13 does not exist"),
    ("0月", "0月不存在", "month 0 does not exist"),
    ("2019年0月", "0月不存在", "month 0 does not exist"),
    ("2月30日", "2月没有30日", "February has no day 30"),
    ("4月31日", "4月没有31日", "April has no day 31"),
    ("6月0日", "0日不存在", "day 0 does not exist"),
    ("2019年2月29日", "2019年2月没有29日", "February 2019 has no day 29"),
    ("2019-13-01", "13月不存在", "month 13 does not exist"),
    ("2019/2/30", "2月没有30日", "February has no day 30"),
    ("3019年6月", "年份 3019 不合理", "year 3019 is out of range (1900-2100)"),
])
def test_invalid_dates(text, zh, en):
    d = parse_deadline(text, 2019)
    assert d.state == "unknown"
    assert [m.date for m in d.milestones] == [None]
    assert [(p.code, dict(p.params)) for p in d.problems] == [("invalid-deadline", {"detail": {"zh": zh, "en": en}})]
    assert RULES["invalid-deadline"].severity == "error"


@pytest.mark.parametrize(("text", "texts"), [
    ("(1)6月底(2)9月底", ["6月底", "9月底"]),
    ("6月底出方案，12月底前完成", ["6月底出方案", "12月底前完成"]),
    ("创建5所示范单位。12月底前完成。正在制定", ["创建5所示范单位。12月底前完成。正在制定"]),
    ("6月底前（含6月）", ["6月底前（含6月）"]),  # a bracketed date after a date is a remark
    ("完成方案（6月底前），9月底验收", ["完成方案（6月底前）", "9月底验收"]),
])
def test_milestone_texts(text, texts):
    assert [m.text for m in parse_deadline(text, 2019).milestones] == texts


def test_bracketed_remark_is_still_checked():
    d = parse_deadline("6月底前（13月）", 2019)
    assert d.dates == (D(2019, 6, 30),) and _codes(d) == ["invalid-deadline"]


def test_invalid_date_beside_a_valid_one():
    d = parse_deadline("6月底前启动；13月底前完成", 2019)
    assert [m.date for m in d.milestones] == [D(2019, 6, 30), None]
    assert d.state == "dated"
    assert _codes(d) == ["invalid-deadline"]


def test_leap_day_is_valid_in_a_leap_year():
    assert parse_deadline("2月29日", 2020).dates == (D(2020, 2, 29),)
    assert _codes(parse_deadline("2月29日", 2019)) == ["invalid-deadline"]


def test_year_unknown():
    d = parse_deadline("6月底", None)
    assert d.milestones == (Milestone(None, "6月底"),)
    assert _codes(d) == ["deadline-year-unknown"] and d.state == "unknown"
    # one warning per cell, however many dates need the year
    assert _codes(parse_deadline("6月底；9月底", None)) == ["deadline-year-unknown"]
    # a year in the text needs no ledger year, and carries over to later dates
    d = parse_deadline("2019年4月底前起草；12月前试点", None)
    assert d.dates == (D(2019, 4, 30), D(2019, 12, 31)) and d.problems == ()
    assert parse_deadline("2019-06-30", None).problems == ()
    # an impossible date is invalid even without a year
    assert _codes(parse_deadline("13月底", None)) == ["invalid-deadline"]


def test_year_assumed_flag():
    assert parse_deadline("6月底", 2019).milestones[0].year_assumed is True
    assert parse_deadline("2019年6月底", 2018).milestones[0].year_assumed is False
    assert parse_deadline("次年3月", 2019).milestones[0].year_assumed is True


# --------------------------------------------------------------------------- non-text cells

def test_excel_date_cells():
    d = parse_deadline(dt.date(2019, 6, 30), 2019)
    assert (d.state, d.dates, d.problems, d.raw) == ("dated", (D(2019, 6, 30),), (), "2019-06-30")
    d = parse_deadline(dt.datetime(2019, 6, 30, 0, 0), None)
    assert d.dates == (D(2019, 6, 30),) and d.problems == () and not d.milestones[0].year_assumed


@pytest.mark.parametrize("value", [None, "", "  ", float("nan")])
def test_empty_values(value):
    d = parse_deadline(value, 2019)
    assert (d.state, d.milestones, d.problems) == ("empty", (), ())


@pytest.mark.parametrize("value", [6.3, 6, 2019, 2019.0, True, 43646, -1.5, float("inf")])
def test_numbers_are_text_and_never_dates(value):
    d = parse_deadline(value, 2019)
    assert d.state == "unknown" and _codes(d) == ["unparsed-deadline"]
    assert isinstance(d.raw, str)


def test_to_dict_is_json():
    d = parse_deadline("1.已完成。 2.6月底前正式启动，13月底前总结评估。", 2019)
    doc = json.loads(json.dumps(d.to_dict(), ensure_ascii=False))
    assert doc["state"] == "dated" and doc["ongoing"] is False
    assert doc["milestones"][0] == {"date": None, "text": "已完成", "done": True, "year_assumed": False}
    assert doc["milestones"][1]["date"] == "2019-06-30"
    assert doc["problems"] == [{"code": "invalid-deadline",
                                "params": {"detail": {"zh": "13月不存在", "en": "month 13 does not exist"}}}]


def test_final_date():
    assert parse_deadline("7月底出方案。 9月底完成考核工作。", 2019).final_date == D(2019, 9, 30)
    assert parse_deadline("持续推进", 2019).final_date is None


def test_repeated_values_are_cached_and_fast():
    import time

    texts = [f"{m}月{d}日前完成第{i}项" for i in range(50) for m in range(1, 13) for d in (1, 15, 28)]
    start = time.perf_counter()
    for _ in range(5):
        for t in texts:
            parse_deadline(t, 2019)
    assert time.perf_counter() - start < 5  # 9000 calls, 1800 distinct; typically well under 0.5 s
    assert parse_deadline("6月底", 2019) is parse_deadline("6月底", 2019)


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, validator.deadlines; print('pandas' in sys.modules, 'pandera' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# --------------------------------------------------------------------------- properties

_CN = "〇一二三四五六七八九"


def cn(n: int) -> str:
    """1..31 in Chinese numerals, written independently of the module under test."""
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _CN[tens] + "十")) + (_CN[ones] if ones else "")


def fw(n: int) -> str:
    return "".join(chr(0xFF10 + int(c)) for c in str(n))


DAY_FORMS = [
    lambda y, m, d: f"{m}月{d}日",
    lambda y, m, d: f"{m} 月 {d} 日",
    lambda y, m, d: f"{m}月{d}号",
    lambda y, m, d: f"{m}月{d}日前",
    lambda y, m, d: f"{y}年{m}月{d}日",
    lambda y, m, d: f"{y} 年 {m} 月 {d} 日",
    lambda y, m, d: f"{cn(m)}月{cn(d)}日",
    lambda y, m, d: f"{fw(m)}月{fw(d)}日",
    lambda y, m, d: f"{y}-{m:02d}-{d:02d}",
    lambda y, m, d: f"{y}/{m}/{d}",
    lambda y, m, d: f"{y}.{m}.{d}",
    lambda y, m, d: "".join(_CN[int(c)] for c in str(y)) + f"年{cn(m)}月{cn(d)}日",
]
MONTH_END_FORMS = [
    lambda y, m: f"{m}月底",
    lambda y, m: f"{m}月末",
    lambda y, m: f"{m}月底前",
    lambda y, m: f"{m}月前",
    lambda y, m: f"{m}月份",
    lambda y, m: f"{m}月",
    lambda y, m: f"{m}月下旬",
    lambda y, m: f"{y}年{m}月",
    lambda y, m: f"{y}年{m}月底前",
    lambda y, m: f"{cn(m)}月底",
    lambda y, m: f"{fw(m)}月底",
    lambda y, m: f"{y}-{m:02d}",
]
TRAILERS = ["", "。", "，完成方案。", "出台实施意见", " 完成考核工作；", "前完成"]


@st.composite
def day_expressions(draw):
    year = draw(st.integers(1990, 2090))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    form = draw(st.sampled_from(DAY_FORMS))
    return form(year, month, day) + draw(st.sampled_from(TRAILERS)), year, dt.date(year, month, day)


@st.composite
def month_end_expressions(draw):
    year = draw(st.integers(1990, 2090))
    month = draw(st.integers(1, 12))
    form = draw(st.sampled_from(MONTH_END_FORMS))
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return form(year, month) + draw(st.sampled_from(TRAILERS)), year, last


@given(day_expressions())
@example(("2月29日", 2020, D(2020, 2, 29)))
def test_property_day_forms(case):
    text, year, expected = case
    d = parse_deadline(text, year)
    assert d.dates == (expected,), d
    assert d.problems == () and d.state == "dated"


@given(month_end_expressions())
def test_property_month_end_forms(case):
    text, year, expected = case
    d = parse_deadline(text, year)
    assert d.dates == (expected,), d
    assert d.problems == ()


@given(st.lists(st.one_of(day_expressions(), month_end_expressions()), min_size=2, max_size=4),
       st.sampled_from(["。", "；", ";", "\n", "。 "]))
def test_property_several_milestones_in_order(cases, sep):
    # a year written in one milestone carries to the next, so keep expressions of one year only
    year = cases[0][1]
    cases = [(t, y, e) for t, y, e in cases if y == year] or cases[:1]
    text = sep.join(t.rstrip("。；; ") for t, _, _ in cases)
    d = parse_deadline(text, year)
    assert d.dates == tuple(e for _, _, e in cases), (text, d)


@given(st.one_of(st.just(0), st.integers(13, 99)), st.sampled_from(["{m}月底", "{m}月", "{m}月5日", "2019年{m}月"]))
def test_property_invalid_month(month, form):
    d = parse_deadline(form.format(m=month), 2019)
    assert "invalid-deadline" in _codes(d)
    assert d.dates == ()


@given(st.integers(1, 12), st.integers(29, 99), st.integers(1990, 2090))
def test_property_invalid_day(month, day, year):
    if day <= calendar.monthrange(year, month)[1]:
        return
    d = parse_deadline(f"{month}月{day}日", year)
    assert _codes(d) == ["invalid-deadline"] and d.dates == ()


# Characters the grammar reacts to, so random strings hit its corners rather than plain noise.
GRAMMAR_ALPHABET = ("0123456789０９年月日号底末前上中下旬初半季度第一二两三四十〇○零.．-/~至到，。；;、 \n"
                    "持续长期常态化已完成印发次明今去全内份：()（）《》〔〕①②%个")


def _check_invariants(d: Deadline) -> None:
    assert isinstance(d, Deadline)
    assert d.state in {"dated", "ongoing", "done", "unknown", "empty"}
    assert all(p.code in RULES for p in d.problems)
    if d.state == "dated":
        assert d.dates
    if d.state == "empty":
        assert d.milestones == () and d.problems == ()
    if d.state == "unknown" and not d.milestones and not d.ongoing:
        assert "unparsed-deadline" in [p.code for p in d.problems]
    for m in d.milestones:
        assert m.date is None or MIN <= m.date.year <= MAX
    json.dumps(d.to_dict(), ensure_ascii=False)


MIN, MAX = 1900, 2100


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=GRAMMAR_ALPHABET, max_size=40), st.one_of(st.none(), st.integers(1900, 2100)))
def test_property_grammar_text_never_raises(text, year):
    _check_invariants(parse_deadline(text, year))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=GRAMMAR_ALPHABET, max_size=40), st.one_of(st.none(), st.integers(1900, 2100)))
def test_property_grammar_itself_never_raises(text, year):
    # parse_deadline has a safety net that turns a crash into "unparsed"; the grammar must not need it
    from taizhang.validator.deadlines import _parse_text

    _check_invariants(_parse_text(text, year))


@settings(max_examples=300)
@given(st.text(max_size=60), st.one_of(st.none(), st.integers(-10**6, 10**6)))
def test_property_any_text_never_raises(text, year):
    _check_invariants(parse_deadline(text, year))


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.dates(), st.datetimes(),
                 st.binary(max_size=10), st.lists(st.integers(), max_size=3)))
def test_property_any_value_never_raises(value):
    d = parse_deadline(value, 2019)
    _check_invariants(d)
    if isinstance(value, float) and math.isnan(value):
        assert d.state == "empty"


@given(st.text(max_size=60))
def test_property_infer_year_never_raises(text):
    y = infer_year(text)
    assert y is None or 1900 <= y <= 2100
