"""Write a roll-up as the workbook the reform office prints and sends upward.

Sheets: 汇总 (counts per responsible unit and per category, with two bar charts: status per unit
and overdue items per unit), 逾期清单 (whom to call: every overdue item with unit, contact,
phone, milestone, days overdue and a link to the master row), 按月到期 (milestones per month,
then the milestones in date order), 逐项状态 (every item with its status and the rule that
decided it, so a surprising count can be traced). A hidden `_taizhang` sheet keeps the counts
per unit, so the next roll-up can take this workbook as `--previous`.

Every sheet is print-ready: A4 landscape, fitted to the page width, header row repeated on each
page, page numbers in the footer. Values are written, not formulas: openpyxl stores no cached
results, and readers other than Excel (calamine, the add-in's remote engine) would see blanks.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

from taizhang.validator.findings import col_letter

from .rollup import STATUS_LABELS, STATUSES, Counts, Item, Rollup, ROLLUP_META_TYPE

__all__ = ["write_rollup_xlsx", "SHEETS"]

SHEETS = ("汇总", "逾期清单", "按月到期", "逐项状态")
STATUS_ZH = STATUS_LABELS["zh"]
# Fills people read at a glance: green done, blue in progress, grey not started, amber ongoing.
STATUS_COLOURS = {"done": "70AD47", "in_progress": "4472C4", "not_started": "A5A5A5", "ongoing": "FFC000"}
STATUS_FILLS = {"done": "E2EFDA", "in_progress": "DDEBF7", "not_started": "EDEDED", "ongoing": "FFF2CC"}
OVERDUE_COLOUR = "C00000"
HEADER_FILL = "1F4E78"
# Named on every font: a font without a name falls back to a serif face in LibreOffice, and
# Chinese Excel shows Calibri's Latin glyphs with its own East Asian font for the Chinese.
FONT = "Calibri"
LINE_HEIGHT = 15.0  # points per wrapped line
MAX_ROW_HEIGHT = 409.0  # Excel's limit
ONE_PAGE_ROWS = 30  # units + categories that still fit the 汇总 sheet on one printed page
CJK_WIDTH = 1.8  # a Chinese character is about this many column-width units (measured in LibreOffice renders)


def write_rollup_xlsx(result: Rollup, path: Path) -> None:
    """Write the roll-up workbook to `path` (the caller wraps this in write_atomic)."""
    from openpyxl import Workbook

    from taizhang.validator.metadata import write_metadata

    path = Path(path)
    link_base = _link_target(result.master, path.parent)
    wb = Workbook()
    _register_styles(wb)
    summary = wb.active
    summary.title = SHEETS[0]
    _summary_sheet(summary, result)
    _overdue_sheet(wb.create_sheet(SHEETS[1]), result, link_base)
    _month_sheet(wb.create_sheet(SHEETS[2]), result, link_base)
    _items_sheet(wb.create_sheet(SHEETS[3]), result, link_base)
    meta: dict[str, Any] = {
        "type": ROLLUP_META_TYPE, "version": 1, "as_of": result.as_of.isoformat(), "master": str(result.master),
        "sheet": result.sheet, "ledger_type": result.ledger_type, "title": result.title, "year": result.year,
    }
    meta["totals"] = json.dumps(result.totals.values())
    for c in result.by_unit:  # one key per unit: no cell-length limit however many units
        meta[f"unit:{c.name}"] = json.dumps(c.values(), ensure_ascii=False)
    write_metadata(wb, meta)
    wb.active = 0
    wb.save(path)


# ---------------------------------------------------------------------- styles
#
# Cells are styled with named styles, registered once per workbook: assigning a named style is a
# lookup, while assigning a font or border object hashes it on every cell (openpyxl), which took
# most of the time on a 20,000-row master. The names show in Excel's style gallery.

TEXT, CENTRE, HEADER, LINK, DATE, LATE, PERCENT, CHANGE = (
    "台账·文字", "台账·居中", "台账·表头", "台账·链接", "台账·日期", "台账·逾期", "台账·百分比", "台账·增减")
TOTAL_TEXT, TOTAL, TOTAL_PERCENT, TOTAL_CHANGE = "台账·合计", "台账·合计数", "台账·合计百分比", "台账·合计增减"
STATUS_STYLE = {s: f"台账·{STATUS_ZH[s]}" for s in STATUSES}


def _register_styles(wb) -> None:
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    left = Alignment(wrap_text=True, vertical="center")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    plain = Font(name=FONT, size=11)
    bold = Font(name=FONT, size=11, bold=True)
    grey = PatternFill("solid", fgColor="F2F2F2")

    def add(name, font=plain, align=centre, fill=None, fmt="General"):
        style = NamedStyle(name=name, font=font, border=border, alignment=align, number_format=fmt)
        if fill is not None:
            style.fill = fill
        wb.add_named_style(style)

    add(TEXT, align=left)
    add(CENTRE)
    add(HEADER, font=Font(name=FONT, size=11, bold=True, color="FFFFFF"), fill=PatternFill("solid", fgColor=HEADER_FILL))
    add(LINK, font=Font(name=FONT, size=11, color="0563C1", underline="single"))
    add(DATE, fmt="yyyy-mm-dd")
    add(LATE, font=Font(name=FONT, size=11, bold=True, color=OVERDUE_COLOUR))
    add(PERCENT, fmt="0%")
    add(CHANGE, fmt="+0;-0;0")
    add(TOTAL_TEXT, font=bold, align=left, fill=grey)
    add(TOTAL, font=bold, fill=grey)
    add(TOTAL_PERCENT, font=bold, fill=grey, fmt="0%")
    add(TOTAL_CHANGE, font=bold, fill=grey, fmt="+0;-0;0")
    for status, name in STATUS_STYLE.items():
        add(name, fill=PatternFill("solid", fgColor=STATUS_FILLS[status]))


def _font(**kw):
    from openpyxl.styles import Font

    return Font(name=FONT, **kw)


# ---------------------------------------------------------------------- shared layout


def _heading(ws, title: str, subtitle: str, width: int) -> None:
    """Title in row 1 and a line of context in row 2, merged over the table's width."""
    from openpyxl.styles import Alignment

    _write_row(ws, 1, [title])  # the title comes from the ledger
    _write_row(ws, 2, [subtitle])
    ws.cell(1, 1).font = _font(bold=True, size=16)
    ws.cell(2, 1).font = _font(size=10, color="404040")
    ws.cell(2, 1).alignment = Alignment(wrap_text=True, vertical="center")
    if width > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.row_dimensions[1].height = 26
    ws.row_dimensions[2].height = 30


