"""The deadline grammar: what taizhang accepts in a 完成时限 / 时间进度 cell.

A deadline cell is read as a list of *milestones* (a date plus the text that goes with it), plus
two flags: whether the work is ongoing, and whether items are already done. Ledgers are written
by hand, so the grammar follows how offices actually write deadlines rather than a date format.

Year
    Dates without a year belong to the ledger's year Y (from the title, see `infer_year`, or
    ``--year``). Within one cell, a year written earlier carries over to later dates:
    ``2019年10月底前……；3月底前……`` reads both as 2019. Without any year the milestone keeps
    ``date=None`` and the cell gets ``deadline-year-unknown`` (warning).

Accepted date forms (Y = year from the text, else the carried year, else the ledger year)
    ====================================  ==========================================
    ``5月31日``, ``5月31号``               Y-05-31
    ``4月底``, ``4月末``, ``4月底前``,       Y-04-30 (last day of the month)
    ``4月前``, ``4月份``, ``4月``
    ``9月上旬`` / ``9月初``                 Y-09-10
    ``9月中旬`` / ``9月中``                 Y-09-20 / Y-09-15
    ``9月下旬``                            Y-09-30
    ``2017年12月``, ``2019年4月底前``        last day of that month and year
    ``2019年6月30日``                       2019-06-30
    ``2019-06-30``, ``2019/6/30``,         2019-06-30 (same separator twice)
    ``2019.6.30``
    ``2019-06``, ``2019/6``                2019-06-30
    ``2019年底``, ``2019年年底``,            2019-12-31
    ``2019年末``, ``2019年内``, ``2019年``,
    ``2019年度``
    ``年底``, ``年底前``, ``年末``, ``年内``,  Y-12-31
    ``年终``, ``全年``
    ``上半年`` / ``下半年``                  Y-06-30 / Y-12-31
    ``一季度``, ``第一季度``, ``1季度`` …     end of that quarter (03-31, 06-30, 09-30, 12-31)
    ``四季度``
    ``次年3月``, ``明年底``, ``次年上半年``   any form above, prefixed: 次年/明年/来年/翌年 = Y+1,
                                           去年/上年 = Y-1, 今年/本年/当年 = Y
    ``1-12月``, ``6月至9月``,               a range ends at its last date (12-31, 09-30)
    ``3月1日至6月30日``
    ====================================  ==========================================

    Chinese numerals are read in dates (``十二月底``, ``三月中旬``, ``三十一日``, ``二〇一九年``),
    full-width digits too (``６月``), and spaces around Chinese characters are ignored
    (``5 月 31 日``, ``2019 年底``). 前 / 以前 / 截至 add nothing: a deadline is its last day.

Several milestones
    A cell is split into items at numbering (``1.`` ``1、`` ``（1）`` ``(1)`` ``①`` ``一、``
    ``（一）``) and into clauses at ``。；;！？`` and line breaks. A clause with several dates is
    split again before each new date, at the last ``，,、`` or space before it:
    ``6月底前正式启动，12月底前总结评估`` gives 06-30 and 12-31. Text after a date belongs to its
    milestone (``12月底，创建5所……``). A clause without a date is appended to the milestone before
    it in the same item (or, if there is none yet, to the next one). A date in brackets after
    another date is a remark, not a milestone: ``6月底前（含6月）`` is one milestone.

Done and ongoing
    A clause saying 已完成 / 已印发 / 已出台 / 已于3月印发 … (已 + a completion verb), or just
    ``完成``, is a *done* milestone (``date=None`` unless the clause is dated).
    持续 (持续实施/持续推进/持续开展…), 长期 (not 长期护理), 常态化, 长效, 定期, 每年/每季度/每月…
    mark the deadline as *ongoing*; such clauses are not milestones.

Not dates
    Numbers without 年/月/日/季度 are never dates: ``创建 5 所``, ``3.8 人``, ``90%``, ``6.3``,
    a bare ``2019``. Dates inside 《书名》 and 〔文号〕 are ignored (``大委办发〔2019〕14号``).
    ``年初``, ``2019年中``, ``本月底``, ``3个月内`` have no fixed date and are not read.

State (``Deadline.state``), first that applies
    ``empty`` blank cell; ``done`` every milestone done (dated or not) and nothing ongoing;
    ``dated`` at least one dated milestone; ``ongoing`` ongoing wording and no date that failed
    to resolve; ``unknown`` otherwise.

Problems (codes from `validator.findings`)
    ``invalid-deadline`` (error): a date that does not exist: ``13月底``, ``0月``, ``2月30日``,
    ``2019年2月29日``, ``0日``, a year outside 1900-2100. The milestone is kept with
    ``date=None``; one problem per bad date. ``unparsed-deadline`` (warning): no date, no done
    item and no ongoing wording. ``deadline-year-unknown`` (warning, once per cell): a date needs
    the ledger year and none was given.

Excel date cells (``datetime.date`` / ``datetime``) are that date (a year outside 1900-2100, such
as Excel's 1899-12-31 for 0, is ``invalid-deadline``). Numbers are read as text, so ``6.3`` or
``2019`` is ``unparsed-deadline``, not a guess. NaN/NaT/None/blank are empty. `parse_deadline`
never raises.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from .findings import Problem
from .normalize import FULLWIDTH_DIGITS

__all__ = ["Deadline", "Milestone", "State", "infer_year", "parse_deadline"]

State = Literal["dated", "ongoing", "done", "unknown", "empty"]

MIN_YEAR, MAX_YEAR = 1900, 2100  # outside this a "year" is a typo, not a plan


@dataclass(frozen=True, slots=True)
class Milestone:
    """One dated (or done) item of a deadline cell."""

    date: datetime.date | None  # None for an undated item ("1.已完成") or a date that failed
    text: str  # the milestone's own text, normalised (e.g. "7月底出方案")
    done: bool = False  # the item says 已完成 / 已印发 … in the deadline text itself
    year_assumed: bool = False  # the year came from the ledger year, not from the text

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "text": self.text,
            "done": self.done,
            "year_assumed": self.year_assumed,
        }


@dataclass(frozen=True, slots=True)
class Deadline:
    """What a deadline cell says: milestones, flags, and the problems found in it."""

    raw: str
    state: State
    milestones: tuple[Milestone, ...]
    ongoing: bool  # the text contains 持续实施 / 持续推进 / 长期 / 常态化 …
    problems: tuple[Problem, ...]

    @property
    def dates(self) -> tuple[datetime.date, ...]:
        """The resolved dates, in the order written."""
        return tuple(m.date for m in self.milestones if m.date is not None)

    @property
    def final_date(self) -> datetime.date | None:
        """The latest date in the cell: when the whole item is due."""
        return max(self.dates, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "state": self.state,
            "ongoing": self.ongoing,
            "milestones": [m.to_dict() for m in self.milestones],
            "problems": [{"code": p.code, "params": dict(p.params)} for p in self.problems],
        }


# --------------------------------------------------------------------------- regexes
# Compiled once at import: the grammar runs on every cell of every ledger.

_FULLWIDTH = {**FULLWIDTH_DIGITS, 0x3000: " ", 0x00A0: " ", ord("\t"): " ", ord("\r"): "\n"}

# Spaces next to any non-ASCII character carry no meaning in Chinese text ("5 月 31 日").
_SPACE_NEAR_CJK = re.compile(r"[^\S\n]+(?=[^\x00-\x7f])|(?<=[^\x00-\x7f])[^\S\n]+")
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\s*\n\s*")

_CN_DIGIT = "一二两三四五六七八九"
_CN_ALL = "〇零○一二两三四五六七八九十"
# 1..39 written in Chinese: 三, 十, 十二, 二十, 三十一 (enough for months and days)
_CN_NUM = r"(?:[二三]?十[一二三四五六七八九]?|[一二两三四五六七八九])"
_NUM = rf"(?:(?<![\d.．])\d{{1,2}}(?!\d)|(?<![{_CN_ALL}]){_CN_NUM})"
_YEAR = r"(?:(?<![\d.．])\d{4}(?!\d)|(?<![〇零○一二三四五六七八九十])[〇零○一二三四五六七八九]{4})"
_RANGE = r"(?:至|到|-|~|～|—|－|–)"
_REL_YEARS = {"次年": 1, "明年": 1, "来年": 1, "翌年": 1, "今年": 0, "本年": 0, "当年": 0,
              "去年": -1, "上年": -1}

# One expression, so that matches never overlap; order of the branches matters.
_DATE = re.compile(
    rf"""
    (?<![\d.．])(?P<iy>\d{{4}})\s*(?P<isep>[-/.．／－])\s*(?P<im>\d{{1,2}})\s*(?P=isep)\s*
        (?P<id>\d{{1,2}})(?!\d)                                      # 2019-06-30, 2019/6/30
  | (?<![\d.．])(?P<jy>\d{{4}})\s*[-/／－]\s*(?P<jm>\d{{1,2}})(?![\d/／\-－.．])   # 2019-06
  | (?P<ypre>
        (?P<y>{_YEAR})(?:\s*{_RANGE}\s*(?P<y2>{_YEAR}))?\s*年度?      # 2019年, 2018-2019年
      | (?P<rel>{"|".join(_REL_YEARS)})度?                           # 次年, 明年 …
    )?
    (?:
        (?P<m>{_NUM})(?:\s*{_RANGE}\s*(?P<m2>{_NUM}))?\s*月份?       # 6月, 1-12月
        (?:
            (?P<d>{_NUM})\s*[日号]                                   # 31日
          | (?P<part>上旬|中旬|下旬|底|末|初(?!步)|中(?![央国心层间部]))
        )?
      | (?P<half>上半年|下半年)
      | 第?(?P<q>(?<!\d)[1-4](?!\d)|(?<![{_CN_ALL}])[一二三四])\s*季度
      | (?P<yend>(?:(?(ypre)年?|(?<![\d{_CN_ALL}个])年)(?:底|末|内|终)|全年))
      | (?P<yonly>(?(y)(?!初|中|以来|起|开始)|(?!)))                 # 2019年 alone
    )
    """,
    re.X,
)

_HARD_SEP = r"[。；;！!？?\n]+"
_NUMBERING = (
    r"(?:(?:^|(?<=[\s。；;，,：:！!？?]))(?:"
    r"\d{1,2}[.．](?!\d)"  # 1.  (not 3.8)
    r"|\d{1,2}[.．](?=\s*\d{1,2}\s*[月日号])"  # "2.6月底前": item 2, June
    r"|\d{1,2}[.．](?=\s*\d{4}\s*[-/.．／－年])"  # "1.2019年6月", "1.2019-06-30"
    r"|\d{1,2}、"
    r"|[一二三四五六七八九十]{1,3}、"
    r")|[(（][\d一二三四五六七八九十]{1,2}[)）]|[①-⑳])\s*"  # (2) and ② mark an item anywhere
)
_BOUNDARY = re.compile(rf"(?P<num>{_NUMBERING})|(?P<sep>{_HARD_SEP})")
_SOFT_SEP = re.compile(r"[，,、\s]")
_RANGE_ONLY = re.compile(rf"\s*{_RANGE}\s*")
_EDGE = "。；;！!？?，,、：: \n"
# Titles and document numbers name years that are not deadlines: 《2019年工作要点》, 〔2019〕14号.
_BRACKETED = re.compile(r"《[^《》]*》|〔[^〔〕]*〕")

_DONE_VERBS = "完成|印发|出台|办结|落实|建成|制定|启动|上线|报送|提交|召开|发布|下发|部署|组织|开展|实现|成立|批复|通过"
_DONE = re.compile(
    rf"已经?(?:于[^，,。；;]{{0,15}}?)?(?:基本|全部|全面|顺利)?(?:{_DONE_VERBS})(?!\s*\d+(?:\.\d+)?\s*[%％])"
    r"|^(?:完成|办结)$"
)
_ONGOING = re.compile(r"持续|长期(?!护理|照护)|常态化|长效|定期|常年|逐年|每年|每半年|每季|每月|每周")

_MONTH_EN = ("", "January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
_QUARTER_CN = {"一": 1, "二": 2, "三": 3, "四": 4}
_PART_DAY = {"上旬": 10, "初": 10, "中旬": 20, "中": 15}  # 下旬/底/末/none: last day

_YEAR_TITLE = re.compile(rf"({_YEAR})(?:\s*{_RANGE}\s*({_YEAR}))?\s*年")
_YEAR_BARE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


# --------------------------------------------------------------------------- numbers

def _cn_int(text: str) -> int:
    """Arabic or Chinese numeral (三, 十二, 二十一, 二〇一九) to int; the regex vouches for the form."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "两": 2}
    if "十" not in text:  # digit by digit: 二〇一九
        value = 0
        for c in text:
            value = value * 10 + digits[c]
        return value
    tens, _, ones = text.partition("十")
    return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _invalid(zh: str, en: str) -> Problem:
    return Problem("invalid-deadline", {"detail": {"zh": zh, "en": en}})


