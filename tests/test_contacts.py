"""Contacts and phones: the seed 000 values, the spec cases, every way a number is written."""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taizhang.validator.contacts import Phone, check_contact, parse_phones, split_names
from conftest import seed_000_rows
from taizhang.validator.findings import RULES, Finding, Problem

ROOT = Path(__file__).resolve().parents[1]
DALIAN = "0411"


# ----------------------------------------------------------------------------- seed 000


def test_seed_000_contacts_and_phones():
    rows = seed_000_rows()
    assert len(rows) == 12  # sub-item rows
    results = []
    for row in rows:
        has_work = bool(row["改革事项"] or row["重要成果形式"])
        results.append(check_contact(row["联系人"] or None, row["联系电话"] or None,
                                     has_work=has_work, area_code=DALIAN))
    flagged = [(i, [p.code for _, p in r]) for i, r in enumerate(results) if r]
    # Exactly the two sub-items of task 4 that name no contact (a real defect in the seed).
    assert flagged == [(8, ["missing-contact", "missing-phone"]), (10, ["missing-contact", "missing-phone"])]
    assert results[8][0][0] == "contact" and results[8][1][0] == "phone"


def test_seed_000_two_contacts_two_phones_are_fine():
    assert check_contact("王宏彦 丁向芳", "39052223 39052299", has_work=True, area_code=DALIAN) == []
    phones, problems = parse_phones("39052223 39052299", DALIAN)
    assert [p.number for p in phones] == ["+8641139052223", "+8641139052299"]
    assert problems == []


# ----------------------------------------------------------------------------- spec cases


def _message(problem: Problem, column: str = "联系电话", lang: str = "zh") -> str:
    return Finding(problem.code, "台账", 7, column, "I7", "x", dict(problem.params)).message(lang)


def test_seven_digits_in_dalian_is_invalid():
    phones, problems = parse_phones("3905222", DALIAN)
    assert phones[0].valid is False and phones[0].kind == "landline"
    assert problems == [Problem("invalid-phone", {"phone": "3905222",
                                                  "detail": {"zh": "位数不对", "en": "wrong number of digits"}})]
    assert _message(problems[0]) == "「3905222」不是有效的电话号码：位数不对"
    assert _message(problems[0], lang="en") == "'3905222' is not a valid phone number: wrong number of digits"
    assert [p.code for _, p in check_contact("宋斌", "3905222", has_work=True, area_code=DALIAN)] == ["invalid-phone"]


def test_two_contacts_one_phone_is_a_mismatch():
    result = check_contact("王宏彦 丁向芳", "39052223", has_work=True, area_code=DALIAN)
    assert result == [("phone", Problem("contact-phone-mismatch", {"contacts": 2, "phones": 1}))]
    assert _message(result[0][1]) == "2 位联系人对应 1 个电话"
    assert RULES["contact-phone-mismatch"].severity == "warning"


def test_one_contact_two_phones_is_fine():
    assert check_contact("李光盈", "39052220、13812345678", has_work=True, area_code=DALIAN) == []


def test_missing_contact_and_phone():
    assert check_contact(None, None, has_work=True, area_code=DALIAN) == [
        ("contact", Problem("missing-contact")), ("phone", Problem("missing-phone"))]
    assert check_contact("", "  ", has_work=True, area_code=DALIAN) == [
        ("contact", Problem("missing-contact")), ("phone", Problem("missing-phone"))]
    # no work in the row: nobody needs to answer for it
    assert check_contact(None, None, has_work=False, area_code=DALIAN) == []
    # a phone but no contact
    assert check_contact(None, "39052220", has_work=True, area_code=DALIAN) == [("contact", Problem("missing-contact"))]
    # a contact but no phone (whether or not the row has work)
    assert check_contact("宋斌", None, has_work=False, area_code=DALIAN) == [("phone", Problem("missing-phone"))]


@pytest.mark.parametrize("name, ok", [
    ("王宏彦", True), ("宋斌", True), ("欧阳明日", True), ("司马相如", True),
    ("办公室", False), ("综合处", False), ("同上", False), ("宋", False), ("阿卜杜·热合曼", True),
    ("欧阳中华民族", False), ("ZhangSan", False), ("39052220", False), ("信息中心", False),
])
def test_contact_names(name, ok):
    result = check_contact(name, "39052220", has_work=True, area_code=DALIAN)
    if ok:
        assert result == []
    else:
        assert result and all(which == "contact" and p.code == "invalid-contact-name" for which, p in result)