def _header_row(ws, row: int, headers: Sequence[str]) -> None:
    for col, text in enumerate(headers, 1):
        cell = ws.cell(row, col, text)
        cell.style = HEADER
    ws.row_dimensions[row].height = 30


def _table_row(ws, row: int, values: Sequence[object], styles: Sequence[str], widths: Sequence[float]) -> None:
    """One table row: values written as data, a named style per column, and a height that shows
    wrapped text (Excel does not grow a row for wrapped text a program wrote, so long 推进情况
    would print cut off)."""
    from .xlsx_out import set_value

    lines = 1
    for col, (value, style) in enumerate(zip(values, styles), 1):
        cell = ws.cell(row, col)
        set_value(cell, value)
        cell.style = style
        if style == TEXT and value is not None:
            lines = max(lines, _lines(value, widths[col - 1]))
    if lines > 1:
        ws.row_dimensions[row].height = min(MAX_ROW_HEIGHT, LINE_HEIGHT * lines + 3)


def _lines(value: object, width: float) -> int:
    """How many lines `value` takes in a column `width` characters wide (CJK counts about double)."""
    per_line = max(1.0, width - 1)
    total = 0
    for part in str(value).split("\n"):
        units = sum(CJK_WIDTH if ord(ch) > 0x2E80 else 1 for ch in part)
        total += max(1, math.ceil(units / per_line))
    return total


def _write_row(ws, row: int, values: Sequence[object]) -> None:
    """Values from the ledger written as data: text starting with "=" stays text (never a live
    formula in the report) and control characters openpyxl refuses are dropped."""
    from .xlsx_out import set_value

    for col, value in enumerate(values, 1):
        set_value(ws.cell(row, col), value)


