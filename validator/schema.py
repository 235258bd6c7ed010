"""Compile a ledger type into a pandera DataFrameSchema and turn its failures into findings.

The type (data) says what a valid ledger is; this module says how that is checked. Each check is
named by its finding code and is vectorised over a whole column: the field grammars run once per
distinct cell text (ledgers repeat values a lot), the results are mapped back onto the column,
and pandera collects every failure lazily. Failure cases are then mapped to the Excel cell the
user sees, deduplicated where one merged cell spans several rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .findings import Finding, Problem
from .ledger_types import UNIT_ROLES, LedgerType

if TYPE_CHECKING:
    import pandas as pd

    from .reader import Ledger
    from .units import Registry

WORK_ROLES = ("task", "output")  # a row with either has work someone must answer for


@dataclass(slots=True)
class Context:
    """What the checks need beyond the cell values."""

    year: int | None
    registry: "Registry"
    area_code: str | None
    # per-column lookup: normalised cell text -> problems, filled by the checks as they run
    problems: dict[str, dict[Any, list[Problem]]] = field(default_factory=dict)
    row_problems: dict[str, dict[int, list[tuple[str, Problem]]]] = field(default_factory=dict)


def _value_check(column: str, code: str, ctx: Context, fn: Callable[[str], Iterable[Problem]]):
    """A vectorised pandera check: run `fn` once per distinct value, flag cells with `code`."""
    cache = ctx.problems.setdefault(column, {})

    def check(series: "pd.Series") -> "pd.Series":
        flagged = {}
        for value in series.dropna().unique():
            if value not in cache:
                cache[value] = list(fn(value))
            flagged[value] = any(p.code == code for p in cache[value])
        return ~series.map(flagged).fillna(False).astype(bool)

    return check


def compile_schema(ltype: LedgerType, ctx: Context, present: set[str]):
    """The pandera schema for `ltype`, restricted to the columns present in the sheet."""
    import pandera.pandas as pa

    from .contacts import check_contact
    from .deadlines import parse_deadline

    columns = {}
    for col in ltype.columns:
        if col.name not in present:
            continue
        checks = []
        if col.role == "deadline":
            def deadline_problems(v, _y=ctx.year):
                return parse_deadline(v, _y).problems
            for code in ("invalid-deadline", "unparsed-deadline", "deadline-year-unknown"):
                checks.append(pa.Check(_value_check(col.name, code, ctx, deadline_problems), name=code))
        elif col.role in UNIT_ROLES:
            def unit_problems(v, _r=ctx.registry, _y=ctx.year):
                return _r.check(v, _y)
            for code in ("unknown-unit", "renamed-unit"):
                checks.append(pa.Check(_value_check(col.name, code, ctx, unit_problems), name=code))
        if col.required:
            code = "missing-unit" if col.role in UNIT_ROLES else "missing-value"
            checks.append(pa.Check(lambda s: s.notna(), name=code, ignore_na=False))
        columns[col.name] = pa.Column(object, checks=checks, nullable=True, required=False)

    frame_checks = []
    contact = ltype.by_role("contact")
    phone = ltype.by_role("phone")
    if contact and contact.name in present:
        work_cols = [c.name for c in ltype.columns if c.role in WORK_ROLES and c.name in present]
        phone_name = phone.name if phone and phone.name in present else None
        store = ctx.row_problems.setdefault("contact", {})
        cache: dict[tuple, list] = {}

        def contact_problems(df: "pd.DataFrame") -> None:
            if store:
                return
            has_work = df[work_cols].notna().any(axis=1) if work_cols else df.index.to_series() > 0
            phones = df[phone_name] if phone_name else [None] * len(df)
            for row, c, p, w in zip(df.index, df[contact.name], phones, has_work):
                key = (c, p, bool(w))
                if key not in cache:
                    cache[key] = check_contact(c, p, has_work=bool(w), area_code=ctx.area_code)
                if cache[key]:
                    store[row] = cache[key]

        for code in ("missing-contact", "missing-phone", "invalid-phone", "contact-phone-mismatch", "invalid-contact-name"):
            def check(df, _code=code):
                contact_problems(df)
                bad = {row for row, probs in store.items() if any(p.code == _code for _, p in probs)}
                return ~df.index.to_series().isin(bad)
            frame_checks.append(pa.Check(check, name=code))
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=False, coerce=False)


def run_schema(ledger: "Ledger", ctx: Context) -> list[Finding]:
    """Validate the ledger lazily and return one finding per problem, mapped to its cell."""
    import pandera.errors as pe

    df = ledger.frame()
    schema = compile_schema(ledger.ledger_type, ctx, set(ledger.columns))
    try:
        schema.validate(df, lazy=True)
        return []
    except pe.SchemaErrors as errors:
        cases = errors.failure_cases
    position = {row: i for i, row in enumerate(ledger.rows)}
    ltype = ledger.ledger_type
    contact = ltype.by_role("contact")
    phone = ltype.by_role("phone")
    findings: list[Finding] = []
    seen: set[tuple] = set()
    # frame-level checks report one case per column of a failing row: keep one per row
    done_rows: set[tuple[str, int]] = set()
    for context, column, check, index in zip(cases["schema_context"].tolist(), cases["column"].tolist(),
                                             cases["check"].tolist(), cases["index"].tolist()):
        code = str(check)
        if index is None or index != index or int(index) not in position:
            continue
        pos = position[int(index)]
        if context != "Column":
            if (code, pos) in done_rows:
                continue
            done_rows.add((code, pos))
        if context == "Column" and column in ledger.columns:
            value = ledger.values[column][pos]
            if code in ("missing-value", "missing-unit"):
                problems = [Problem(code)]
            else:
                problems = [p for p in ctx.problems.get(column, {}).get(value, []) if p.code == code]
            for p in problems:
                _add(findings, seen, ledger, position, column, pos, p)
        else:  # a frame-level (row) check: the contact/phone pair
            for which, p in ctx.row_problems.get("contact", {}).get(int(index), []):
                if p.code != code:
                    continue
                target = contact if which == "contact" or not phone or phone.name not in ledger.columns else phone
                _add(findings, seen, ledger, position, target.name, pos, p)
    return findings


def _add(findings: list[Finding], seen: set, ledger: "Ledger", position: dict[int, int], column: str, pos: int,
         problem: Problem) -> None:
    origin_row = ledger.origin[column][pos]
    key = (problem.code, column, origin_row, tuple(sorted((k, str(v)) for k, v in problem.params.items())))
    if key in seen:
        return  # one merged cell spanning several sub-items is one finding
    seen.add(key)
    col = ledger.columns[column]
    raw_value = ledger.raw[column][position[origin_row]] if origin_row in position else ledger.values[column][pos]
    findings.append(Finding(problem.code, ledger.sheet, origin_row, col.header, f"{col.letter}{origin_row}",
                            raw_value, dict(problem.params)))
