"""Roll up a master ledger: the status of every sub-item, what is overdue, counts per unit.

After each merge the reform office reports upward: how many items each unit has, how many are
done, what is overdue and whom to call. Until now that was counted by hand from the 推进情况
text. This module does the counting and nothing else (no printing, no workbook: that is
`rollup_xlsx.py`), so the CLI, the add-in and the tests share one result.

Status (done / in_progress / not_started / ongoing) comes from the type's status column when it
has one, else from the progress text and the parsed deadline, by the ordered phrase rules in
`templates/status-rules.yaml` (status_rules.py); every item records the rule that decided it, so a
surprising status can be traced and the rules edited rather than the code.

Overdue: a dated milestone before the as-of date, of an item that is neither done nor ongoing;
a milestone the deadline text itself marks 已完成 does not count. Days overdue are counted from
the milestone's date. A row with several responsible units counts once for each of them in the
per-unit table; totals count rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from taizhang.validator.filecheck import ReadError, unreadable

from .status_rules import STATUSES, Decision, StatusRule, StatusRules, StatusRulesError, _squeeze

__all__ = [
    "STATUSES", "STATUS_LABELS", "Counts", "Decision", "Item", "Rollup", "StatusRule", "StatusRules",
    "StatusRulesError", "apply_previous", "load_previous", "parse_as_of", "render_summary", "rollup", "rollup_ledger",
]

STATUS_LABELS = {
    "zh": {"done": "已完成", "in_progress": "推进中", "not_started": "未启动", "ongoing": "持续实施"},
    "en": {"done": "done", "in_progress": "in progress", "not_started": "not started", "ongoing": "ongoing"},
}
NO_UNIT = "（未填写责任单位）"
NO_CATEGORY = "（未分类）"
ROLLUP_META_TYPE = "rollup"  # the `type` a roll-up workbook's _taizhang sheet carries
_SPACE = re.compile(r"\s+")


# ====================================================================== result


@dataclass(frozen=True, slots=True)
class OverdueMilestone:
    date: dt.date
    text: str
    days: int


@dataclass(slots=True)
class Item:
    """One sub-item (data row) of the master, with its status and what is overdue."""

    row: int  # Excel row in the master
    key: str | None
    task: str | None
    output: str | None
    category: str | None
    units: list[str]  # canonical names, each once
    units_text: str | None
    deadline_text: str | None
    progress: str | None
    contact: str | None
    phone: str | None
    status: str
    rule: str | None  # id of the deciding rule
    rule_label: str
    rule_label_en: str
    source: str  # "status" | "progress" | "deadline"
    evidence: str  # the words in the cell that decided the status ("" when none were needed)
    milestones: list[tuple[dt.date, str, bool]]  # dated milestones: (date, text, done in the deadline text)
    overdue: list[OverdueMilestone] = field(default_factory=list)

    @property
    def is_overdue(self) -> bool:
        return bool(self.overdue)

    @property
    def days_overdue(self) -> int:
        return max((m.days for m in self.overdue), default=0)

    @property
    def first_overdue(self) -> OverdueMilestone | None:
        return min(self.overdue, key=lambda m: m.date, default=None)

    def to_dict(self) -> dict[str, Any]:
        first = self.first_overdue
        return {
            "row": self.row, "key": self.key, "task": self.task, "output": self.output, "category": self.category,
            "units": list(self.units), "status": self.status, "rule": self.rule, "rule_label": self.rule_label,
            "rule_label_en": self.rule_label_en, "source": self.source, "evidence": self.evidence, "deadline_text": self.deadline_text,
            "progress": self.progress, "contact": self.contact, "phone": self.phone,
            "milestones": [{"date": d.isoformat(), "text": t, "done": done} for d, t, done in self.milestones],
            "overdue": first is not None,
            "deadline": first.date.isoformat() if first else None,
            "days": self.days_overdue if first else None,
        }


@dataclass(slots=True)
class Counts:
    """Items by status for one unit, one category or the whole ledger."""

    name: str
    items: int = 0
    done: int = 0
    in_progress: int = 0
    not_started: int = 0
    ongoing: int = 0
    overdue: int = 0
    change: dict[str, int] | None = None  # against --previous
    new: bool = False  # the unit was not in the previous report

    FIELDS = ("items", "done", "in_progress", "not_started", "ongoing", "overdue")

    def add(self, item: Item) -> None:
        self.items += 1
        setattr(self, item.status, getattr(self, item.status) + 1)
        self.overdue += item.is_overdue

    def values(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in self.FIELDS}

    def to_dict(self, label: str) -> dict[str, Any]:
        out: dict[str, Any] = {label: self.name, **self.values()}
        if self.change is not None:
            out["change"] = dict(self.change)
            out["new"] = self.new
        return out


@dataclass(slots=True)
class MonthCounts:
    month: str  # "2019-06"
    milestones: int = 0
    done: int = 0
    overdue: int = 0
    not_due: int = 0  # not done, due on or after the as-of date
    ongoing: int = 0  # of items counted as ongoing (never overdue)

    def to_dict(self) -> dict[str, Any]:
        return {"month": self.month, "milestones": self.milestones, "done": self.done, "overdue": self.overdue,
                "not_due": self.not_due, "ongoing": self.ongoing}


@dataclass(slots=True)
class Previous:
    path: Path
    kind: str  # "rollup" (an earlier roll-up, .xlsx or .json) or "master"
    as_of: str | None
    by_unit: dict[str, dict[str, int]]
    totals: dict[str, int] | None = None


@dataclass(slots=True)
class Rollup:
    master: Path
    sheet: str
    ledger_type: str
    title: str
    year: int | None
    as_of: dt.date
    items: list[Item]
    by_unit: list[Counts]
    by_category: list[Counts]
    by_month: list[MonthCounts]
    totals: Counts
    undated: int  # items without any dated milestone
    has_category: bool
    has_contact: bool  # the type has a contact column (a blank contact is then a gap to chase)
    rules_path: Path | None
    previous: Previous | None = None

    def overdue_entries(self) -> list[dict[str, Any]]:
        """One entry per overdue row and responsible unit, most days overdue first."""
        out = []
        for item in self.items:
            first = item.first_overdue
            if first is None:
                continue
            for unit in item.units:
                out.append({
                    "row": item.row, "unit": unit, "deadline": first.date.isoformat(), "days": first.days,
                    "contact": item.contact, "phone": item.phone, "key": item.key, "milestone": first.text,
                    "status": item.status, "milestones_overdue": len(item.overdue),
                })
        out.sort(key=lambda e: (-e["days"], e["row"]))
        return out

    def overdue_items(self) -> list[Item]:
        """Overdue rows, once each, most days overdue first (the 逾期清单 sheet)."""
        return sorted((i for i in self.items if i.is_overdue), key=lambda i: (-i.days_overdue, i.row))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "as_of": self.as_of.isoformat(),
            "master": str(self.master),
            "sheet": self.sheet,
            "ledger_type": self.ledger_type,
            "title": self.title,
            "year": self.year,
            "totals": self.totals.values(),
            "totals_change": self.totals.change,
            "by_unit": [c.to_dict("unit") for c in self.by_unit],
            "by_category": [c.to_dict("category") for c in self.by_category],
            "by_month": [m.to_dict() for m in self.by_month],
            "undated_items": self.undated,
            "overdue": self.overdue_entries(),
            "items": [i.to_dict() for i in self.items],
            "rules": str(self.rules_path) if self.rules_path else None,
            "previous": None if self.previous is None else {
                "path": str(self.previous.path), "kind": self.previous.kind, "as_of": self.previous.as_of},
        }


# ====================================================================== computing


def rollup(master: Path, as_of: dt.date, previous: Path | None = None, *, ledger_type: str | None = None,
           sheet: str | int | None = None, year: int | None = None, units: str | None = None,
           rules: "str | Path | StatusRules | None" = None) -> Rollup:
    """Read `master` and roll it up as of `as_of`; `previous` (an earlier roll-up or master) adds changes.

    Raises ReadError whose message starts with the file it is about (master, previous or
    registry), and StatusRulesError for a bad rules file.
    """
    from taizhang.validator.reader import read_ledger
    from taizhang.validator.validate import Options, resolve_type

    from ..validator.gc_pause import collector_paused

    status_rules = rules if isinstance(rules, StatusRules) else StatusRules.load(rules)
    options = Options(ledger_type=ledger_type, sheet=sheet, year=year, units=units)
    with collector_paused(), _naming(master):
        ledger = read_ledger(Path(master), ledger_type=resolve_type(options), sheet=sheet)
        result = rollup_ledger(ledger, as_of, rules=status_rules, year=year, units=units)
    if previous is not None:
        with _naming(previous, "上次汇总 ", "previous report "):
            prev = load_previous(Path(previous), as_of, rules=status_rules, ledger_type=ledger_type, sheet=sheet,
                                 year=year, units=units)
        apply_previous(result, prev)
    return result


@contextlib.contextmanager
def _naming(path: Path, zh: str = "", en: str = ""):
    """Prefix a ReadError's message with the file it is about (once), so the user knows which."""
    try:
        yield
    except ReadError as exc:
        if getattr(exc, "named", False):
            raise
        err = ReadError(exc.code, f"{zh}{path}：{exc.zh}", f"{en}{path}: {exc.en}")
        err.named = True  # type: ignore[attr-defined]
        raise err from None


