"""Writing OUT with openpyxl: the master loaded in full, the merge applied, marked, logged, validated.

This is the path for everything: inserted rows, notes on cells that already have some, .xls and
.csv masters rebuilt from their values. merge_fast carries the master's XML through instead when
a merge only changes cells in place; both decide through `record` and must give the same workbook.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from taizhang.validator.normalize import cell_text

from .merge_gather import NewRow, Proposal
from .merge_result import CONFLICT_SHEET, LOG_SHEET, MergeResult, clip
from .xlsx_out import (APPLIED_FILL, CONFLICT_FILL, INVALID_FILL, DataArea, below, fill, ledger_sheet,
                       load_workbook_for, note, set_value, table_sheet)

if TYPE_CHECKING:
    from taizhang.validator.findings import Finding
    from taizhang.validator.reader import Ledger

    from .keep import Unkept


def build_out(master: Path, out: Path, base: "Ledger", cells: dict, new_rows: list[NewRow], accept_new_rows: bool,
              result: MergeResult) -> Any:
    """The master as an openpyxl workbook with the merge applied, marked, logged and validated."""
    wb = load_workbook_for(master, base, keep_vba=out.suffix.lower() == ".xlsm" and master.suffix.lower() == ".xlsm")
    ws = ledger_sheet(wb, base)
    row_map, placed = _place_new_rows(ws, base, new_rows if accept_new_rows else [])
    target = SheetCells(ws)
    log = record(base, target, cells, new_rows, placed, row_map, result)
    result.findings = _validate_out(ws, base)
    mark_invalid(target, result)
    log_sheets(wb, log, result)
    wb.active = wb.sheetnames.index(ws.title)
    return wb


LOG_HEADERS = ["单元格", "列", "原值", "新值", "来源文件", "时间", "结果", "说明"]
LOG_WIDTHS = [9, 14, 36, 36, 22, 19, 16, 40]


def log_sheets(wb: Any, log: list[list[Any]], result: MergeResult) -> None:
    """The 合并记录 sheet (appended to), and 冲突 when there are conflicts (else removed)."""
    table_sheet(wb, LOG_SHEET, LOG_HEADERS, log, LOG_WIDTHS, append=True)
    if result.conflicts:
        table_sheet(wb, CONFLICT_SHEET, ["单元格", "列", "原值（保留）", "来源文件", "提议值"],
                    [[c["cell"], c["column"], c["base"], p["source"], p["value"]]
                     for c in result.conflicts for p in c["proposals"]], [9, 14, 40, 22, 40])
    elif CONFLICT_SHEET in wb.sheetnames:
        del wb[CONFLICT_SHEET]


class SheetCells:
    """Where a merge writes the ledger sheet's cells: here an openpyxl worksheet; merge_fast records
    the same calls to patch the sheet XML."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    def value(self, row: int, col: int, value: Any) -> None:
        set_value(self.ws.cell(row, col), value)

    def fill(self, row: int, col: int, color: str) -> None:
        self.ws.cell(row, col).fill = fill(color)

    def note(self, row: int, col: int, text: str) -> None:
        """Add a note; one already on the cell is kept above it."""
        cell = self.ws.cell(row, col)
        cell.comment = note(below(cell.comment.text if cell.comment is not None else None, text))

    def is_merged(self, row: int, col: int) -> bool:
        return type(self.ws.cell(row, col)).__name__ == "MergedCell"


