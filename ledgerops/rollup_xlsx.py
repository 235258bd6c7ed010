"""Write a roll-up as the workbook the reform office prints and sends upward.

Sheets: 汇总 (counts per responsible unit and per category, with two bar charts: status per unit
and overdue items per unit), 逾期清单 (whom to call: every overdue item with unit, contact,
phone, milestone, days overdue and a link to the master row), 按月到期 (milestones per month,
then the milestones in date order), 逐项状态 (every item with its status and the rule that
decided it, so a surprising count can be traced). A hidden `_taizhang` sheet keeps the counts
per unit, so the next roll-up can take this workbook as `--previous`.

Every sheet is print-ready: A4 landscape, fitted to the page width, header row repeated on each
page, page numbers in the footer. Values are written, not formulas: no cached results would be
stored, and readers other than Excel (calamine, the add-in's remote engine) would see blanks.

Laid out with xlsxwriter, which streams a new workbook several times faster than openpyxl builds
one; the master, whose layout must survive, stays with openpyxl in merge and split. The table
bodies below each sheet's title (~490,000 cells on 20,000 rows) are written by xlsx_rows as the
XML xlsxwriter would write, each distinct text once, the two largest in forked processes where
there are cores for them (rollup_cells._Writer decides); `fast=False` has xlsxwriter write every
cell, the reference tests/test_rollup_fast.py compares with. Row heights are estimated once per
distinct text and column width.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from taizhang.validator.findings import col_letter

from .rollup import STATUSES, Counts, Item, Rollup, ROLLUP_META_TYPE
from .rollup_cells import (BOLD, CENTRE, CHANGE, DATE, HEADER, LATE, LINK, MISSING, NOTE, OVERDUE_COLOUR, PERCENT,
                           STATUS_COLOURS, STATUS_STYLE, STATUS_ZH, SUBTITLE, TEXT, TITLE, TOTAL, TOTAL_CHANGE,
                           TOTAL_PERCENT, TOTAL_TEXT, _WRAPPED, _Writer)

__all__ = ["write_rollup_xlsx", "SHEETS"]

SHEETS = ("汇总", "逾期清单", "按月到期", "逐项状态")
LINE_HEIGHT = 15.0  # points per wrapped line
MAX_ROW_HEIGHT = 409.0  # Excel's limit
ONE_PAGE_ROWS = 30  # units + categories that still fit the 汇总 sheet on one printed page
CJK_WIDTH = 1.8  # a Chinese character is about this many column-width units (measured in LibreOffice renders)


def write_rollup_xlsx(result: Rollup, path: Path, *, fast: bool = True) -> None:
    """Write the roll-up workbook to `path` (the caller wraps this in write_atomic).

    `fast` writes the table bodies with xlsx_rows and splices them into the workbook xlsxwriter
    lays out; without it xlsxwriter writes every cell (the reference the tests compare with).
    """
    from ..validator.gc_pause import collector_paused

    with collector_paused():
        _write(result, Path(path), fast)


def _write(result: Rollup, path: Path, fast: bool) -> None:
    import tempfile

    import xlsxwriter

    from taizhang.validator.metadata import META_SHEET

    from .xlsx_rows import splice

    link_base = _link_target(result.master, path.parent)
    skeleton = path
    w: _Writer | None = None
    if fast:
        fd, name = tempfile.mkstemp(prefix="taizhang-rollup-", suffix=".xlsx")
        os.close(fd)
        skeleton = Path(name)
    try:
        # constant_memory: rows go to disk as they are written (in order) with inline strings: less
        # memory and no shared-string table to build at the end
        wb = xlsxwriter.Workbook(str(skeleton), {"constant_memory": True, "strings_to_formulas": False,
                                                 "strings_to_urls": False, "strings_to_numbers": False})
        w = _Writer(wb, fast)
        _summary_sheet(w, wb.add_worksheet(SHEETS[0]), result)
        _overdue_sheet(w, wb.add_worksheet(SHEETS[1]), result, link_base)
        _month_sheet(w, wb.add_worksheet(SHEETS[2]), result, link_base)
        _items_sheet(w, wb.add_worksheet(SHEETS[3]), result, link_base)
        _meta_sheet(w, wb.add_worksheet(META_SHEET), result)
        wb.close()
        if fast:  # splice waits for each body written elsewhere when it comes to its sheet
            names = [ws.name for ws in wb.worksheets()]
            splice(skeleton, path, {names.index(name) + 1: rows for name, rows in w.bodies.items()})
    finally:
        for child in w.elsewhere if w is not None else ():
            child.reap()  # those not joined: an error came first
        if fast:
            skeleton.unlink(missing_ok=True)


def _meta_sheet(w: _Writer, ws, result: Rollup) -> None:
    """The hidden sheet a later roll-up reads as --previous, as validator.metadata lays it out."""
    meta: dict[str, Any] = {
        "type": ROLLUP_META_TYPE, "version": 1, "as_of": result.as_of.isoformat(), "master": str(result.master),
        "sheet": result.sheet, "ledger_type": result.ledger_type, "title": result.title, "year": result.year,
    }
    meta["totals"] = json.dumps(result.totals.values())
    for c in result.by_unit:  # one key per unit: no cell-length limit however many units
        meta[f"unit:{c.name}"] = json.dumps(c.values(), ensure_ascii=False)
    ws.write_string(0, 0, "键 key")
    ws.write_string(0, 1, "值 value")
    row = 0
    for key, value in meta.items():
        if value is None:
            continue
        row += 1
        ws.write_string(row, 0, str(key))
        w.write(ws, row, 1, value if isinstance(value, (int, float)) else str(value), None)
    _width(ws, 0, 16)
    _width(ws, 1, 60)
    ws.hide()


# ---------------------------------------------------------------------- shared layout


def _heading(w: _Writer, ws, title: str, subtitle: str, width: int, body: bool = True) -> None:
    """Title in row 1 and a line of context in row 2, merged over the table's width; the rows
    below are the sheet's table body (unless `body` is false: a body with merged cells)."""
    for row, text, style, height in ((0, title, TITLE, 26), (1, subtitle, SUBTITLE, 30)):
        ws.set_row(row, height)  # before the row's cells: constant_memory writes a row out once the next begins
        if width > 1:
            ws.merge_range(row, 0, row, width - 1, None, w.formats[style])
        w.write(ws, row, 0, text, style)
    if body:
        w.body(ws)