def rollup_ledger(ledger, as_of: dt.date, *, rules: StatusRules | None = None, year: int | None = None,
                  units: str | None = None) -> Rollup:
    """Roll up a ledger already read (the add-in reads the open workbook itself)."""
    from taizhang.validator.deadlines import parse_deadline
    from taizhang.validator.units import Registry, RegistryError
    from taizhang.validator.validate import ledger_year

    rules = rules or StatusRules.load()
    ltype = ledger.ledger_type
    ledger_yr = ledger_year(ledger, year)
    try:
        registry = Registry.from_option(units or ledger.metadata.get("registry") or ltype.registry)
    except RegistryError as exc:
        raise ReadError("unreadable-file", str(exc), str(exc)) from None

    def column(*roles: str) -> list[str | None]:
        for role in roles:
            col = ledger.column_for_role(role)
            if col is not None:
                return ledger.values[col.name]
        return [None] * len(ledger)

    status_col = ledger.column_for_role("status")
    progress_col = ledger.column_for_role("progress")
    has_progress = progress_col is not None or status_col is not None
    keys, tasks, outputs = column("key"), column("task"), column("output")
    categories, unit_texts = column("category"), column("units", "lead_unit")
    deadlines, progress = column("deadline"), column("progress")
    statuses, contacts, phones = column("status"), column("contact"), column("phone")
    canonical = _UnitNames(registry, ledger_yr)

    items: list[Item] = []
    for i, row in enumerate(ledger.rows):
        deadline = parse_deadline(deadlines[i], ledger_yr)
        decision = rules.decide(status_text=statuses[i], progress_text=progress[i],
                                deadline_state=deadline.state, has_progress=has_progress)
        status, rule = decision.status, decision.rule
        dated = [(m.date, m.text, m.done) for m in deadline.milestones if m.date is not None]
        overdue = []
        if status not in ("done", "ongoing"):  # a done or ongoing item is never overdue
            overdue = [OverdueMilestone(d, text, (as_of - d).days)
                       for d, text, done in dated if not done and d < as_of]
        items.append(Item(
            row=row, key=keys[i], task=tasks[i], output=outputs[i], category=categories[i],
            units=canonical.of(unit_texts[i]), units_text=unit_texts[i], deadline_text=deadlines[i],
            progress=progress[i], contact=contacts[i], phone=phones[i], status=status,
            rule=rule.id if rule else None, rule_label=rule.label if rule else "没有规则命中，视为未启动",
            rule_label_en=rule.text("en") if rule else "no rule matched; counted as not started",
            source=decision.source, evidence=decision.evidence, milestones=dated, overdue=overdue,
        ))

    by_unit: dict[str, Counts] = {}
    by_category: dict[str, Counts] = {}
    totals = Counts("合计")
    category_keys: dict[str | None, str] = {}
    for item in items:
        totals.add(item)
        for unit in item.units:
            by_unit.setdefault(unit, Counts(unit)).add(item)
        cat_key = category_keys.get(item.category)
        if cat_key is None:
            cat_key = category_keys[item.category] = _SPACE.sub("", item.category or "") or NO_CATEGORY
        by_category.setdefault(cat_key, Counts(item.category or NO_CATEGORY)).add(item)

    return Rollup(
        master=Path(ledger.path), sheet=ledger.sheet, ledger_type=ltype.name, title=ledger.title or ltype.title,
        year=ledger_yr, as_of=as_of, items=items, by_unit=list(by_unit.values()),
        by_category=list(by_category.values()) if ledger.column_for_role("category") else [],
        by_month=_by_month(items), totals=totals, undated=sum(1 for i in items if not i.milestones),
        has_category=ledger.column_for_role("category") is not None,
        has_contact=ledger.column_for_role("contact") is not None, rules_path=rules.path,
    )


