"""Compile a ledger type into a pandera DataFrameSchema and turn its failures into findings.

The type (data) says what a valid ledger is; this module says how that is checked. Each check is
vectorised over a whole column: the field grammars run once per distinct cell text (ledgers
repeat values a lot), the results are mapped back onto the column, and pandera collects every
failure lazily; which codes a failing cell has is kept beside the check. Failure cases are then mapped to the Excel cell the
user sees, deduplicated where one merged cell spans several rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .findings import Finding, Problem
from .ledger_types import UNIT_ROLES, ColumnDef, LedgerType

if TYPE_CHECKING:
    import pandas as pd

    from .reader import Ledger
    from .units import Registry

WORK_ROLES = ("task", "output", "content")  # a row with either has work someone must answer for


@dataclass(slots=True)
class Context:
    """What the checks need beyond the cell values."""

    year: int | None
    registry: "Registry"
    area_code: str | None
    region: str | None = None  # the registry the ledger's own units come from: suggestions stay in it
    # per-column lookup: normalised cell text -> problems, filled by the checks as they run
    problems: dict[str, dict[Any, list[Problem]]] = field(default_factory=dict)
    row_problems: dict[str, dict[int, list[tuple[str, Problem]]]] = field(default_factory=dict)


FIELD_CHECK = "field-grammar"  # pandera check name: the cell broke its column's grammar
CONTACT_CHECK = "contact-phone"  # pandera check name: the row's contact/phone pair has problems


def _value_check(column: str, ctx: Context, fn: Callable[[str], Iterable[Problem]]):
    """A vectorised pandera check: run `fn` once per distinct value, flag cells with problems.

    Which problems (codes, parameters) a flagged cell has is kept in ctx.problems, so one check
    per column serves every code of its grammar.
    """
    cache = ctx.problems.setdefault(column, {})

    def check(series: "pd.Series") -> "pd.Series":
        flagged = {}
        for value in series.dropna().unique():
            if value not in cache:
                cache[value] = list(fn(value))
            flagged[value] = bool(cache[value])
        return ~series.map(flagged).fillna(False).astype(bool)

    return check


def _contact_check(ltype: LedgerType, ctx: Context, frame: "pd.DataFrame"):
    """Contact/phone problems depend on three columns (contact, phone, has work): computed once
    per distinct triple, then checked on the contact column row by row."""
    from .contacts import check_contact

    present = set(frame.columns)
    contact, phone = contact_columns(ltype, present)
    work_cols = [c.name for c in ltype.columns if c.role in WORK_ROLES and c.name in present]
    has_work = frame[work_cols].notna().any(axis=1).tolist() if work_cols else [True] * len(frame)
    has_phone = phone is not None
    phones = frame[phone.name].tolist() if has_phone else [None] * len(frame)
    store = ctx.row_problems.setdefault("contact", {})
    cache: dict[tuple, list] = {}
    for row, c, p, w in zip(frame.index.tolist(), frame[contact.name].tolist(), phones, has_work):
        key = (c, p, w)
        if key not in cache:
            cache[key] = check_contact(c, p, has_work=w, area_code=ctx.area_code, phone_column=has_phone)
        if cache[key]:
            store[row] = cache[key]
    bad = list(store)

    def check(series: "pd.Series") -> "pd.Series":
        return ~series.index.to_series().isin(bad)

    return check


def contact_columns(ltype: LedgerType, present: set[str]) -> tuple["ColumnDef | None", "ColumnDef | None"]:
    """The (contact, phone) pair the ledger has, among the columns `present`.

    A responsible person (责任人, 承办人) is the contact when the ledger has a phone column and no
    联系人 column; with no phone column it is a name only, never chased for a phone.
    """
    def first(role: str) -> "ColumnDef | None":
        return next((c for c in ltype.columns if c.role == role and c.name in present), None)

    phone = first("phone")
    contact = first("contact") or (first("responsible") if phone is not None else None)
    return contact, phone


def compile_schema(ltype: LedgerType, ctx: Context, frame: "pd.DataFrame"):
    """The pandera schema for `ltype`, restricted to the columns present in `frame`."""
    from .amounts import amount_problems
    from .contacts import name_problems, parse_phones
    from .deadlines import parse_deadline
    from .pandera_import import pandera_pandas

    pa = pandera_pandas()

    present = set(frame.columns)
    contact, _ = contact_columns(ltype, present)
    columns = {}
    for col in ltype.columns:
        if col.name not in present:
            continue
        checks = []
        if col.role == "deadline":
            def deadline_problems(v, _y=ctx.year):
                return parse_deadline(v, _y).problems
            checks.append(pa.Check(_value_check(col.name, ctx, deadline_problems), name=FIELD_CHECK))
        elif col.role in UNIT_ROLES:
            def unit_problems(v, _r=ctx.registry, _y=ctx.year, _g=ctx.region):
                return _r.check(v, _y, _g)
            checks.append(pa.Check(_value_check(col.name, ctx, unit_problems), name=FIELD_CHECK))
        elif col is contact:
            checks.append(pa.Check(_contact_check(ltype, ctx, frame), name=CONTACT_CHECK, ignore_na=False))
        elif col.role == "phone" and contact is None:  # numbers with nobody named beside them: still dialled
            def phone_problems(v, _a=ctx.area_code):
                return parse_phones(v, _a)[1]
            checks.append(pa.Check(_value_check(col.name, ctx, phone_problems), name=FIELD_CHECK))
        elif col.role == "responsible":
            checks.append(pa.Check(_value_check(col.name, ctx, name_problems), name=FIELD_CHECK))
        elif col.role == "amount":
            checks.append(pa.Check(_value_check(col.name, ctx, amount_problems), name=FIELD_CHECK))
        if col.required and col is not contact:  # an empty contact is missing-contact, not missing-value
            code = "missing-unit" if col.role in UNIT_ROLES else "missing-value"
            checks.append(pa.Check(lambda s: s.notna(), name=code, ignore_na=False))
        columns[col.name] = pa.Column(object, checks=checks, nullable=True, required=False)
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


def run_schema(ledger: "Ledger", ctx: Context) -> list[Finding]:
    """Validate the ledger lazily and return one finding per problem, mapped to its cell."""
    import pandera.errors as pe

    df = ledger.frame()
    schema = compile_schema(ledger.ledger_type, ctx, df)
    try:
        schema.validate(df, lazy=True)
        return []
    except pe.SchemaErrors as errors:
        cases = errors.failure_cases
    position = {row: i for i, row in enumerate(ledger.rows)}
    contact, phone = contact_columns(ledger.ledger_type, set(df.columns))
    add = _Adder(ledger, position)
    contact_rows = ctx.row_problems.get("contact", {})
    for column, check, index in zip(cases["column"].tolist(), cases["check"].tolist(), cases["index"].tolist()):
        if index is None or index != index or int(index) not in position or column not in ledger.columns:
            continue
        pos = position[int(index)]
        check = str(check)
        if check == CONTACT_CHECK:
            for which, p in contact_rows.get(int(index), []):
                add((contact if which == "contact" or phone is None else phone).name, pos, p)
            continue
        if check == FIELD_CHECK:
            problems = ctx.problems.get(column, {}).get(ledger.values[column][pos], [])
        else:  # missing-value / missing-unit
            problems = [add.missing(check)]
        for p in problems:
            add(column, pos, p)
    return add.findings


class _Adder:
    """Failure cases -> findings, one per (code, cell, parameters): a merged cell spanning several
    sub-items is one finding. Problems are shared by every cell with the same text, so each
    problem's sorted parameters are computed once, not once per failing cell."""

    def __init__(self, ledger: "Ledger", position: dict[int, int]) -> None:
        self.ledger, self.position = ledger, position
        self.findings: list[Finding] = []
        self.seen: set[tuple] = set()
        self.params: dict[int, tuple[Problem, tuple]] = {}  # id(problem) -> (it, kept alive; its sorted parameters)
        self.codes: dict[str, Problem] = {}

    def missing(self, code: str) -> Problem:
        return self.codes.setdefault(code, Problem(code))

    def __call__(self, column: str, pos: int, problem: Problem) -> None:
        ledger = self.ledger
        origin_row = ledger.origin[column][pos]
        known = self.params.get(id(problem))
        if known is None:
            known = self.params[id(problem)] = (problem, tuple(sorted((k, str(v)) for k, v in problem.params.items())))
        params = known[1]
        key = (problem.code, column, origin_row, params)
        if key in self.seen:
            return
        self.seen.add(key)
        col = ledger.columns[column]
        at = self.position.get(origin_row)
        raw_value = ledger.raw[column][at] if at is not None else ledger.values[column][pos]
        self.findings.append(Finding(problem.code, ledger.sheet, origin_row, col.header, f"{col.letter}{origin_row}",
                                     raw_value, dict(problem.params)))