def _header_row(w: _Writer, ws, row: int, headers: Sequence[str]) -> None:
    """The table's header in Excel row `row`."""
    w.set_row(ws, row - 1, 30)
    w.write_row(ws, row - 1, headers, [HEADER] * len(headers))


def _table_row(w: _Writer, ws, row: int, values: Sequence[object], styles: Sequence[str],
               widths: Sequence[float]) -> None:
    """One table row in Excel row `row`: values written as data, a style per column, and a height
    that shows wrapped text (Excel does not grow a row for wrapped text a program wrote, so long
    推进情况 would print cut off)."""
    lines = 1
    for col, style in enumerate(styles):
        if style in _WRAPPED:
            value = values[col]
            if value is not None:
                n = _lines(value if value.__class__ is str else str(value), widths[col])
                if n > lines:
                    lines = n
    if lines > 1:
        w.set_row(ws, row - 1, min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines + 3))
    w.write_row(ws, row - 1, values, styles)


@lru_cache(maxsize=65536)
def _lines(value: str, width: float) -> int:
    """How many lines `value` takes in a column `width` characters wide (CJK counts about double)."""
    per_line = max(1.0, width - 1)
    total = 0
    for part in value.split("\n"):
        units = sum(CJK_WIDTH if ord(ch) > 0x2E80 else 1 for ch in part)
        total += max(1, math.ceil(units / per_line))
    return total


def _width(ws, col: int, width: float) -> None:
    """Column `col` (0-based) `width` characters wide as Excel stores it (xlsxwriter adds the
    cell padding to what it is given, openpyxl and Excel's own width attribute include it)."""
    ws.set_column_pixels(col, col, round(width * 7))


def _widths(ws, widths: Sequence[float]) -> None:
    for col, width in enumerate(widths):
        _width(ws, col, width)


