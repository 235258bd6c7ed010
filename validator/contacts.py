"""Contacts (联系人) and phone numbers (联系电话): split, parse, and check them against each other.

The reform office chases progress by phone, so a row with work but no contact, a contact with no
number, a number that cannot be dialled (3905222: one digit short), or two contacts sharing one
number are all worth a finding. Ledgers write numbers every which way: 8-digit local numbers
without an area code (the seeds' 3905xxxx), 0411-39052220, (0411)39052220, mobiles, +86,
extensions (-801, 转801, ext 801), full-width digits, several numbers in one cell. Validity is
decided by `phonenumbers` (region CN) once the default area code is added; a bare local number
with no area code known is only checked for a plausible length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import phonenumbers

from .findings import Problem
from .normalize import FULLWIDTH_ASCII, ODD_SPACES, ZERO_WIDTH, cell_text

# Full-width digits, letters and punctuation to ASCII, and the many dashes to "-".
_HALF = {**FULLWIDTH_ASCII, **ODD_SPACES, 0x000D: 0x0A, **{cp: 0x20 for cp in ZERO_WIDTH},
         **{cp: ord("-") for cp in (0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0xFE63, 0x30FC)}}

_NAME_SEP = re.compile(r"[\s、,，;；/／]+")
# Han characters (BMP unified + extension A, plus the supplementary-plane extensions used in
# rare surnames/given names).
_HAN_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]{2,4}$")

# Words people put in the contact column that are not a person (the catalogue's example: 办公室).
_NOT_NAMES = frozenset({"办公室", "综合科", "综合处", "同上", "待定", "暂无", "未定", "无", "联系人", "负责人",
                        "科室", "处室", "主任", "处长", "科长", "局长", "经办人"})
_NOT_NAME_ENDINGS = ("办公室", "科室", "处室", "中心", "领导小组")

_PHONE_SEP = re.compile(r"[、,，;；/／\n|｜]+")
_EXT_MARK = re.compile(r"(?:转|分机|ext\.?|x|#)", re.IGNORECASE)
_EXT_TAIL = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})$", re.IGNORECASE)
# Labels around a number (手机：…, …（办）) say nothing about whether it can be dialled.
_LEAD = re.compile(r"^(?:[^\d+(]|\((?!\s*0\d))+")
_TRAIL = re.compile(r"\D+$")
_AREA_PAREN = re.compile(r"^\(\s*(0\d{2,3})\s*\)\s*-?\s*")
_INTL = re.compile(r"^(?:\+|00)\s*86\s*-?\s*")


@dataclass(frozen=True, slots=True)
class Phone:
    """One number found in a phone cell.

    `number` is E.164 (+8641139052220) when an area code is known or the number is a mobile,
    otherwise the bare digits; `valid` is phonenumbers' verdict (or the length rule for a bare
    local number with no area code known).
    """

    raw: str
    number: str
    kind: Literal["landline", "mobile", "unknown"]
    extension: str | None
    valid: bool


# A post or office written with a name (王荣新（医政处）, 孙克 科长, 李明处长) describes that person.
_NOTE_IN_BRACKETS = re.compile(r"[（(][^（()）]{1,20}[)）]")
_POSTS = ("副处长", "处长", "副科长", "科长", "副主任", "主任", "副局长", "局长", "调研员", "副调研员", "科员", "干部",
          "同志", "书记", "副书记", "主任科员", "副主任科员", "股长", "所长", "院长", "部长", "经理", "专员")
_POST_SUFFIX = re.compile("(?:" + "|".join(sorted(_POSTS, key=len, reverse=True)) + ")$")
# names written with a middle dot (阿卜杜·热合曼): Han parts joined by ·, •, ‧ or ・
_DOTTED_NAME = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{1,10}(?:[·•‧・．.][\u3400-\u4dbf\u4e00-\u9fff]{1,10})+$")


def split_names(text: str | None) -> list[str]:
    """Contact names in a cell: separated by spaces, 、，,；;/ or newlines.

    A post or office beside a name (王荣新（医政处）, 孙克 科长) belongs to that name and is
    dropped; a post standing alone is kept, so that 科长 with no name is still reported.
    """
    text = cell_text(text)
    if not text:
        return []
    text = text.translate(_HALF)
    if "(" in text:
        text = _NOTE_IN_BRACKETS.sub(" ", text)
    out: list[str] = []
    for n in _NAME_SEP.split(text):
        if not n:
            continue
        if out and n in _POSTS:
            continue  # 孙克 科长: the post of the name before it
        bare = _POST_SUFFIX.sub("", n)
        out.append(bare if bare != n and _HAN_NAME.match(bare) else n)
    return out


# ------------------------------------------------------------------------------- phones


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _national(text: str) -> str:
    """Digits of the number itself: no extension, no +86 / 0086 prefix."""
    text = _EXT_TAIL.sub("", text.translate(_HALF))
    text = _INTL.sub("", text.strip())
    return _digits(text)


def _incomplete(buffer: str) -> bool:
    """Whether the digits so far cannot yet be a whole number (so the next group belongs to it)."""
    buffer = buffer.translate(_HALF)
    if _EXT_MARK.search(buffer) and not _EXT_TAIL.search(buffer):
        return True  # "39052220 转" waits for its extension
    d = _national(buffer)
    if not d:
        return True  # "+86", "(", a label
    if d.startswith("1"):
        return len(d) < 11
    if d.startswith("0"):
        return len(d) < 10
    return len(d) < 7


def _split_numbers(text: str) -> list[str]:
    """Split a phone cell into one string per number, keeping spaced-out numbers together.

    Works on the text as written (so messages quote it); decisions look at the half-width form.
    """
    pieces: list[str] = []
    for chunk in _PHONE_SEP.split(text):
        parts = chunk.split()
        buffer = ""
        for part in parts:
            if not buffer:
                buffer = part
                continue
            starts_ext = bool(re.match(r"^(?:转|分机|ext\.?|x|#)", part.translate(_HALF), re.IGNORECASE))
            if starts_ext or (_incomplete(buffer) and len(_national(buffer + part)) <= 13):
                buffer = f"{buffer} {part}"
            else:
                pieces.append(buffer)
                buffer = part
        if buffer:
            pieces.append(buffer)
    return [p.strip() for p in pieces if p.strip()]


_WRONG_LENGTH = {"zh": "位数不对", "en": "wrong number of digits"}
_NOT_NUMBER = {"zh": "不含号码", "en": "contains no number"}
_BAD_CHARS = {"zh": "含有无法识别的字符", "en": "contains characters that are not part of a number"}
_NOT_IN_AREA = {"zh": "不是该区号下的有效号码", "en": "not a valid number for its area code"}
_BAD_MOBILE = {"zh": "不是有效的手机号段", "en": "not a valid mobile number range"}


@lru_cache(maxsize=1 << 16)  # one number recurs in many cells and contact pairs; phonenumbers is ~50 µs a call
def _parse_one(raw: str, area_code: str | None) -> tuple[Phone, dict[str, str] | None]:
    """Parse one number; the detail is None when it is valid."""
    s = raw.translate(_HALF).strip()
    if not re.search(r"\d", s):
        return Phone(raw, "", "unknown", None, False), _NOT_NUMBER
    s = _TRAIL.sub("", _LEAD.sub("", s)).strip()
    extension = None
    m = _EXT_TAIL.search(s)
    if m:
        extension, s = m.group(1), s[: m.start()].strip()
    intl = bool(_INTL.match(s))
    s = _INTL.sub("", s)
    area = None
    m = _AREA_PAREN.match(s)
    if m:
        area, s = m.group(1), s[m.end():]
    if re.search(r"[^\d\s-]", s) or not re.search(r"\d", s):
        if s.startswith("+"):
            return _foreign(raw, s, extension)
        return Phone(raw, _digits(s), "unknown", extension, False), _BAD_CHARS
    groups = [g for g in re.split(r"\s*-\s*|\s+", s.strip(" -")) if g]
    seps = re.findall(r"\s*-\s*|\s+", s.strip(" -"))
    if area is None and not intl and len(groups) >= 2 and re.fullmatch(r"0\d{2,3}", groups[0]):
        area, groups, seps = groups[0], groups[1:], seps[1:]
    # A trailing "-801" is an extension when the number before it is already complete.
    if extension is None and len(groups) >= 2 and seps and "-" in seps[-1] and len(groups[-1]) <= 5:
        head = "".join(groups[:-1])
        if _complete_local(head, area) and not _complete_local("".join(groups), area):
            extension, groups = groups[-1], groups[:-1]
    digits = "".join(groups)
    if intl:
        return _validate(raw, "+86" + digits, "mobile" if digits.startswith("1") else "landline",
                         extension, mobile=digits.startswith("1"))
    if area is not None:
        return _validate(raw, area + digits, "landline", extension, local=digits)
    if digits.startswith("0"):
        if len(digits) >= 10:  # area code and number written together
            return _validate(raw, digits, "landline", extension)
        return Phone(raw, digits, "unknown", extension, False), _WRONG_LENGTH
    if digits.startswith("1"):  # a local number never starts with 1: a mobile
        if len(digits) != 11:
            return Phone(raw, digits, "unknown", extension, False), _WRONG_LENGTH
        return _validate(raw, digits, "mobile", extension, mobile=True)
    area = _clean_area(area_code)
    if area:
        return _validate(raw, area + digits, "landline", extension, local=digits)
    # No area code known: phonenumbers can only say "possible"; local numbers have 7-8 digits.
    ok = 7 <= len(digits) <= 8 and phonenumbers.is_possible_number_string(digits, "CN")
    return Phone(raw, digits, "landline", extension, ok), None if ok else _WRONG_LENGTH


def _complete_local(digits: str, area: str | None) -> bool:
    if digits.startswith("1"):
        return len(digits) == 11
    if digits.startswith("0"):
        return 10 <= len(digits) <= 12
    return 7 <= len(digits) <= 8


def _clean_area(area_code: str | None) -> str | None:
    if not area_code:
        return None
    d = _digits(str(area_code).translate(_HALF))
    if not d:
        return None
    return d if d.startswith("0") else "0" + d


@lru_cache(maxsize=1)
def _cn_fixed_line() -> "re.Pattern[str]":
    # phonenumbers' own fixed-line pattern for China, matched directly: the full parse, format
    # and validity check cost ~200 µs a number, and a ledger has thousands of distinct ones
    return re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").fixed_line.national_number_pattern)


@lru_cache(maxsize=1)
def _cn_mobile() -> tuple["re.Pattern[str]", "re.Pattern[str]"]:
    # the same for mobiles: a number matching China's general and mobile patterns is valid and
    # parses to itself (no carrier prefix of national_prefix_for_parsing starts a mobile range)
    meta = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    return re.compile(meta.general_desc.national_number_pattern), re.compile(meta.mobile.national_number_pattern)


def _validate(raw: str, national: str, kind: str, extension: str | None, *, mobile: bool = False,
              local: str | None = None) -> tuple[Phone, dict[str, str] | None]:
    if not mobile and national.startswith("0") and _cn_fixed_line().fullmatch(national[1:]):
        return Phone(raw, "+86" + national[1:], "landline", extension, True), None
    if mobile and national.isdigit() and all(p.fullmatch(national) for p in _cn_mobile()):
        return Phone(raw, "+86" + national, "mobile", extension, True), None
    try:
        parsed = phonenumbers.parse(national, "CN")
    except phonenumbers.NumberParseException:
        return Phone(raw, national, kind, extension, False), _WRONG_LENGTH  # type: ignore[arg-type]
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    valid = phonenumbers.is_valid_number(parsed)
    if valid:
        ntype = phonenumbers.number_type(parsed)
        if ntype == phonenumbers.PhoneNumberType.MOBILE:
            kind = "mobile"
        return Phone(raw, number, kind, extension, True), None  # type: ignore[arg-type]
    if mobile:
        return Phone(raw, number, "mobile", extension, False), _BAD_MOBILE
    if local is not None and 7 <= len(local) <= 8:
        detail = _NOT_IN_AREA if phonenumbers.is_possible_number(parsed) and len(local) == 8 else _WRONG_LENGTH
        return Phone(raw, number, kind, extension, False), detail  # type: ignore[arg-type]
    return Phone(raw, number, kind, extension, False), _WRONG_LENGTH  # type: ignore[arg-type]


def _foreign(raw: str, s: str, extension: str | None) -> tuple[Phone, dict[str, str] | None]:
    """A number with another country code: phonenumbers decides on its own."""
    try:
        parsed = phonenumbers.parse(s, None)
    except phonenumbers.NumberParseException:
        return Phone(raw, _digits(s), "unknown", extension, False), _BAD_CHARS
    valid = phonenumbers.is_valid_number(parsed)
    number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return Phone(raw, number, "unknown", extension, valid), None if valid else _WRONG_LENGTH


def parse_phones(text: str | None, area_code: str | None) -> tuple[list[Phone], list[Problem]]:
    """Every number in a phone cell, and an invalid-phone problem for each one that is not valid."""
    text = cell_text(text)
    if not text or not text.strip():
        return [], []
    phones: list[Phone] = []
    problems: list[Problem] = []
    for raw in _split_numbers(text):
        phone, detail = _parse_one(raw, area_code)
        phones.append(phone)
        if detail is not None:
            problems.append(Problem("invalid-phone", {"phone": raw, "detail": dict(detail)}))
    return phones, problems


# ------------------------------------------------------------------------------- the pair


def _looks_like_name(name: str) -> bool:
    """2-4 Han characters (or Han parts joined by a middle dot) and not a word for an office or a
    placeholder (办公室, 同上)."""
    if _DOTTED_NAME.match(name):
        return True
    return bool(_HAN_NAME.match(name)) and name not in _NOT_NAMES and not name.endswith(_NOT_NAME_ENDINGS)


def name_problems(text: str | None) -> list[Problem]:
    """invalid-contact-name for each name in a responsible-person cell that is not a person's name
    (a post beside a name, 王强（副局长）, is part of that name: see split_names)."""
    names = split_names(text)
    return [Problem("invalid-contact-name", {"name": n}) for n in dict.fromkeys(names) if not _looks_like_name(n)]


def check_contact(contact: str | None, phone: str | None, *, has_work: bool,
                  area_code: str | None, phone_column: bool = True) -> list[tuple[str, Problem]]:
    """Problems of one row's contact and phone cells, each tagged "contact" or "phone".

    A row with work and neither contact nor phone gets both missing-contact and missing-phone:
    both cells need filling, and each finding points at its own cell. A ledger with no phone
    column at all is told so once (missing-column, when its type has one), not on every row.
    """
    names = split_names(contact)
    phone_text = cell_text(phone)
    phone_empty = phone_text is None or not phone_text.strip()
    phones, phone_problems = parse_phones(phone_text, area_code)
    out: list[tuple[str, Problem]] = []
    if not names:
        if has_work:
            out.append(("contact", Problem("missing-contact")))
            if phone_empty and phone_column:
                out.append(("phone", Problem("missing-phone")))
    else:
        for name in dict.fromkeys(names):
            if not _looks_like_name(name):
                out.append(("contact", Problem("invalid-contact-name", {"name": name})))
        if phone_empty and phone_column:
            out.append(("phone", Problem("missing-phone")))
    out.extend(("phone", p) for p in phone_problems)
    if len(names) > 1 and phones and len(phones) != len(names):
        out.append(("phone", Problem("contact-phone-mismatch", {"contacts": len(names), "phones": len(phones)})))
    return out


__all__ = ["Phone", "split_names", "parse_phones", "check_contact", "name_problems"]