def _widths(ws, widths: Sequence[float]) -> None:
    for col, w in enumerate(widths, 1):
        ws.column_dimensions[col_letter(col)].width = w


def _print_setup(ws, header_row: int, width: int) -> None:
    """A4 landscape, one page wide, the header row on every page, page numbers below."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddFooter.center.size = 9
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    ws.print_area = f"A1:{col_letter(width)}{max(ws.max_row, header_row)}"


def _link_target(master: Path, out_dir: Path) -> str:
    """The master as a link target: relative to the roll-up when they share a drive, so the two
    files keep working after they are copied together to another folder or machine."""
    try:
        rel = os.path.relpath(Path(master).resolve(), Path(out_dir).resolve())
    except ValueError:  # another drive on Windows
        return Path(master).resolve().as_uri()
    return rel.replace(os.sep, "/")


def _link(cell, target: str, sheet: str, row: int) -> None:
    """Link `cell` to row `row` of the master: the file as target, the row's first cell as location."""
    from openpyxl.worksheet.hyperlink import Hyperlink

    location = f"'{sheet.replace(chr(39), chr(39) * 2)}'!A{row}"
    cell.hyperlink = Hyperlink(ref=cell.coordinate, target=target, location=location,
                               tooltip=f"打开台账第 {row} 行")
    cell.style = LINK


def _subtitle(result: Rollup, extra: str = "") -> str:
    year = f"，台账年份 {result.year}" if result.year else ""
    text = f"截至 {result.as_of.isoformat()}　来源：{result.master.name}（工作表「{result.sheet}」{year}）"
    return text + (f"　{extra}" if extra else "")


def _item_text(item: Item) -> str:
    """What the item is, for a person: the sub-item's output, else the task."""
    return item.output or item.task or ""


def _red_rule(operator: str, formula: list[str], fill: str = "FFC7CE", colour: str = "9C0006"):
    """A conditional format (differential style: no font name, it keeps the cell's font)."""
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill

    return CellIsRule(operator=operator, formula=formula, fill=PatternFill("solid", fgColor=fill, bgColor=fill),
                      font=Font(color=colour, bold=True))


# ---------------------------------------------------------------------- 汇总


COUNT_HEADERS = ("事项数", "已完成", "推进中", "未启动", "持续实施", "逾期", "完成率")
CHANGE_FIELDS = (("items", "较上次\n事项"), ("done", "较上次\n已完成"), ("overdue", "较上次\n逾期"))
OVERDUE_COL = 1 + COUNT_HEADERS.index("逾期") + 1  # G


def _summary_sheet(ws, result: Rollup) -> None:
    with_change = result.previous is not None
    width = 1 + len(COUNT_HEADERS) + (len(CHANGE_FIELDS) if with_change else 0)
    widths = [34] + [10] * (width - 1)
    _widths(ws, widths)
    extra = "一行有多个责任单位时，每个单位各计一次，故各单位之和可能大于合计。"
    if result.previous is not None:
        prev = result.previous
        when = f"（截至 {prev.as_of}）" if prev.as_of else "（按本次日期重新汇总）"
        extra += f"较上次：与 {prev.path.name}{when}相比。"
    _heading(ws, f"{result.title} 汇总", _subtitle(result, extra), width)

    header = 4
    _header_row(ws, header, ("责任单位", *COUNT_HEADERS, *(h for _, h in CHANGE_FIELDS if with_change)))
    row = header + 1
    for counts in result.by_unit:
        _count_row(ws, row, counts, with_change, widths)
        row += 1
    unit_first, unit_last = header + 1, row - 1
    _count_row(ws, row, result.totals, with_change, widths, total=True)
    overdue = col_letter(OVERDUE_COL)
    ws.conditional_formatting.add(f"{overdue}{header + 1}:{overdue}{row}", _red_rule("greaterThan", ["0"]))
    if with_change and result.by_unit:
        # more overdue than last time is bad news, fewer is good
        col = col_letter(width)
        ws.conditional_formatting.add(f"{col}{unit_first}:{col}{unit_last}", _red_rule("greaterThan", ["0"]))
        ws.conditional_formatting.add(f"{col}{unit_first}:{col}{unit_last}",
                                      _red_rule("lessThan", ["0"], fill="C6EFCE", colour="006100"))

    row += 2
    if result.by_unit:
        _charts(ws, result, unit_first, unit_last, row)
        row += _chart_rows(len(result.by_unit)) + 1  # the rows the charts cover

    if result.by_category:
        cat_header = row
        _header_row(ws, cat_header, ("任务分类", *COUNT_HEADERS))
        for counts in result.by_category:
            row += 1
            _count_row(ws, row, counts, False, widths)
        ws.conditional_formatting.add(f"{overdue}{cat_header + 1}:{overdue}{row}", _red_rule("greaterThan", ["0"]))
    elif not result.has_category:
        ws.cell(row, 1, "（本台账没有任务分类列，不按分类汇总。）").font = _font(size=9, italic=True, color="595959")
    _print_setup(ws, header, width)
    ws.print_area = f"A1:{col_letter(max(width, 8))}{max(row, ws.max_row)}"
    if len(result.by_unit) + len(result.by_category) <= ONE_PAGE_ROWS:
        ws.page_setup.fitToHeight = 1  # the report a reform office sends upward fits one page