class _UnitNames:
    """Cell text -> canonical unit names, following renames in force in the ledger's year.

    A 2019 ledger that still writes 市卫生计生委 means 市卫生健康委; counting the two apart would
    split one unit's items across two lines of the report.
    """

    def __init__(self, registry, year: int | None) -> None:
        self.registry, self.year = registry, year
        self._cache: dict[str | None, list[str]] = {}

    def of(self, text: str | None) -> list[str]:
        if text not in self._cache:
            names = list(dict.fromkeys(self._name(n) for n in self.registry.split(text)))
            self._cache[text] = names or [NO_UNIT]
        return self._cache[text]

    def _name(self, written: str) -> str:
        unit = self.registry.resolve(written)
        if unit is None:
            return written
        seen = {unit.name}
        while unit.renamed_to and self._in_force(unit):
            nxt = self.registry.resolve(unit.renamed_to)
            if nxt is None or nxt.name in seen:
                return unit.renamed_to if nxt is None else nxt.name
            seen.add(nxt.name)
            unit = nxt
        return unit.name

    def _in_force(self, unit) -> bool:
        """The rename happened by the ledger's year (only the year is compared, as validate does)."""
        return self.year is not None and (unit.renamed_on is None or self.year >= unit.renamed_on.year)


def _by_month(items: list[Item]) -> list[MonthCounts]:
    """Dated milestones per month: done (the item, or the milestone in the deadline text),
    overdue, ongoing (never overdue) or not due yet."""
    months: dict[str, MonthCounts] = {}
    for item in items:
        overdue_dates = {(m.date, m.text) for m in item.overdue}
        for date, text, done in item.milestones:
            month = f"{date.year:04d}-{date.month:02d}"
            mc = months.setdefault(month, MonthCounts(month))
            mc.milestones += 1
            if done or item.status == "done":
                mc.done += 1
            elif (date, text) in overdue_dates:
                mc.overdue += 1
            elif item.status == "ongoing":
                mc.ongoing += 1
            else:
                mc.not_due += 1
    return [months[k] for k in sorted(months)]