def record(base: "Ledger", target: Any, cells: dict, new_rows: list[NewRow], placed: list[int],
           row_map: Callable[[int], int], result: MergeResult) -> list[list[Any]]:
    """Decide every proposal and new row, write them through `target`; the rows of 合并记录."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    log: list[list[Any]] = []
    _resolve(base, target, cells, row_map, result, log, stamp)
    _write_new_rows(base, target, new_rows, placed, result, log, stamp)
    for d in result.dropped:
        d["row"] = row_map(d["row"])
        log.append([None, None, None, None, d["source"], stamp, "行缺失（未删除）",
                    f"报送中没有第 {d['row']} 行（序号 {d['key'] or '—'}），总表保留该行"])
    for s in result.skipped:
        log.append([None, None, None, None, s["path"], stamp, "跳过文件", s["message"][0]])
    return log


def unkept(master: Path, out: Path) -> list["Unkept"]:
    """What of MASTER openpyxl cannot carry into OUT (listed in the report)."""
    from taizhang.validator.filecheck import sniff

    from .keep import unkept_parts

    if sniff(master).kind != "xlsx":
        return []
    return unkept_parts(master, keep_vba=out.suffix.lower() == ".xlsm" and master.suffix.lower() == ".xlsm")


def _place_new_rows(ws: Any, base: "Ledger", rows: list[NewRow]) -> tuple[Callable[[int], int], list[int]]:
    """Insert empty rows for accepted new rows: at the end of their task, or after the last task.

    Returns the base-row -> OUT-row map and the OUT row of each new row (same order as `rows`).
    """
    if not rows:
        return (lambda r: r), []
    first = base.header_row + 1
    area = DataArea(ws, first)
    group_rows: dict[int, list[int]] = defaultdict(list)
    for pos, g in enumerate(base.task):
        group_rows[g].append(base.rows[pos])
    end = max(base.rows) if base.rows else base.header_row
    in_task: dict[int, list[int]] = defaultdict(list)  # last row of a task -> new rows joining it
    new_tasks: list[int] = []
    for i, r in enumerate(rows):
        if r.group is None:
            new_tasks.append(i)
        else:
            in_task[group_rows[r.group][-1]].append(i)
    bottom = max([end, *area.rows])
    plan: list[tuple[int, str]] = []
    new_at: dict[int, int] = {}
    shift: dict[int, int] = {}
    for src in range(first, bottom + 1):
        plan.append((src, "values"))
        shift[src] = first + len(plan) - 1
        for i in in_task.get(src, ()):
            plan.append((src, "extend"))
            new_at[i] = first + len(plan) - 1
        if src == end:
            for i in new_tasks:
                plan.append((src, "style"))
                new_at[i] = first + len(plan) - 1
    task_cols = {c.index for c in base.columns.values() if c.definition.level == "task"}
    merged_cols = {c0 for _, c0, _, _ in area.merges}
    extra = []
    for g, members in group_rows.items():
        top, last = members[0], members[-1]
        if top != last or last not in in_task:
            continue
        for c in task_cols & merged_cols:  # a one-row task gets merged like the ledger's other tasks
            if area.merged_top(top, c) is None:
                extra.append((shift[top], c, shift[top] + len(in_task[last]), c))
    area.layout(plan, extend_cols=task_cols, extra_merges=extra)
    return (lambda r: shift.get(r, r)), [new_at[i] for i in range(len(rows))]


def _resolve(base: "Ledger", target: Any, cells: dict[tuple[int, str], dict[str, Proposal]],
             row_map: Callable[[int], int], result: MergeResult, log: list[list[Any]], stamp: str) -> None:
    """Decide every proposed cell: applied, rejected (locked column) or conflict; write OUT and the log."""
    pos_of = {r: p for p, r in enumerate(base.rows)}
    order = sorted(cells, key=lambda k: (row_map(k[0]), base.columns[k[1]].index))
    for brow, name in order:
        by_source = cells[(brow, name)]
        col = base.columns[name]
        row = row_map(brow)
        cell_ref = f"{col.letter}{row}"
        pos = pos_of.get(brow)
        old = cell_text(base.raw[name][pos]) if pos is not None else None
        old = old if old is not None else (base.values[name][pos] if pos is not None else None)
        old = base.formulas.get((brow, col.index), old)  # a formula is shown as itself, not its cached value
        proposals = list(by_source.values())
        if not col.definition.editable:
            for p in proposals:
                result.rejected.append({"row": row, "column": col.header, "cell": cell_ref, "old": old,
                                        "new": cell_text(p.value), "source": p.source, "reason": "locked-column"})
                log.append([cell_ref, col.header, old, cell_text(p.value), p.source, stamp, "未应用：锁定列",
                            f"「{col.header}」不允许处室修改"])
            continue
        distinct: dict[str | None, list[Proposal]] = {}
        for p in proposals:
            distinct.setdefault(p.text, []).append(p)
        stale = any(p.stale for p in proposals)
        if len(distinct) == 1 and not stale:
            p = proposals[0]
            target.value(row, col.index, p.value)
            target.fill(row, col.index, APPLIED_FILL)
            result.changed_cells.add(cell_ref)
            entry = {"row": row, "column": col.header, "cell": cell_ref, "old": old, "new": cell_text(p.value),
                     "source": p.source, "sources": [q.source for q in proposals]}
            if isinstance(p.value, str) and p.value.startswith("="):
                entry["formula_as_text"] = True
            result.applied.append(entry)
            notes = [f"另有 {'、'.join(q.source for q in proposals[1:])} 相同修改"] if len(proposals) > 1 else []
            if entry.get("formula_as_text"):
                notes.append("公式按文字写入")
            log.append([cell_ref, col.header, old, cell_text(p.value), p.source, stamp, "已应用", "；".join(notes) or None])
            continue
        result.conflicts.append({"row": row, "column": col.header, "cell": cell_ref, "base": old,
                                 "reason": "changed-since-issued" if stale else "proposals-differ",
                                 "proposals": [{"source": p.source, "value": cell_text(p.value)} for p in proposals]})
        target.fill(row, col.index, CONFLICT_FILL)
        why = ("冲突：分发后总台账中此格已有改动（如已合并的其他报送），报送也改了它，保留总台账的值。" if stale else
               f"冲突：{len(proposals)} 份报送改为不同的值，保留原值。")
        lines = [why, f"原值：{clip(old)}"]
        lines += [f"• {p.source}：{clip(cell_text(p.value))}" for p in proposals]
        target.note(row, col.index, "\n".join(lines))
        for p in proposals:
            log.append([cell_ref, col.header, old, cell_text(p.value), p.source, stamp, "冲突：保留原值",
                        "分发后总台账中此格已有改动，见「冲突」工作表" if stale else "与其他报送的修改不同，见「冲突」工作表"])


def _write_new_rows(base: "Ledger", target: Any, rows: list[NewRow], placed: list[int], result: MergeResult,
                    log: list[list[Any]], stamp: str) -> None:
    from taizhang.validator.findings import col_letter

    key = base.column_for_role("key")
    for i, r in enumerate(rows):
        out_row = placed[i] if i < len(placed) else None
        task_key = None
        if r.group is not None and key is not None:
            task_key = base.values[key.name][base.task.index(r.group)]
        elif key is not None:
            task_key = r.values.get(key.name)
        entry = {"source": r.source, "sources": r.sources, "values": r.values, "task": task_key,
                 "added": out_row is not None, "row": out_row}
        result.new_rows.append(entry)
        shown = [n for n in r.values if n in r.raw and n != (key.name if key else None)] or list(r.values)
        summary = "；".join(f"{n}：{clip(r.values[n], 30)}" for n in shown)
        if out_row is None:
            log.append([None, None, None, summary, r.source, stamp, "新增行：未添加",
                        f"属于序号 {task_key or '—'}；加 --accept-new-rows 可添加"])
            continue
        for name, value in r.raw.items():
            col = base.columns[name]
            if target.is_merged(out_row, col.index):
                continue
            target.value(out_row, col.index, value)
            target.fill(out_row, col.index, APPLIED_FILL)
            result.changed_cells.add(f"{col.letter}{out_row}")
        target.note(out_row, min(base.columns[n].index for n in r.raw) if r.raw else 1,
                    f"新增行，来自 {'、'.join(r.sources)}")
        cols = [c.index for c in base.columns.values()]
        span = f"{col_letter(min(cols))}{out_row}:{col_letter(max(cols))}{out_row}"
        log.append([span, None, None, summary, r.source, stamp, "新增行：已添加",
                    f"添加到序号 {task_key or '—'}，第 {out_row} 行"])


def _validate_out(ws: Any, base: "Ledger") -> list["Finding"]:
    """Validate OUT as it will be read back, from the sheet in memory (no second save)."""
    from taizhang.validator.reader import read_grid
    from taizhang.validator.validate import Options, validate_ledger

    grid = [["" if v is None else v for v in row]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column, values_only=True)]
    merged = [((m.min_row - 1, m.min_col - 1), (m.max_row - 1, m.max_col - 1)) for m in ws.merged_cells.ranges]
    ledger = read_grid(grid, sheet=base.sheet, path=base.path, ledger_type=base.ledger_type, merged=merged,
                       metadata=base.metadata)
    if ledger is None:
        return []
    rows = set(ledger.rows)
    ledger.formulas = {(c.row, c.column): str(c.value) for line in ws.iter_rows(min_row=ledger.header_row + 1)
                       for c in line if c.data_type == "f" and c.row in rows}
    findings, _ = validate_ledger(ledger, Options())
    return findings


def mark_invalid(target: Any, result: MergeResult) -> None:
    """An applied value that fails validation stays applied, filled light red with the finding in a note."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    by_cell: dict[str, list["Finding"]] = defaultdict(list)
    for f in result.findings:
        if f.cell in result.changed_cells:
            by_cell[f.cell].append(f)
    for ref, found in by_cell.items():
        letter, row = coordinate_from_string(ref)
        col = column_index_from_string(letter)
        target.fill(row, col, INVALID_FILL)
        source = next((a["source"] for a in result.applied if a["cell"] == ref), None)
        head = f"已按 {source} 的报送修改，但未通过校验：" if source else "新增行的值未通过校验："
        target.note(row, col, head + "\n" + "\n".join(f"• {f.message('zh')}" for f in found))