def _count_row(ws, row: int, counts: Counts, with_change: bool, widths: Sequence[float], total: bool = False) -> None:
    name = "合计（按事项）" if total else counts.name + ("（新增）" if with_change and counts.new else "")
    values: list[object] = [name, counts.items, counts.done, counts.in_progress, counts.not_started, counts.ongoing,
                            counts.overdue, counts.done / counts.items if counts.items else None]
    styles = [TOTAL_TEXT if total else TEXT] + [TOTAL if total else CENTRE] * 6 + [TOTAL_PERCENT if total else PERCENT]
    if with_change:
        change = counts.change or {}
        values += [change.get(f) for f, _ in CHANGE_FIELDS]
        styles += [TOTAL_CHANGE if total else CHANGE] * len(CHANGE_FIELDS)
    _table_row(ws, row, values, styles, widths)


def _chart_rows(units: int) -> int:
    """Rows (of the default 15 pt) the charts span: room for a bar per unit plus title and legend."""
    return max(15, math.ceil(1.4 * units) + 7)


def _charts(ws, result: Rollup, first: int, last: int, anchor_row: int) -> None:
    """Two horizontal bar charts below the tables: status per unit (stacked), overdue per unit."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.label import DataLabelList

    units = len(result.by_unit)
    cats = Reference(ws, min_col=1, min_row=first, max_row=last)

    status = BarChart()
    status.type, status.grouping, status.overlap = "bar", "stacked", 100
    _chart_title(status, "各单位事项状态")
    for i, key in enumerate(STATUSES):
        col = 3 + i  # 已完成, 推进中, 未启动, 持续实施 follow 事项数
        status.add_data(Reference(ws, min_col=col, min_row=first - 1, max_row=last), titles_from_data=True)
        status.series[-1].graphicalProperties.solidFill = STATUS_COLOURS[key]
        status.series[-1].graphicalProperties.line.solidFill = STATUS_COLOURS[key]
    status.set_categories(cats)
    _bar_axes(status, max((c.items for c in result.by_unit), default=0))
    status.legend.position = "b"
    rows = _chart_rows(units)
    status.anchor = _cells(0, anchor_row, 4, rows)  # A:D
    ws.add_chart(status)

    overdue = BarChart()
    overdue.type, overdue.grouping = "bar", "clustered"
    _chart_title(overdue, "各单位逾期事项")
    overdue.add_data(Reference(ws, min_col=7, min_row=first - 1, max_row=last), titles_from_data=True)
    overdue.series[0].graphicalProperties.solidFill = OVERDUE_COLOUR
    overdue.series[0].graphicalProperties.line.solidFill = OVERDUE_COLOUR
    overdue.series[0].dLbls = DataLabelList()
    overdue.series[0].dLbls.showVal = True
    for flag in ("showSerName", "showCatName", "showLegendKey", "showPercent"):
        setattr(overdue.series[0].dLbls, flag, False)
    overdue.set_categories(cats)
    _bar_axes(overdue, max((c.overdue for c in result.by_unit), default=0))
    overdue.legend = None
    overdue.anchor = _cells(4, anchor_row, 8, rows)  # E:H, the width of the table above
    ws.add_chart(overdue)


def _chart_title(chart, text: str) -> None:
    """A 12 pt bold title (the default 18 pt dwarfs a small chart)."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RegularTextRun

    props = CharacterProperties(sz=1200, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    chart.title = Title(tx=Text(rich=RichText(p=[para])), overlay=False)


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


def _cells(first_col: int, row: int, end_col: int, rows: int):
    """An anchor spanning columns [first_col, end_col) (0-based) from Excel row `row`, `rows` tall.

    Anchored to cells rather than sized in cm, so the two charts sit side by side under the table
    in every client, whatever width each gives a column.
    """
    from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor

    return TwoCellAnchor(editAs="oneCell", _from=AnchorMarker(col=first_col, row=row - 1),
                         to=AnchorMarker(col=end_col, row=row - 1 + rows))


def _bar_axes(chart, largest: int) -> None:
    """Units top to bottom in table order, whole-number ticks, axes shown (openpyxl 3.1 hides
    them unless told: `delete` defaults to true there)."""
    chart.x_axis.scaling.orientation = "maxMin"  # category axis: first unit on top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorUnit = _tick_step(largest)
    chart.y_axis.scaling.min = 0
    chart.y_axis.number_format = "0"
    chart.y_axis.majorGridlines = None
    chart.y_axis.crosses = "max"  # with the categories reversed, keep the value axis at the bottom
    chart.gapWidth = 60


# ---------------------------------------------------------------------- 逾期清单


def _overdue_sheet(ws, result: Rollup, link: str) -> None:
    headers = ("台账行", "序号", "责任单位", "事项（成果形式）", "逾期节点", "节点日期", "逾期天数", "状态",
               "联系人", "联系电话")
    widths = (8, 6, 18, 40, 30, 11, 8, 8, 10, 14)
    styles = (LINK, CENTRE, TEXT, TEXT, TEXT, DATE, CENTRE, CENTRE, TEXT, TEXT)
    _widths(ws, widths)
    items = result.overdue_items()
    blank = "（未填写）" if result.has_contact else "—"  # a gap to chase, or a ledger without the column
    _heading(ws, f"{result.title} 逾期清单", _subtitle(
        result, f"逾期事项 {len(items)} 项。节点日期早于截至日期、事项未完成（持续实施的事项不计）即为逾期；"
                "有多个逾期节点时列出最早的一个。点击“台账行”打开台账中的这一行。"), len(headers))
    header = 4
    _header_row(ws, header, headers)
    row = header
    for item in items:
        row += 1
        first = item.first_overdue
        more = f"（另有 {len(item.overdue) - 1} 个节点逾期）" if len(item.overdue) > 1 else ""
        _table_row(ws, row, [f"第 {item.row} 行", item.key, "、".join(item.units), _item_text(item),
                             first.text + more, first.date, first.days, STATUS_ZH[item.status],
                             item.contact or blank, item.phone or blank], styles, widths)
        ws.cell(row, 8).style = STATUS_STYLE[item.status]
        _link(ws.cell(row, 1), link, result.sheet, item.row)
        for col, value in ((9, item.contact), (10, item.phone)):
            if result.has_contact and not value:
                ws.cell(row, col).font = _font(color=OVERDUE_COLOUR, italic=True)
    if items:
        days = f"G{header + 1}:G{row}"
        ws.conditional_formatting.add(days, _red_rule("greaterThanOrEqual", ["30"]))
        ws.conditional_formatting.add(days, _red_rule("between", ["1", "29"], fill="FFEB9C", colour="9C5700"))
        ws.auto_filter.ref = f"A{header}:{col_letter(len(headers))}{row}"
    else:
        row += 1
        ws.cell(row, 1, f"截至 {result.as_of.isoformat()} 没有逾期事项。")
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(headers))
    _print_setup(ws, header, len(headers))