# --------------------------------------------------------------------------- one date expression

@dataclass(slots=True)
class _Resolved:
    date: datetime.date | None
    assumed: bool
    explicit_year: int | None  # a year written in the text, carried to later dates
    problem: Problem | None
    needs_year: bool  # no year anywhere: deadline-year-unknown


def _resolve(m: re.Match[str], ledger_year: int | None, carried: int | None) -> _Resolved:
    """Turn one date match into a date, checking that the date exists."""
    g = m.groupdict()
    explicit: int | None = None
    if g["iy"] is not None:
        explicit, month, day = int(g["iy"]), int(g["im"]), int(g["id"])
        kind = "day"
    elif g["jy"] is not None:
        explicit, month, day = int(g["jy"]), int(g["jm"]), None
        kind = "month"
    else:
        month = day = None
        if g["y"] is not None:
            explicit = _cn_int(g["y2"] or g["y"])
        if g["m"] is not None:
            month = _cn_int(g["m2"] or g["m"])
            kind = "month"
            if g["d"] is not None:
                day, kind = _cn_int(g["d"]), "day"
            elif g["part"] in _PART_DAY:
                day, kind = _PART_DAY[g["part"]], "day"
        elif g["half"] is not None:
            month, day, kind = (6 if g["half"] == "上半年" else 12), None, "month"
        elif g["q"] is not None:
            q = _QUARTER_CN.get(g["q"]) or int(g["q"])
            month, kind = q * 3, "month"
        else:  # yend / yonly
            month, kind = 12, "month"

    # Month and day first: they are wrong whatever the year.
    if not 1 <= month <= 12:
        return _Resolved(None, False, explicit, _invalid(
            f"{month}月不存在", f"month {month} does not exist"), False)
    if day is not None and day < 1:
        return _Resolved(None, False, explicit, _invalid(f"{day}日不存在", f"day {day} does not exist"), False)
    if day is not None and day > calendar.monthrange(2000, month)[1]:  # 2000: leap, most lenient
        return _Resolved(None, False, explicit, _invalid(
            f"{month}月没有{day}日", f"{_MONTH_EN[month]} has no day {day}"), False)

    assumed = False
    if explicit is not None:
        year = explicit
        if not MIN_YEAR <= year <= MAX_YEAR:
            return _Resolved(None, False, None, _invalid(
                f"年份 {year} 不合理", f"year {year} is out of range ({MIN_YEAR}-{MAX_YEAR})"), False)
    else:
        base = carried if carried is not None else ledger_year
        if base is None:
            return _Resolved(None, False, None, None, True)
        year = base + _REL_YEARS.get(g.get("rel") or "", 0)
        assumed = carried is None
        if not MIN_YEAR <= year <= MAX_YEAR:  # only a silly --year gets here
            return _Resolved(None, False, None, _invalid(
                f"年份 {year} 不合理", f"year {year} is out of range ({MIN_YEAR}-{MAX_YEAR})"), False)

    if kind == "month" or day is None:
        return _Resolved(_month_end(year, month), assumed, explicit, None, False)
    if day > calendar.monthrange(year, month)[1]:  # only 29 Feb in a common year is left
        return _Resolved(None, False, explicit, _invalid(
            f"{year}年{month}月没有{day}日", f"{_MONTH_EN[month]} {year} has no day {day}"), False)
    return _Resolved(datetime.date(year, month, day), assumed, explicit, None, False)