def _print_setup(ws, header_row: int, width: int, last_row: int) -> None:
    """A4 landscape, one page wide, the header row on every page, page numbers below."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row - 1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C&9第 &P 页，共 &N 页")
    ws.freeze_panes(header_row, 0)
    ws.print_area(0, 0, max(last_row, header_row + 1) - 1, width - 1)  # the first row under the panes at least


def _link_target(master: Path, out_dir: Path) -> str:
    """The master as a link target: relative to the roll-up when they share a drive, so the two
    files keep working after they are copied together to another folder or machine."""
    try:
        rel = os.path.relpath(Path(master).resolve(), Path(out_dir).resolve())
    except ValueError:  # another drive on Windows
        return Path(master).resolve().as_uri()
    return rel.replace(os.sep, "/")


def _subtitle(result: Rollup, extra: str = "") -> str:
    year = f"，台账年份 {result.year}" if result.year else ""
    text = f"截至 {result.as_of.isoformat()}　来源：{result.master.name}（工作表「{result.sheet}」{year}）"
    return text + (f"　{extra}" if extra else "")


def _item_text(item: Item) -> str:
    """What the item is, for a person: the sub-item's output, else the task."""
    return item.output or item.task or ""


def _red_rule(w: _Writer, ws, cells: str, criteria: str, values: Sequence[int], fill: str = "FFC7CE",
              colour: str = "9C0006") -> None:
    """A conditional format (differential style: no font name, it keeps the cell's font)."""
    key = ("rule", fill, colour)
    fmt = w.formats.get(key)  # type: ignore[call-overload]
    if fmt is None:
        fmt = w.formats[key] = w.wb.add_format({"bg_color": f"#{fill}", "font_color": f"#{colour}", "bold": True})  # type: ignore[index]
    rule: dict[str, Any] = {"type": "cell", "criteria": criteria, "format": fmt}
    if criteria == "between":
        rule["minimum"], rule["maximum"] = values
    else:
        rule["value"] = values[0]
    ws.conditional_format(cells, rule)


# ---------------------------------------------------------------------- 汇总


COUNT_HEADERS = ("事项数", "已完成", "推进中", "未启动", "持续实施", "逾期", "完成率")
CHANGE_FIELDS = (("items", "较上次\n事项"), ("done", "较上次\n已完成"), ("overdue", "较上次\n逾期"))
OVERDUE_COL = 1 + COUNT_HEADERS.index("逾期") + 1  # G


def _summary_sheet(w: _Writer, ws, result: Rollup) -> None:
    with_change = result.previous is not None
    width = 1 + len(COUNT_HEADERS) + (len(CHANGE_FIELDS) if with_change else 0)
    widths = [34] + [10] * (width - 1)
    _widths(ws, widths)
    extra = "一行有多个责任单位时，每个单位各计一次，故各单位之和可能大于合计。"
    if result.previous is not None:
        prev = result.previous
        when = f"（截至 {prev.as_of}）" if prev.as_of else "（按本次日期重新汇总）"
        extra += f"较上次：与 {prev.path.name}{when}相比。"
    _heading(w, ws, f"{result.title} 汇总", _subtitle(result, extra), width)

    header = 4
    _header_row(w, ws, header, ("责任单位", *COUNT_HEADERS, *(h for _, h in CHANGE_FIELDS if with_change)))
    row = header + 1
    for counts in result.by_unit:
        _count_row(w, ws, row, counts, with_change, widths)
        row += 1
    unit_first, unit_last = header + 1, row - 1
    _count_row(w, ws, row, result.totals, with_change, widths, total=True)
    overdue = col_letter(OVERDUE_COL)
    _red_rule(w, ws, f"{overdue}{header + 1}:{overdue}{row}", ">", [0])
    if with_change and result.by_unit:
        # more overdue than last time is bad news, fewer is good
        col = col_letter(width)
        _red_rule(w, ws, f"{col}{unit_first}:{col}{unit_last}", ">", [0])
        _red_rule(w, ws, f"{col}{unit_first}:{col}{unit_last}", "<", [0], fill="C6EFCE", colour="006100")

    row += 2
    if result.by_unit:
        _charts(w, ws, result, unit_first, unit_last, row, widths)
        row += _chart_rows(len(result.by_unit)) + 1  # the rows the charts cover

    last = row
    if result.by_category:
        cat_header = row
        _header_row(w, ws, cat_header, ("任务分类", *COUNT_HEADERS))
        for counts in result.by_category:
            row += 1
            _count_row(w, ws, row, counts, False, widths)
        _red_rule(w, ws, f"{overdue}{cat_header + 1}:{overdue}{row}", ">", [0])
        last = row
    elif not result.has_category:
        w.write(ws, row - 1, 0, "（本台账没有任务分类列，不按分类汇总。）", NOTE)
    _print_setup(ws, header, width, last)
    ws.print_area(0, 0, max(row, last) - 1, max(width, 8) - 1)
    if len(result.by_unit) + len(result.by_category) <= ONE_PAGE_ROWS:
        ws.fit_to_pages(1, 1)  # the report a reform office sends upward fits one page


