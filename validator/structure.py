"""Checks on the ledger's structure rather than on single values: columns, keys and formulas."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .findings import Finding, col_letter
from .ledger_types import TEXT_ROLES

if TYPE_CHECKING:
    from .reader import Ledger


# columns a ledger cannot do without even when no single cell is required (contacts are checked row by row)
ESSENTIAL_ROLES = ("contact", "phone")


def check_columns(ledger: "Ledger") -> list[Finding]:
    """missing-column: a required (or contact/phone) column of the type is not in the header."""
    # the finding points at the start of the header row: the column itself is not there to point at
    first = min((c.index for c in ledger.columns.values()), default=1)
    cell = f"{col_letter(first)}{ledger.header_row}"
    return [
        Finding("missing-column", ledger.sheet, ledger.header_row, c.name, cell, None, {"header_row": ledger.header_row})
        for c in ledger.ledger_type.columns
        if (c.required or c.role in ESSENTIAL_ROLES) and c.name not in ledger.columns
    ]


def check_keys(ledger: "Ledger") -> list[Finding]:
    """duplicate-key and key-sequence, one finding per task (not per sub-item row)."""
    key = ledger.column_for_role("key")
    if key is None:
        return []
    findings: list[Finding] = []
    first_row: dict[str, int] = {}
    previous: int | None = None
    last_group = -1
    values, origin = ledger.values[key.name], ledger.origin[key.name]
    for pos, group in enumerate(ledger.task):
        if group == last_group:
            continue
        last_group = group
        value, row = values[pos], origin[pos]
        if value is None:
            continue
        cell = f"{key.letter}{row}"
        if value in first_row and first_row[value] != row:
            findings.append(Finding("duplicate-key", ledger.sheet, row, key.header, cell, value,
                                    {"first_row": first_row[value]}))
        first_row.setdefault(value, row)
        number = _as_int(value)
        if number is not None:
            if previous is not None and number != previous + 1 and value in first_row and first_row[value] == row:
                findings.append(Finding("key-sequence", ledger.sheet, row, key.header, cell, value,
                                        {"expected": previous + 1}))
            previous = number
    return findings


def check_formulas(ledger: "Ledger") -> list[Finding]:
    """formula-in-cell: a formula where the type expects text typed by a person."""
    by_index = {c.index: c for c in ledger.columns.values() if c.definition.role in TEXT_ROLES}
    rows = set(ledger.rows)
    findings = []
    for (row, col), formula in sorted(ledger.formulas.items()):
        column = by_index.get(col)
        if column is None or row not in rows:
            continue
        findings.append(Finding("formula-in-cell", ledger.sheet, row, column.header, f"{column.letter}{row}", formula))
    return findings


def _as_int(text: str) -> int | None:
    text = text.strip().rstrip(".、")
    return int(text) if text.isdigit() else None