# --------------------------------------------------------------------------- the cell

def _normalise(text: str) -> str:
    """ASCII digits, no spaces around Chinese, single spaces elsewhere, one newline per break."""
    text = text.translate(_FULLWIDTH)
    text = _SPACE_NEAR_CJK.sub("", text)
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n", text).strip()


def _mask(text: str) -> str:
    """Blank out 《…》 and 〔…〕 contents, keeping every offset."""
    return _BRACKETED.sub(lambda m: m.group(0)[0] + "_" * (len(m.group(0)) - 2) + m.group(0)[-1], text)


def _items(text: str) -> tuple[list[list[tuple[int, int]]], list[tuple[int, int]]]:
    """Numbered items, each a list of clause spans (numbering and separators excluded), and the
    spans of the numbering marks themselves (so "2.6月" is not read as the number 2.6)."""
    items: list[list[tuple[int, int]]] = [[]]
    marks: list[tuple[int, int]] = []
    pos = 0
    for b in _BOUNDARY.finditer(text):
        if b.start() > pos:
            items[-1].append((pos, b.start()))
        if b.group("num") is not None:
            marks.append(b.span())
            if items[-1]:
                items.append([])
        pos = max(pos, b.end())
    if pos < len(text):
        items[-1].append((pos, len(text)))
    return [item for item in items if item], marks