def _count_row(w: _Writer, ws, row: int, counts: Counts, with_change: bool, widths: Sequence[float],
               total: bool = False) -> None:
    name = "合计（按事项）" if total else counts.name + ("（新增）" if with_change and counts.new else "")
    values: list[object] = [name, counts.items, counts.done, counts.in_progress, counts.not_started, counts.ongoing,
                            counts.overdue, counts.done / counts.items if counts.items else None]
    styles = [TOTAL_TEXT if total else TEXT] + [TOTAL if total else CENTRE] * 6 + [TOTAL_PERCENT if total else PERCENT]
    if with_change:
        change = counts.change or {}
        values += [change.get(f) for f, _ in CHANGE_FIELDS]
        styles += [TOTAL_CHANGE if total else CHANGE] * len(CHANGE_FIELDS)
    _table_row(w, ws, row, values, styles, widths)


def _chart_rows(units: int) -> int:
    """Rows (of the default 15 pt) the charts span: room for a bar per unit plus title and legend."""
    return max(15, math.ceil(1.4 * units) + 7)


def _charts(w: _Writer, ws, result: Rollup, first: int, last: int, anchor_row: int, widths: Sequence[float]) -> None:
    """Two horizontal bar charts below the tables: status per unit (stacked), overdue per unit.

    Sized to whole cells (columns A:D and E:H, `_chart_rows` rows), so the two sit side by side
    under the table in every client, whatever width each gives a column.
    """
    sheet = ws.name
    cats = [sheet, first - 1, 0, last - 1, 0]
    rows = _chart_rows(len(result.by_unit))
    height = rows * 20  # the default 15 pt row is 20 pixels

    status = w.wb.add_chart({"type": "bar", "subtype": "stacked"})
    for i, key in enumerate(STATUSES):
        col = 2 + i  # 已完成, 推进中, 未启动, 持续实施 follow 事项数 (0-based C..F)
        colour = f"#{STATUS_COLOURS[key]}"
        status.add_series({"name": [sheet, first - 2, col], "categories": cats,
                           "values": [sheet, first - 1, col, last - 1, col],
                           "fill": {"color": colour}, "border": {"color": colour}, "gap": 60, "overlap": 100})
    _bar_axes(status, "各单位事项状态", max((c.items for c in result.by_unit), default=0))
    status.set_legend({"position": "bottom"})
    status.set_size({"width": sum(round(x * 7) for x in widths[0:4]), "height": height})
    ws.insert_chart(anchor_row - 1, 0, status, {"object_position": 2})

    overdue = w.wb.add_chart({"type": "bar"})
    colour = f"#{OVERDUE_COLOUR}"
    overdue.add_series({"name": [sheet, first - 2, 6], "categories": cats,
                        "values": [sheet, first - 1, 6, last - 1, 6], "fill": {"color": colour},
                        "border": {"color": colour}, "gap": 60, "data_labels": {"value": True}})
    _bar_axes(overdue, "各单位逾期事项", max((c.overdue for c in result.by_unit), default=0))
    overdue.set_legend({"none": True})
    overdue.set_size({"width": sum(round(x * 7) for x in widths[4:8]), "height": height})
    ws.insert_chart(anchor_row - 1, 4, overdue, {"object_position": 2})