def test_invalid_contact_name_message():
    ((_, problem),) = check_contact("办公室", "39052220", has_work=True, area_code=DALIAN)
    assert _message(problem, "联系人") == "「办公室」不像人名（应为 2–4 个汉字）"


@pytest.mark.parametrize("text, names", [
    ("王宏彦 丁向芳", ["王宏彦", "丁向芳"]),
    ("王宏彦、丁向芳", ["王宏彦", "丁向芳"]),
    ("王宏彦，丁向芳;宋斌", ["王宏彦", "丁向芳", "宋斌"]),
    ("王宏彦\n丁向芳/宋斌", ["王宏彦", "丁向芳", "宋斌"]),
    ("　王宏彦　", ["王宏彦"]),
    ("", []),
    (None, []),
])
def test_split_names(text, names):
    assert split_names(text) == names


# ----------------------------------------------------------------------------- phone formats


@pytest.mark.parametrize("text, number, kind, ext", [
    ("39052220", "+8641139052220", "landline", None),
    ("0411-39052220", "+8641139052220", "landline", None),
    ("0411－39052220", "+8641139052220", "landline", None),
    ("0411—39052220", "+8641139052220", "landline", None),
    ("(0411)39052220", "+8641139052220", "landline", None),
    ("（0411）39052220", "+8641139052220", "landline", None),
    ("（０４１１）３９０５２２２０", "+8641139052220", "landline", None),
    ("0411 39052220", "+8641139052220", "landline", None),
    ("0411-3905 2220", "+8641139052220", "landline", None),
    ("041139052220", "+8641139052220", "landline", None),
    ("３９０５２２２０", "+8641139052220", "landline", None),
    ("39052220-801", "+8641139052220", "landline", "801"),
    ("39052220转801", "+8641139052220", "landline", "801"),
    ("39052220 转 801", "+8641139052220", "landline", "801"),
    ("39052220 ext 801", "+8641139052220", "landline", "801"),
    ("39052220 EXT.801", "+8641139052220", "landline", "801"),
    ("0411-39052220-801", "+8641139052220", "landline", "801"),
    ("010-12345678", "+861012345678", "landline", None),
    ("13812345678", "+8613812345678", "mobile", None),
    ("138 1234 5678", "+8613812345678", "mobile", None),
    ("138-1234-5678", "+8613812345678", "mobile", None),
    ("+86 138 1234 5678", "+8613812345678", "mobile", None),
    ("+8613812345678", "+8613812345678", "mobile", None),
    ("0086 13812345678", "+8613812345678", "mobile", None),
    ("+86 411 39052220", "+8641139052220", "landline", None),
    ("手机：13812345678", "+8613812345678", "mobile", None),
    ("39052220（办）", "+8641139052220", "landline", None),
])
def test_valid_phones(text, number, kind, ext):
    phones, problems = parse_phones(text, DALIAN)
    assert problems == []
    assert len(phones) == 1
    phone = phones[0]
    assert (phone.number, phone.kind, phone.extension, phone.valid) == (number, kind, ext, True)


@pytest.mark.parametrize("text, detail", [
    ("3905222", "位数不对"),
    ("390522201", "位数不对"),
    ("0411-3905222", "位数不对"),
    ("1381234567", "位数不对"),
    ("12345", "位数不对"),
    ("10012345678", "不是有效的手机号段"),
    ("同上", "不含号码"),
    ("39O52220", "含有无法识别的字符"),
])
def test_invalid_phones(text, detail):
    phones, problems = parse_phones(text, DALIAN)
    assert len(phones) == 1 and phones[0].valid is False
    assert [p.params["detail"]["zh"] for p in problems] == [detail]
    assert problems[0].params["phone"] == text.strip()
    assert problems[0].params["detail"]["en"]


