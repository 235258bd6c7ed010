"""Find a ledger's header row and decide which header column serves which column of its type.

The header is the first of the top rows that gives a key or task column and one more; each
ledger type is scored on it (exact names weigh most, a missing required column costs) and the
best wins. Column assignment itself is validator.header_roles; this module adds what a sheet
brings: a two-row header (责任单位 over 牵头 | 协办), a user's own mapping in the `_taizhang`
sheet, and co-operating unit columns the type does not define.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .findings import col_letter
from .header_roles import Assignment, assign_columns, match_header
from .ledger_types import ColumnDef, LedgerType, builtin_types
from .normalize import normalize_header, normalize_text

HEADER_SCAN_ROWS = 40

WEIGHT = {"setting": 2.0, "exact": 2.0, "alias": 1.0, "keyword": 0.75}
TITLE_BONUS = 3.0  # the title names the type's kind (types' `keywords`)


def find_header(grid: list[list[Any]], wanted: LedgerType | None, overrides: dict[str, str] | None = None,
                fixed: dict[str, bool] | None = None):
    """The header row, the type it fits best and which header column serves which type column.

    Each row in the first HEADER_SCAN_ROWS with two or more texts is tried against each type;
    the first row that gives a key or task column and one more is the header. Whether the best
    built-in type is used, restricted to the columns found, or a generic profile compiled from
    the header's roles is decided in validator.profile (`fixed`: how the office chose the type).
    """
    from .profile import choose, generic_profile, settle

    types = [wanted] if wanted else list(builtin_types().values())
    best = None
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        if sum(1 for v in row if v is not None and v != "" and str(v).strip()) < 2:
            continue
        above = "".join(str(v) for line in grid[:r] for v in line if v is not None)  # the title
        for t in types:
            score, mapping = _score(t, row, overrides)
            roles = {a.column.role for a in mapping.values()}
            if len(mapping) < 2 or not roles & {"key", "task"}:
                continue
            if any(k in above for k in t.keywords):
                score += TITLE_BONUS  # 宁海县民生实事项目台账 is a 民生实事 ledger, whatever its columns share
            if best is None or score > best[0]:
                best = (score, r, t, mapping)
        if best is None and wanted is None and (generic := generic_profile(row)) is not None:
            best = (0.0, r, generic.ledger_type, generic.mapping)
        if best is not None:
            break  # the first row that looks like a header is the header
    if best is None:
        return None
    _, r, t, mapping = best
    fit = choose(t, mapping, grid[r], **(fixed or {"wanted": wanted is not None, "from_template": False,
                                                    "restrict": False}))
    last, mapping, headers = _sub_header(grid, r, fit.ledger_type, fit.mapping, overrides)
    ltype, mapping = settle(fit, mapping, headers)
    return r, last, ltype, mapping, headers, fit


def _score(t: LedgerType, headers: list[Any], overrides: dict[str, str] | None) -> tuple[float, dict[int, Assignment]]:
    """How well a header row fits type `t`: exact names weigh most, a missing required column costs,
    so that a 4-column schedule is not mistaken for the 9-column ledger sharing its aliases."""
    mapping = assign_columns(headers, t.columns)
    if overrides:
        mapping = _apply_overrides(headers, t, mapping, overrides)
    score = sum(WEIGHT[a.how] for a in mapping.values())
    matched = {id(a.column) for a in mapping.values()}
    score -= 1.5 * sum(1 for c in t.columns if c.required and id(c) not in matched)
    return score, mapping


def column_overrides(metadata: dict[str, str]) -> dict[str, str]:
    """A user's own column mapping from the `_taizhang` sheet: rows `列:表头` -> type column name.

    `列:联络员` = `联系人` makes the 联络员 column the contact column; the value `-` leaves a
    column alone. A wrong guess is fixed in the workbook, without code.
    """
    out = {}
    for k, v in metadata.items():
        for prefix in ("列:", "列：", "column:"):
            if k.startswith(prefix):
                out[normalize_header(k[len(prefix):])] = v.strip()
    return out


def _apply_overrides(headers: list[Any], t: LedgerType, mapping: dict[int, Assignment],
                     overrides: dict[str, str]) -> dict[int, Assignment]:
    by_name = {c.name: c for c in t.columns}
    mapping = dict(mapping)
    for i, head in enumerate(headers):
        target = overrides.get(normalize_header(head)) or overrides.get(match_header(head).name)
        if target is None:
            continue
        mapping.pop(i, None)
        col = by_name.get(target) or next((c for c in t.columns if c.role == target), None)
        if col is None:
            continue
        for j in [j for j, a in mapping.items() if a.column is col]:
            del mapping[j]
        mapping[i] = Assignment(i, col, "setting", match_header(head))
    return dict(sorted(mapping.items()))


def _sub_header(grid: list[list[Any]], r: int, ltype: LedgerType, mapping: dict[int, Assignment],
                overrides: dict[str, str] | None) -> tuple[int, dict[int, Assignment], list[Any]]:
    """A two-row header (联系方式 over 联系人 | 联系电话, 责任单位 over 牵头 | 协办).

    Row r+1 is a sub-header when its key (or task) cell is empty and it names roles: data rows
    always start with (or continue) a task. Its names win over the group heading above them;
    a bare 牵头 / 协办 is read with the group's name before it. Returns the last header row,
    the mapping and the header texts by column.
    """
    top = list(grid[r])
    if r + 1 >= len(grid):
        return r, mapping, top
    below = grid[r + 1]
    anchor = next((i for i, a in mapping.items() if a.column.role == "key"),
                  next((i for i, a in mapping.items() if a.column.role == "task"), None))
    if anchor is not None and anchor < len(below) and normalize_text(below[anchor]) is not None:
        return r, mapping, top
    combined = list(top) + [""] * max(0, len(below) - len(top))
    group = ""
    named = False
    for i in range(len(combined)):
        above = normalize_text(top[i]) if i < len(top) else None
        group = above or group
        sub = normalize_text(below[i]) if i < len(below) else None
        if sub is None:
            continue
        if len(sub) > 20:
            return r, mapping, top  # a sentence: a data row, not a header
        if match_header(sub).role is not None:
            combined[i], named = sub, True
        elif match_header(group + sub).role is not None:
            combined[i], named = group + sub, True
    if not named:
        return r, mapping, top
    _, sub_mapping = _score(ltype, combined, overrides)
    if len(sub_mapping) < len(mapping):
        return r, mapping, top
    return r + 1, sub_mapping, combined


def extra_units(headers: list[Any], mapping: dict[int, Assignment], ltype: LedgerType) -> LedgerType:
    """Co-operating units in any ledger type (a 协办单位 column the type does not define) are units:
    add them to the type read here, so they are checked against the registry."""
    extra = []
    names = {c.name for c in ltype.columns}
    for i, head in enumerate(headers):
        if i in mapping or head is None or head == "":
            continue
        m = match_header(head)
        if m.role in ("co_units", "lead_unit", "units") and m.how is not None:
            name = m.name if m.name not in names else f"{m.name}（{col_letter(i + 1)}）"
            col = ColumnDef(name=name, role="co_units" if m.role == "co_units" else m.role, aliases=())
            names.add(name)
            extra.append(col)
            mapping[i] = Assignment(i, col, m.how, m)
    if not extra:
        return ltype
    return replace(ltype, columns=ltype.columns + tuple(extra))