def _tick_step(largest: int, ticks: int = 12) -> int:
    """A whole-number tick step (1, 2, 5, 10, 20, 50 …) giving at most `ticks` ticks: counts of
    items have no fractions, and a tick per item crowds the axis of a ledger with 50 items."""
    step = 1
    while largest / step > ticks:
        for factor in (2, 2.5, 2):  # 1 → 2 → 5 → 10 → 20 → 50 …
            step = int(step * factor)
            if largest / step <= ticks:
                break
    return step


def _bar_axes(chart, title: str, largest: int) -> None:
    """A 12 pt bold title (the default 18 pt dwarfs a small chart); units top to bottom in table
    order, whole-number ticks, the value axis at the bottom."""
    chart.set_title({"name": title, "overlay": False, "name_font": {"size": 12, "bold": True}})
    # xlsxwriter's bar chart: y is the category axis (reversed: first unit on top; the value axis
    # crosses it at its maximum, the bottom), x the value axis
    chart.set_y_axis({"reverse": True, "crossing": "max"})
    chart.set_x_axis({"min": 0, "major_unit": _tick_step(largest), "num_format": "0",
                      "major_gridlines": {"visible": False}})


# ---------------------------------------------------------------------- 逾期清单


def _overdue_sheet(w: _Writer, ws, result: Rollup, link: str) -> None:
    headers = ("台账行", "序号", "责任单位", "事项（成果形式）", "逾期节点", "节点日期", "逾期天数", "状态",
               "联系人", "联系电话")
    widths = (8, 6, 18, 40, 30, 11, 8, 8, 10, 14)
    _widths(ws, widths)
    items = result.overdue_items()
    blank = "（未填写）" if result.has_contact else "—"  # a gap to chase, or a ledger without the column
    _heading(w, ws, f"{result.title} 逾期清单", _subtitle(
        result, f"逾期事项 {len(items)} 项。节点日期早于截至日期、事项未完成（持续实施的事项不计）即为逾期；"
                "有多个逾期节点时列出最早的一个。点击“台账行”打开台账中的这一行。"), len(headers), body=bool(items))
    header = 4
    _header_row(w, ws, header, headers)
    row = header
    for item in items:
        row += 1
        first = item.first_overdue
        more = f"（另有 {len(item.overdue) - 1} 个节点逾期）" if len(item.overdue) > 1 else ""
        missing = [result.has_contact and not v for v in (item.contact, item.phone)]
        styles = (LINK, CENTRE, TEXT, TEXT, TEXT, DATE, CENTRE, STATUS_STYLE[item.status],
                  MISSING if missing[0] else TEXT, MISSING if missing[1] else TEXT)
        _table_row(w, ws, row, [None, item.key, "、".join(item.units), _item_text(item),
                                first.text + more, first.date, first.days, STATUS_ZH[item.status],
                                item.contact or blank, item.phone or blank], styles, widths)
        w.link(ws, row - 1, 0, f"第 {item.row} 行", link, result.sheet, item.row)
    if items:
        days = f"G{header + 1}:G{row}"
        _red_rule(w, ws, days, ">=", [30])
        _red_rule(w, ws, days, "between", [1, 29], fill="FFEB9C", colour="9C5700")
        ws.autofilter(f"A{header}:{col_letter(len(headers))}{row}")
    else:
        row += 1
        ws.merge_range(row - 1, 0, row - 1, len(headers) - 1, None)
        w.write(ws, row - 1, 0, f"截至 {result.as_of.isoformat()} 没有逾期事项。", None)
    _print_setup(ws, header, len(headers), row)


# ---------------------------------------------------------------------- 按月到期