def _clean(text: str) -> str:
    return text.strip(_EDGE)


def _split_asides(masked: str, start: int, matches: list[re.Match[str]]) -> tuple[list, list]:
    """Matches outside brackets (plus a bracketed first one), and bracketed ones after it."""
    kept: list[re.Match[str]] = []
    asides: list[re.Match[str]] = []
    depth, pos = 0, start
    for m in matches:
        chunk = masked[pos:m.start()]
        depth = max(0, depth + chunk.count("(") + chunk.count("（") - chunk.count(")") - chunk.count("）"))
        pos = m.start()
        (asides if depth and kept else kept).append(m)
    return kept, asides


@dataclass(slots=True)
class _Draft:
    """A milestone being built; its text is a span of the normalised cell."""

    start: int
    end: int
    date: datetime.date | None = None
    done: bool = False
    assumed: bool = False
    dated: bool = False  # had a date expression (resolved or not)


def _parse_text(raw: str, year: int | None) -> Deadline:
    """The grammar proper, on text; wrapped in an LRU cache because ledgers repeat values."""
    text = _normalise(raw)
    if not text:
        return Deadline(raw, "empty", (), False, ())
    items, marks = _items(text)
    masked = _mask(text)
    if marks:
        pieces, pos = [], 0
        for a, b in marks:
            pieces += [masked[pos:a], "_" * (b - a)]
            pos = b
        masked = "".join(pieces) + masked[pos:]
    drafts: list[_Draft] = []
    problems: list[Problem] = []
    ongoing = False
    carried: int | None = None
    year_unknown = False

    for item in items:
        first_in_item = len(drafts)
        pending: int | None = None  # start of undated text waiting for the next milestone
        for c_start, c_end in item:
            clause = text[c_start:c_end]
            if not _clean(clause):
                continue
            if _ONGOING.search(clause):
                ongoing = True
            matches = list(_DATE.finditer(masked, c_start, c_end))
            if not matches:
                if _DONE.search(_clean(clause)):
                    drafts.append(_Draft(pending if pending is not None else c_start, c_end, done=True))
                    pending = None
                elif _ONGOING.search(clause):
                    pass  # "持续推进" is a flag, not a milestone
                elif len(drafts) > first_in_item:
                    drafts[-1].end = c_end  # continuation of the milestone before it
                elif pending is None:
                    pending = c_start
                continue
            # A date in brackets after another date is a remark ("6月底前（含6月）"): checked,
            # but not a milestone of its own.
            matches, asides = _split_asides(masked, c_start, matches)
            for m in asides:
                r = _resolve(m, year, carried)
                if r.problem is not None:
                    problems.append(r.problem)
            # Group matches: a range (6月至9月) is one milestone ending at its last date.
            groups: list[list[re.Match[str]]] = [[matches[0]]]
            for prev, cur in zip(matches, matches[1:]):
                if _RANGE_ONLY.fullmatch(masked, prev.end(), cur.start()):
                    groups[-1].append(cur)
                else:
                    groups.append([cur])
            # Split the clause before each new group, at the last soft separator before it.
            starts = [pending if pending is not None else c_start]
            pending = None
            for prev, grp in zip(groups, groups[1:]):
                lo, hi = prev[-1].end(), grp[0].start()
                cut = hi
                for s in _SOFT_SEP.finditer(text, lo, hi):
                    cut = s.end()
                starts.append(cut)
            ends = starts[1:] + [c_end]
            for grp, s, e in zip(groups, starts, ends):
                draft = _Draft(s, e, dated=True, done=bool(_DONE.search(_clean(text[s:e]))))
                failed = False
                for m in grp:
                    r = _resolve(m, year, carried)
                    if r.explicit_year is not None:
                        carried = r.explicit_year
                    if r.problem is not None:
                        problems.append(r.problem)
                        failed = True
                    year_unknown |= r.needs_year
                    draft.date, draft.assumed = r.date, r.assumed
                if failed:
                    draft.date, draft.assumed = None, False
                drafts.append(draft)

    if year_unknown:
        problems.append(Problem("deadline-year-unknown"))
    milestones = tuple(
        Milestone(d.date, _clean(text[d.start:d.end]), d.done, d.assumed and d.date is not None)
        for d in drafts
    )
    if not milestones and not ongoing:
        problems.append(Problem("unparsed-deadline"))

    if milestones and all(m.done for m in milestones) and not ongoing:
        state: State = "done"
    elif any(m.date is not None for m in milestones):
        state = "dated"
    elif ongoing and not any(d.dated and not d.done for d in drafts):
        state = "ongoing"
    else:
        state = "unknown"
    return Deadline(raw, state, milestones, ongoing, tuple(problems))