# ---------------------------------------------------------------------- 按月到期


def _month_sheet(ws, result: Rollup, link: str) -> None:
    show_ongoing = any(m.ongoing for m in result.by_month)
    month_headers = ["月份", "到期节点", "已完成", "已逾期", "未到期"] + (["持续实施"] if show_ongoing else [])
    detail_headers = ("到期日", "台账行", "序号", "责任单位", "节点", "事项状态", "逾期天数")
    widths = (12, 10, 8, 20, 46, 10, 9)
    _widths(ws, widths)
    undated = f"另有 {result.undated} 项没有具体日期（持续实施或未写明）。" if result.undated else ""
    _heading(ws, f"{result.title} 按月到期", _subtitle(result, "完成时限中每个有日期的节点计一次。" + undated),
             len(detail_headers))

    header = 4
    _header_row(ws, header, month_headers)
    row = header
    for m in result.by_month:
        row += 1
        values = [m.month, m.milestones, m.done, m.overdue, m.not_due] + ([m.ongoing] if show_ongoing else [])
        _table_row(ws, row, values, [CENTRE] * len(values), widths)
        if m.overdue:
            ws.cell(row, 4).style = LATE
    if not result.by_month:
        row += 1
        ws.cell(row, 1, "台账中没有带日期的完成时限。")

    row += 2
    ws.cell(row, 1, "各节点明细（按到期日排序）").font = _font(bold=True)
    detail = row + 1
    _header_row(ws, detail, detail_headers)
    row = detail
    styles = (DATE, LINK, CENTRE, TEXT, TEXT, CENTRE, CENTRE)
    entries = sorted(((d, text, done, item) for item in result.items for d, text, done in item.milestones),
                     key=lambda e: (e[0], e[3].row))
    for d, text, done, item in entries:
        row += 1
        late = next((m for m in item.overdue if m.date == d and m.text == text), None)
        status = "节点已完成" if done else STATUS_ZH[item.status]
        _table_row(ws, row, [d, f"第 {item.row} 行", item.key, "、".join(item.units), text, status,
                             late.days if late else None], styles, widths)
        if not done:
            ws.cell(row, 6).style = STATUS_STYLE[item.status]
        _link(ws.cell(row, 2), link, result.sheet, item.row)
        if late:
            ws.cell(row, 7).style = LATE
    _print_setup(ws, detail, len(detail_headers))