# ====================================================================== previous report


def load_previous(path: Path, as_of: dt.date, *, rules: StatusRules | None = None, **read_options: Any) -> Previous:
    """An earlier report: a roll-up workbook or JSON written by taizhang, or a master ledger.

    A master is rolled up as of the same date, so the change shows what the units reported
    since, not the mere passing of time.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return _previous_json(path)
    meta = _workbook_metadata(path)
    if meta.get("type") == ROLLUP_META_TYPE:
        by_unit = {}
        for key, value in meta.items():
            if key.startswith("unit:"):
                counts = _json_counts(value)
                if counts is not None:
                    by_unit[key[5:]] = counts
        totals = _json_counts(meta.get("totals"))
        return Previous(path, "rollup", meta.get("as_of"), by_unit, totals)
    earlier = rollup(path, as_of, rules=rules, **read_options)
    return Previous(path, "master", None, {c.name: c.values() for c in earlier.by_unit}, earlier.totals.values())


def _previous_json(path: Path) -> Previous:
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(f"无法读取上次汇总的 JSON 文件（{exc}）", f"cannot read the previous roll-up JSON ({exc})") from None
    except json.JSONDecodeError as exc:
        raise unreadable(f"上次汇总的 JSON 文件格式错误（第 {exc.lineno} 行：{exc.msg}）",
                         f"the previous roll-up JSON is malformed (line {exc.lineno}: {exc.msg})") from None
    rows = doc.get("by_unit") if isinstance(doc, dict) else None
    if not isinstance(rows, list):
        raise unreadable("JSON 文件中没有 by_unit，不是 taizhang rollup --json 写出的汇总",
                         "no by_unit in the JSON: not a roll-up written by taizhang rollup --json")
    by_unit = {str(r["unit"]): _counts(r) for r in rows if isinstance(r, dict) and r.get("unit")}
    totals = doc.get("totals")
    return Previous(path, "rollup", doc.get("as_of"), by_unit, _counts(totals) if isinstance(totals, dict) else None)


def _counts(mapping: dict) -> dict[str, int]:
    """The count fields of a by_unit entry; anything missing or not a number is 0."""
    out = {}
    for f in Counts.FIELDS:
        try:
            out[f] = int(mapping.get(f) or 0)
        except (TypeError, ValueError):
            out[f] = 0
    return out


def _json_counts(text: str | None) -> dict[str, int] | None:
    try:
        value = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return _counts(value) if isinstance(value, dict) else None


def _workbook_metadata(path: Path) -> dict[str, str]:
    """The _taizhang sheet of a workbook, or {} (a master without one is read as a master)."""
    from taizhang.validator.filecheck import sniff
    from taizhang.validator.metadata import META_SHEET

    if sniff(path).kind == "csv":
        return {}
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
        if META_SHEET not in wb.sheet_names:
            return {}
        rows = wb.get_sheet_by_name(META_SHEET).to_python()
    except Exception:  # let read_ledger report the file properly
        return {}
    return {str(r[0]).strip(): str(r[1]) for r in rows if len(r) >= 2 and r[0] not in ("", None)}


def apply_previous(result: Rollup, previous: Previous) -> None:
    """Set each unit's change since the previous report (a new unit changes from zero)."""
    result.previous = previous
    for counts in result.by_unit:
        before = previous.by_unit.get(counts.name)
        counts.new = before is None
        before = before or {}
        counts.change = {f: getattr(counts, f) - before.get(f, 0) for f in Counts.FIELDS}
    if previous.totals is not None:
        result.totals.change = {f: getattr(result.totals, f) - previous.totals.get(f, 0) for f in Counts.FIELDS}