def _month_sheet(w: _Writer, ws, result: Rollup, link: str) -> None:
    show_ongoing = any(m.ongoing for m in result.by_month)
    month_headers = ["月份", "到期节点", "已完成", "已逾期", "未到期"] + (["持续实施"] if show_ongoing else [])
    detail_headers = ("到期日", "台账行", "序号", "责任单位", "节点", "事项状态", "逾期天数")
    widths = (12, 10, 8, 20, 46, 10, 9)
    _widths(ws, widths)
    undated = f"另有 {result.undated} 项没有具体日期（持续实施或未写明）。" if result.undated else ""
    _heading(w, ws, f"{result.title} 按月到期", _subtitle(result, "完成时限中每个有日期的节点计一次。" + undated),
             len(detail_headers))

    header = 4
    detail = header + max(len(result.by_month), 1) + 3  # the detail table's header row

    def fill() -> None:
        entries = sorted(((d, text, done, item) for item in result.items for d, text, done in item.milestones),
                         key=lambda e: (e[0], e[3].row))
        _header_row(w, ws, header, month_headers)
        row = header
        for m in result.by_month:
            row += 1
            values = [m.month, m.milestones, m.done, m.overdue, m.not_due] + ([m.ongoing] if show_ongoing else [])
            styles = [CENTRE] * len(values)
            if m.overdue:
                styles[3] = LATE
            _table_row(w, ws, row, values, styles, widths)
        if not result.by_month:
            w.write(ws, header, 0, "台账中没有带日期的完成时限。", None)
        w.write(ws, detail - 2, 0, "各节点明细（按到期日排序）", BOLD)
        _header_row(w, ws, detail, detail_headers)
        row = detail
        late_days: dict[tuple[int, dt.date, str], int] = {}  # (item, date, text) -> days overdue
        seen: set[int] = set()
        for d, text, done, item in entries:
            row += 1
            if item.overdue and id(item) not in seen:
                seen.add(id(item))
                for m in reversed(item.overdue):  # the first of equal milestones wins, as in a scan
                    late_days[(id(item), m.date, m.text)] = m.days
            late = late_days.get((id(item), d, text))
            status = "节点已完成" if done else STATUS_ZH[item.status]
            styles = (DATE, LINK, CENTRE, TEXT, TEXT, CENTRE if done else STATUS_STYLE[item.status],
                      CENTRE if late is None else LATE)
            _table_row(w, ws, row, [d, None, item.key, "、".join(item.units), text, status, late], styles, widths)
            w.link(ws, row - 1, 1, f"第 {item.row} 行", link, result.sheet, item.row)

    w.rows(ws, fill)
    _print_setup(ws, detail, len(detail_headers), detail + sum(len(item.milestones) for item in result.items))


# ---------------------------------------------------------------------- 逐项状态


def _items_sheet(w: _Writer, ws, result: Rollup, link: str) -> None:
    headers = ("台账行", "序号", "责任单位", "事项（成果形式）", "完成时限", "推进情况", "状态", "判定依据", "规则",
               "逾期天数")
    widths = (8, 6, 16, 30, 20, 44, 8, 20, 17, 8)
    _widths(ws, widths)
    source = f"状态规则：{result.rules_path.name}。" if result.rules_path else ""
    _heading(w, ws, f"{result.title} 逐项状态", _subtitle(
        result, f"共 {len(result.items)} 项。{source}“判定依据”说明每项状态由哪条规则、根据哪些词语得出。"),
        len(headers))
    header = 4

    def fill() -> None:
        _header_row(w, ws, header, headers)
        row = header
        for item in result.items:
            row += 1
            why = ("状态列" if item.source == "status" else "") + item.rule_label
            if item.evidence:
                why += f"：“{item.evidence}”"
            styles = (LINK, CENTRE, TEXT, TEXT, TEXT, TEXT, STATUS_STYLE[item.status], TEXT, TEXT, LATE)
            _table_row(w, ws, row, [None, item.key, "、".join(item.units), _item_text(item),
                                    item.deadline_text, item.progress, STATUS_ZH[item.status], why, item.rule,
                                    item.days_overdue or None], styles, widths)
            w.link(ws, row - 1, 0, f"第 {item.row} 行", link, result.sheet, item.row)

    w.rows(ws, fill)
    row = header + len(result.items)
    ws.autofilter(f"A{header}:{col_letter(len(headers))}{max(row, header)}")
    _print_setup(ws, header, len(headers), row)
