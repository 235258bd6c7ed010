"""Say how a ledger was understood: `taizhang inspect`.

A guess made silently is a guess nobody can correct. This module describes what the reader
decided: which sheet and why, the header row, which column serves which role and why (exact name,
alias or keyword, and the bracketed note it set aside), the columns left alone, and the class of
every row under the header (task, sub-item, section, total, note, blank). The same description
feeds the one-line column summary at the top of the validate report.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .rows import LABELS

if TYPE_CHECKING:
    from .reader import Ledger

HOW = {"setting": ("_taizhang 中的设置", "set in the _taizhang sheet"), "exact": ("精确匹配", "exact name"), "alias": ("别名", "alias"), "keyword": ("关键词", "keyword"),
       "combined": ("同一列拆出", "split out of the same column")}
ROLE_NAMES = {
    "key": ("序号", "key"), "category": ("分类", "category"), "task": ("任务", "task"), "content": ("具体工作", "content"),
    "output": ("成果", "output"), "units": ("责任单位", "units"), "lead_unit": ("牵头单位", "lead unit"),
    "co_units": ("配合单位", "co-operating units"), "deadline": ("完成时限", "deadline"), "progress": ("进展", "progress"),
    "status": ("状态", "status"), "contact": ("联系人", "contact"), "phone": ("电话", "phone"),
    "contact_phone": ("联系人及电话", "contact and phone"), "responsible": ("责任人/领导", "person responsible"),
    "note": ("备注", "remark"),
}
YEAR_SOURCES = {"option": ("--year", "--year"), "metadata": ("_taizhang 设置", "_taizhang sheet"),
                "title": ("标题", "title"), "sheet": ("工作表名", "sheet name"), "file": ("文件名", "file name")}


def _t(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def describe(ledger: "Ledger", year: int | None = None, year_source: str | None = None) -> dict[str, Any]:
    """Everything `inspect` shows, as plain data (the --format json document)."""
    from .findings import col_letter

    columns = []
    for i, a in ledger.assignments.items():
        columns.append({"column": col_letter(i + 1), "header": _header_of(ledger, i), "serves": a.column.name,
                        "role": a.column.role, "how": a.how, "header_role": a.match.role, "note": a.match.note or None})
    served = {a.column.name for a in ledger.assignments.values()}
    for name, col in ledger.columns.items():
        if name not in served:  # the phone half of a 联系人/电话 column
            columns.append({"column": col.letter, "header": col.header, "serves": name, "role": col.definition.role,
                            "how": "combined", "header_role": "contact_phone", "note": None})
    columns.sort(key=lambda c: (len(c["column"]), c["column"]))
    unassigned = [{"column": col_letter(i + 1), "header": m.name, "role": m.role, "note": m.note or None}
                  for i, m in ledger.unassigned.items()]
    rows = _row_classes(ledger)
    counts: dict[str, int] = {}
    for _, cls in rows:
        counts[cls] = counts.get(cls, 0) + 1
    return {
        "path": str(ledger.path), "sheet": ledger.sheet,
        "sheet_reason": ledger.sheet_reason,
        "skipped_sheets": [{"sheet": n, "reason": w} for n, w in ledger.skipped_sheets],
        "ledger_type": ledger.ledger_type.name, "type_detected": ledger.type_detected,
        "header_row": ledger.header_row, "title": ledger.title or None,
        "year": year, "year_source": year_source,
        "columns": columns, "unassigned": unassigned,
        "rows": [{"row": r, "class": c} for r, c in rows], "row_counts": counts,
        "tasks": len(set(ledger.task)),
    }


def _header_of(ledger: "Ledger", index: int) -> str:
    col = next((c for c in ledger.columns.values() if c.index == index + 1), None)
    return col.header if col else ""


def _row_classes(ledger: "Ledger") -> list[tuple[int, str]]:
    """(Excel row, class) for every row under the header, in sheet order."""
    out: list[tuple[int, str]] = list(ledger.skipped_rows.items())
    last = -1
    for row, group in zip(ledger.rows, ledger.task):
        out.append((row, "task" if group != last else "sub-item"))
        last = group
    out.sort()
    return out


def column_summary(ledger: "Ledger", lang: str = "zh") -> str:
    """One line: each column's letter and the role it serves, then the columns left alone.

    e.g. 列：A 序号 · B 任务分类 · D 主办单位→责任单位 · … ；未用：J 备注
    """
    from .findings import col_letter

    parts = []
    for i, a in ledger.assignments.items():
        header = _one_line(_header_of(ledger, i))
        shown = header if header == a.column.name else f"{header}→{a.column.name}"
        parts.append(f"{col_letter(i + 1)} {shown}")
    line = ("列：" if lang == "zh" else "columns: ") + " · ".join(parts)
    if ledger.unassigned:
        rest = " · ".join(f"{col_letter(i + 1)} {m.name}" for i, m in ledger.unassigned.items())
        line += ("；未用（保留，不校验）：" if lang == "zh" else "; left alone: ") + rest
    return line


def render_text(doc: dict[str, Any], lang: str = "zh") -> str:
    """The inspect report for people, Chinese by default."""
    from .sheet_choice import SHEET_REASONS as reasons

    zh = lang == "zh"
    lines = [doc["path"]]
    why = _t(reasons[doc["sheet_reason"]], lang) if doc["sheet_reason"] in reasons else doc["sheet_reason"]
    lines.append(f"工作表：{doc['sheet']}（{why}）" if zh else f"sheet: {doc['sheet']} ({why})")
    for s in doc["skipped_sheets"]:
        w = _t(reasons.get(s["reason"], (s["reason"], s["reason"])), lang)
        lines.append(f"  跳过：{s['sheet']}（{w}）" if zh else f"  passed over: {s['sheet']} ({w})")
    detected = ("自动识别" if zh else "detected") if doc["type_detected"] else ("指定" if zh else "given")
    year = doc["year"] if doc["year"] else ("未知" if zh else "unknown")
    ysrc = f"（{_t(YEAR_SOURCES[doc['year_source']], lang)}）" if doc["year_source"] else ""
    if zh:
        lines.append(f"类型：{doc['ledger_type']}（{detected}）  表头：第 {doc['header_row']} 行  年份：{year}{ysrc}")
    else:
        lines.append(f"type: {doc['ledger_type']} ({detected})  header row: {doc['header_row']}  year: {year}"
                     f"{' (' + ysrc.strip('（）') + ')' if ysrc else ''}")
    lines.append("列：" if zh else "columns:")
    width = max([_width(c["header"]) for c in doc["columns"] + doc["unassigned"]] + [4])
    for c in doc["columns"]:
        head = _one_line(c["header"])
        how = _t(HOW[c["how"]], lang)
        note = (f"；忽略注释「{c['note']}」" if zh else f"; note set aside: '{c['note']}'") if c["note"] else ""
        lines.append(f"  {c['column']:<3}{_pad(head, width)} → {c['serves']} [{c['role']}]  {how}{note}")
    for c in doc["unassigned"]:
        role = _t(ROLE_NAMES[c["role"]], lang) if c["role"] in ROLE_NAMES else ""
        guess = (f"（{role}）" if zh else f" ({role})") if role else ""
        left = "未分配：保留，不校验" if zh else "unassigned: kept, not checked"
        lines.append(f"  {c['column']:<3}{_pad(c['header'], width)}   {left}{guess}")
    counts = doc["row_counts"]
    summary = ("，" if zh else ", ").join(f"{_t(LABELS[k], lang)} {counts[k]}" for k in LABELS if k in counts)
    lines.append((f"行：共 {doc['tasks']} 项任务；" if zh else f"rows: {doc['tasks']} task(s); ") + summary)
    for start, end, cls in _runs(doc["rows"]):
        span = f"{start}" if start == end else f"{start}-{end}"
        lines.append(f"  {span:<9} {_t(LABELS[cls], lang)}")
    return "\n".join(lines) + "\n"


def _runs(rows: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    """Consecutive rows of one class as (first, last, class); a task starts a new run each time."""
    out: list[list[Any]] = []
    for r in rows:
        row, cls = r["row"], r["class"]
        if out and out[-1][2] == cls and out[-1][1] == row - 1 and cls != "task":
            out[-1][1] = row
        else:
            out.append([row, row, cls])
    return [tuple(x) for x in out]  # type: ignore[misc]


def _one_line(text: str) -> str:
    """A header on one line: a line break inside Chinese text joins without a space."""
    return " ".join(re.sub(r"\s*\n\s*", "", text).split())


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in _one_line(text))


def _pad(text: str, width: int) -> str:
    text = _one_line(text)
    return text + " " * max(0, width - _width(text))


def inspect_file(path: Path, *, ledger_type: str | None = None, sheet: str | int | None = None,
                 year: int | None = None) -> dict[str, Any]:
    """Read `path` and describe it. Raises ReadError as validate would."""
    from .reader import read_ledger
    from .validate import Options, resolve_type, year_and_source

    ledger = read_ledger(path, ledger_type=resolve_type(Options(ledger_type=ledger_type)), sheet=sheet)
    y, source = year_and_source(ledger, year)
    return describe(ledger, y, source)


def to_json(doc: dict[str, Any]) -> str:
    import json

    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


__all__ = ["describe", "column_summary", "render_text", "inspect_file", "to_json"]