_parse_text_cached = functools.lru_cache(maxsize=16384)(_parse_text)


def _coerce_year(year: object) -> int | None:
    try:
        return None if year is None or isinstance(year, bool) else int(year)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def _is_missing(value: object) -> bool:
    """NaN, NaT and pandas NA, without importing pandas."""
    try:
        return bool(value != value)
    except Exception:  # pd.NA refuses bool()
        return type(value).__name__ in {"NAType", "NaTType"}


def parse_deadline(value: object, year: int | None = None) -> Deadline:
    """Read one deadline cell. `year` is the ledger year for dates written without one.

    Never raises: a value it cannot read comes back with state "unknown" and a problem.
    """
    year = _coerce_year(year)
    if value is None or _is_missing(value):
        return Deadline("", "empty", (), False, ())
    if isinstance(value, datetime.date):  # an Excel date cell (datetime is a date subclass)
        try:
            day = value.date() if isinstance(value, datetime.datetime) else value
            iso = day.isoformat()
        except Exception:
            return Deadline("", "empty", (), False, ())
        if not MIN_YEAR <= day.year <= MAX_YEAR:  # 1899-12-31 is what Excel shows for a 0 date
            return Deadline(iso, "unknown", (Milestone(None, iso),), False, (_invalid(
                f"年份 {day.year} 不合理", f"year {day.year} is out of range ({MIN_YEAR}-{MAX_YEAR})"),))
        return Deadline(iso, "dated", (Milestone(day, iso),), False, ())
    if isinstance(value, str):
        text = value
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))  # 2019.0 shown as 2019, as Excel shows it
    else:
        try:
            text = str(value)
        except Exception:
            text = repr(value)
    try:
        return _parse_text_cached(text, year)
    except Exception:  # a grammar bug must not stop a whole ledger; report the cell instead
        return Deadline(text, "unknown", (), False, (Problem("unparsed-deadline"),))


def infer_year(text: str | None) -> int | None:
    """The ledger year named in a title, e.g. "全面深化改革 2019 年卫生健康工作台账" -> 2019.

    The first "YYYY年" (or 二〇一九年; the end of a range like 2018-2019年) wins; failing that a
    bare 19xx/20xx (a file name such as 台账2019.xlsx). None when the title names no year.
    """
    if not text or not isinstance(text, str):
        return None
    text = _normalise(text)
    for m in _YEAR_TITLE.finditer(text):
        value = _cn_int(m.group(2) or m.group(1))
        if MIN_YEAR <= value <= MAX_YEAR:
            return value
    m = _YEAR_BARE.search(text)
    return int(m.group(1)) if m else None