@pytest.mark.parametrize("text, count", [
    ("39052223 39052299", 2),
    ("39052223、39052299", 2),
    ("39052223，39052299", 2),
    ("39052223;39052299", 2),
    ("39052223\n39052299", 2),
    ("39052223/13812345678", 2),
    ("0411 39052223 0411 39052299", 2),
    ("3905 2223 3905 2299", 2),
    ("39052220 转 801、13812345678", 2),
])
def test_several_numbers_in_one_cell(text, count):
    phones, problems = parse_phones(text, DALIAN)
    assert problems == []
    assert len(phones) == count


def test_bare_local_number_without_area_code_uses_the_length_rule():
    phones, problems = parse_phones("39052220", None)
    assert phones == [Phone("39052220", "39052220", "landline", None, True)] and problems == []
    assert parse_phones("3905222", None)[0][0].valid  # 7 digits is a possible local number somewhere
    assert parse_phones("390522", None)[1][0].code == "invalid-phone"
    assert parse_phones("0411-39052220", None)[0][0].valid  # the area code is in the text


def test_area_code_forms():
    assert parse_phones("39052220", "411")[0][0].number == "+8641139052220"
    assert parse_phones("39052220", "０４１１")[0][0].number == "+8641139052220"
    assert parse_phones("62345678", "010")[0][0].number == "+861062345678"


def test_excel_numbers():
    assert parse_phones(39052220.0, DALIAN)[0][0].valid  # type: ignore[arg-type]
    assert check_contact("宋斌", 39052227, has_work=True, area_code=DALIAN) == []  # type: ignore[arg-type]
    assert parse_phones(float("nan"), DALIAN) == ([], [])  # type: ignore[arg-type]


def test_empty_phone_cells():
    assert parse_phones(None, DALIAN) == ([], [])
    assert parse_phones("", DALIAN) == ([], [])
    assert parse_phones(" \n ", DALIAN) == ([], [])


# ----------------------------------------------------------------------------- properties


LOCAL = st.from_regex(r"3905[0-9]{4}", fullmatch=True)
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _format(local: str, style: int) -> str:
    return [
        local,
        f"0411-{local}",
        f"(0411){local}",
        f"（0411）{local}",
        f"0411 {local}",
        f"0411-{local[:4]} {local[4:]}",
        local.translate(FULL),
        f"{local}-801",
        f"{local}转801",
        f"+86 411 {local}",
    ][style]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(LOCAL, st.integers(0, 9)), min_size=1, max_size=4),
       st.lists(st.sampled_from(["、", "，", ";", "\n", " ", " / ", "；"]), min_size=4, max_size=4))
def test_formatted_numbers_round_trip(numbers, seps):
    text = ""
    for i, (local, style) in enumerate(numbers):
        text += (seps[i] if i else "") + _format(local, style)
    phones, problems = parse_phones(text, DALIAN)
    assert problems == []
    assert [p.number for p in phones] == [f"+86411{local}" for local, _ in numbers]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from([None, "0411", "010", "", "x"]))
def test_arbitrary_phone_text_never_raises(text, area):
    phones, problems = parse_phones(text, area)
    assert len(problems) == sum(1 for p in phones if not p.valid)
    for p in problems:
        assert p.code == "invalid-phone" and set(p.params["detail"]) == {"zh", "en"}


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=20)), st.one_of(st.none(), st.text(alphabet="0123456789 -转、()+", max_size=30)),
       st.booleans())
def test_arbitrary_rows_never_raise(contact, phone, has_work):
    for which, problem in check_contact(contact, phone, has_work=has_work, area_code=DALIAN):
        assert which in ("contact", "phone")
        assert problem.code in RULES
        # every placeholder of the message templates is given
        for template in (RULES[problem.code].template_zh, RULES[problem.code].template_en):
            fields = {f for _, f, _, _ in Formatter().parse(template) if f}
            assert fields <= set(problem.params) | {"column", "cell", "value"}


def test_messages_quote_the_number_as_written():
    _, problems = parse_phones("（０４１１）３９０５２２２", DALIAN)
    assert problems[0].params["phone"] == "（０４１１）３９０５２２２"
    phones, problems = parse_phones("３９０５２２２３　３９０５２２９９；１３８１２３４５６７８", DALIAN)
    assert problems == [] and [p.raw for p in phones] == ["３９０５２２２３", "３９０５２２９９", "１３８１２３４５６７８"]