def parse_as_of(text: str) -> dt.date:
    """2019-06-27, 2019/6/27, 2019.6.27, 20190627 or 2019年6月27日; ValueError otherwise."""
    t = _squeeze(text)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", t) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t)
    if not m:
        raise ValueError(text)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


# ====================================================================== text summary


def render_summary(result: Rollup, lang: str = "zh", max_overdue: int = 10) -> str:
    """The few lines the CLI prints: totals, one line per unit, the most overdue items."""
    zh = lang == "zh"
    labels = STATUS_LABELS["zh" if zh else "en"]
    t = result.totals

    def counts(c: Counts) -> str:
        parts = [f"{labels[s]} {getattr(c, s)}" for s in STATUSES]
        overdue = f"逾期 {c.overdue}" if zh else f"overdue {c.overdue}"
        return ("，" if zh else ", ").join(parts + [overdue])

    lines = [
        f"{result.title}（截至 {result.as_of.isoformat()}）：共 {t.items} 项，{counts(t)}" if zh else
        f"{result.title} (as of {result.as_of.isoformat()}): {t.items} items, {counts(t)}"
    ]
    width = max((_display_width(c.name) for c in result.by_unit), default=0)
    for c in result.by_unit:
        pad = " " * (width - _display_width(c.name))
        line = f"  {c.name}{pad}  {c.items:>3} {'项' if zh else 'items'}  {counts(c)}"
        if c.change is not None:
            ch = c.change
            if zh:
                new = "，新增单位" if c.new else ""
                line += f"  （较上次：事项 {ch['items']:+d}，已完成 {ch['done']:+d}，逾期 {ch['overdue']:+d}{new}）"
            else:
                new = ", new unit" if c.new else ""
                line += f"  (since last: items {ch['items']:+d}, done {ch['done']:+d}, overdue {ch['overdue']:+d}{new})"
        lines.append(line)
    overdue = result.overdue_items()
    if overdue:
        lines.append(f"逾期事项 {len(overdue)} 项：" if zh else f"{len(overdue)} overdue items:")
        for item in overdue[:max_overdue]:
            first = item.first_overdue
            who = " ".join(x for x in (item.contact, item.phone) if x)
            if not who and result.has_contact:
                who = "（未填写联系人）" if zh else "(no contact given)"
            units = "、".join(item.units)
            line = (f"  第 {item.row} 行  {units}  {first.date.isoformat()} 逾期 {first.days} 天  {who}" if zh else
                    f"  row {item.row}  {units}  {first.date.isoformat()} {first.days} days overdue  {who}")
            lines.append(line.rstrip())
        if len(overdue) > max_overdue:
            rest = len(overdue) - max_overdue
            lines.append(f"  ……另有 {rest} 项，见工作簿的逾期清单" if zh else f"  ... {rest} more in the workbook's 逾期清单 sheet")
    else:
        lines.append("没有逾期事项。" if zh else "Nothing is overdue.")
    return "\n".join(lines) + "\n"


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