# ---------------------------------------------------------------------- 逐项状态


def _items_sheet(ws, result: Rollup, link: str) -> None:
    headers = ("台账行", "序号", "责任单位", "事项（成果形式）", "完成时限", "推进情况", "状态", "判定依据", "规则",
               "逾期天数")
    widths = (8, 6, 16, 30, 20, 44, 8, 20, 17, 8)
    styles = (LINK, CENTRE, TEXT, TEXT, TEXT, TEXT, CENTRE, TEXT, TEXT, LATE)
    _widths(ws, widths)
    source = f"状态规则：{result.rules_path.name}。" if result.rules_path else ""
    _heading(ws, f"{result.title} 逐项状态", _subtitle(
        result, f"共 {len(result.items)} 项。{source}“判定依据”说明每项状态由哪条规则、根据哪些词语得出。"),
        len(headers))
    header = 4
    _header_row(ws, header, headers)
    row = header
    for item in result.items:
        row += 1
        why = ("状态列" if item.source == "status" else "") + item.rule_label
        if item.evidence:
            why += f"：“{item.evidence}”"
        _table_row(ws, row, [f"第 {item.row} 行", item.key, "、".join(item.units), _item_text(item),
                             item.deadline_text, item.progress, STATUS_ZH[item.status], why, item.rule,
                             item.days_overdue or None], styles, widths)
        ws.cell(row, 7).style = STATUS_STYLE[item.status]
        _link(ws.cell(row, 1), link, result.sheet, item.row)
    ws.auto_filter.ref = f"A{header}:{col_letter(len(headers))}{max(row, header)}"
    _print_setup(ws, header, len(headers))
