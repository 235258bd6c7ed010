"""The marks plan: what a spreadsheet client paints after a validate, decided once for all clients.

The xlwings add-in, the WPS and Office.js clients and the service all mark the same cells the same
way: one fill per flagged cell (red for a cell with an error, yellow for warnings only), a note
listing every message at that cell, and a 校验结果 sheet with one row per finding and a link to
its cell. Clients pay per host call, so fills come as multi-area addresses grouped by colour:
vertical runs become `H11:H13`, equal runs in neighbouring columns become `H11:I13`, and areas
are packed into addresses under Excel's 255-character limit (`Range("H11:I11,H13:I13")`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .findings import Finding, Lang, RULES, col_letter

ERROR_FILL = "#FFC7CE"  # Excel's own "bad" style: light red
WARNING_FILL = "#FFEB9C"  # Excel's "neutral": light yellow
HEADER_FILL = "#DDEBF7"
REPORT_SHEET = "校验结果"
REPORT_HEADER = ["单元格", "列", "值", "级别", "代码", "问题", "建议"]
REPORT_HEADER_EN = ["Cell", "Column", "Value", "Severity", "Code", "Problem", "Fix"]
ADDRESS_LIMIT = 255  # characters in one Range("…") address, Excel and WPS alike


@dataclass(slots=True)
class Fill:
    color: str
    severity: str  # "error" | "warning"
    cells: list[str]  # every flagged cell, A1, in row order
    addresses: list[str]  # the same cells as multi-area addresses, each under ADDRESS_LIMIT

    def to_dict(self) -> dict[str, Any]:
        return {"color": self.color, "severity": self.severity, "cells": len(self.cells),
                "addresses": self.addresses}


@dataclass(slots=True)
class MarksPlan:
    sheet: str
    fills: list[Fill] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (cell, text), row order
    report_header: list[str] = field(default_factory=list)
    report_rows: list[list[str]] = field(default_factory=list)
    links: list[tuple[int, str, str]] = field(default_factory=list)  # (report row, cell, "#'sheet'!A1")

    @property
    def cells(self) -> list[str]:
        return [c for f in self.fills for c in f.cells]

    def to_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "fills": [f.to_dict() for f in self.fills],
            "notes": [{"cell": c, "text": t} for c, t in self.notes],
            "report": {
                "sheet": REPORT_SHEET,
                "header": self.report_header,
                "rows": self.report_rows,
                "links": [{"row": r, "cell": c, "target": t} for r, c, t in self.links],
            },
        }


def plan_marks(findings: Sequence[Finding], sheet: str, lang: Lang = "zh") -> MarksPlan:
    """The marks for `findings` on `sheet`: fills by colour, notes, report rows and links."""
    by_cell: dict[str, list[Finding]] = {}
    for f in findings:
        if f.cell:
            by_cell.setdefault(f.cell, []).append(f)
    errors = [c for c, fs in by_cell.items() if any(f.severity == "error" for f in fs)]
    warnings = [c for c, fs in by_cell.items() if all(f.severity != "error" for f in fs)]
    plan = MarksPlan(sheet=sheet, report_header=REPORT_HEADER if lang == "zh" else REPORT_HEADER_EN)
    for color, severity, cells in ((ERROR_FILL, "error", errors), (WARNING_FILL, "warning", warnings)):
        if cells:
            plan.fills.append(Fill(color, severity, cells, pack_addresses(cells)))
    plan.notes = [(c, "\n".join(f.message(lang) for f in fs)) for c, fs in by_cell.items()]
    level = {"error": "错误", "warning": "警告"} if lang == "zh" else {"error": "error", "warning": "warning"}
    quoted = sheet.replace("'", "''")
    for i, f in enumerate(findings, start=2):
        rule = RULES[f.code]
        plan.report_rows.append([f.cell or "", f.column or "", "" if f.value is None else str(f.value),
                                 level[f.severity], f.code, f.message(lang),
                                 rule.fix_zh if lang == "zh" else rule.fix_en])
        if f.cell:
            plan.links.append((i, f.cell, f"#'{quoted}'!{f.cell}"))
    return plan


def split_a1(cell: str) -> tuple[int, int]:
    """("H11") -> (11, 8): row and 1-based column."""
    i = 0
    while i < len(cell) and cell[i].isalpha():
        i += 1
    col = 0
    for ch in cell[:i].upper():
        col = col * 26 + ord(ch) - 64
    return int(cell[i:]), col


def pack_addresses(cells: Iterable[str], limit: int = ADDRESS_LIMIT) -> list[str]:
    """Multi-area addresses covering exactly `cells`, each at most `limit` characters."""
    by_col: dict[int, list[int]] = {}
    for cell in set(cells):
        row, col = split_a1(cell)
        by_col.setdefault(col, []).append(row)
    runs: dict[tuple[int, int], list[int]] = {}  # (first row, last row) -> columns
    for col, rows in by_col.items():
        rows.sort()
        start = prev = rows[0]
        for r in rows[1:] + [None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            runs.setdefault((start, prev), []).append(col)
            if r is not None:
                start = prev = r
    areas: list[tuple[int, int, int, int]] = []  # (r0, c0, r1, c1)
    for (r0, r1), cols in runs.items():
        cols.sort()
        first = last = cols[0]
        for c in cols[1:] + [None]:
            if c is not None and c == last + 1:
                last = c
                continue
            areas.append((r0, first, r1, last))
            if c is not None:
                first = last = c
    areas.sort()
    out: list[str] = []
    current = ""
    for r0, c0, r1, c1 in areas:
        a = f"{col_letter(c0)}{r0}" if (r0, c0) == (r1, c1) else f"{col_letter(c0)}{r0}:{col_letter(c1)}{r1}"
        if current and len(current) + 1 + len(a) > limit:
            out.append(current)
            current = a
        else:
            current = f"{current},{a}" if current else a
    if current:
        out.append(current)
    return out
