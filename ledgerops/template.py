"""Generate the .xlsx template of a ledger type: the form offices fill in.

Most bad rows are born in the template: unit names typed freely, deadlines in any form, contacts
left empty. A template generated from the type definition guides whoever fills it in: unit
columns offer the registry as a dropdown (fed from a hidden sheet, because Excel caps inline lists
at 255 characters), every column says what to type when its cell is selected, phone and deadline
columns are text so Excel neither drops leading zeros nor turns 6.30 into a number, the columns
the reform office owns are locked while departments' columns stay editable, and the hidden
`_taizhang` sheet tells validate, merge and roll-up what the workbook is.

`build_template(..., rows=...)` also fills the form (the notice importer uses it): rows sharing a
序号 form one task, and its task-level cells are merged over the task's rows as offices do.

Output is deterministic (fixed document and zip timestamps), so a committed template changes in
git only when its content does.
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from taizhang.validator.findings import col_letter
from taizhang.validator.ledger_types import UNIT_ROLES, ColumnDef, LedgerType, get_type
from taizhang.validator.normalize import normalize_header

TITLE_ROW = 1
HEADER_ROW = 2
FIRST_DATA_ROW = 3
BLANK_ROWS = 1000  # empty rows below the data that still carry dropdowns and input messages
UNITS_SHEET = "_单位名录"
UNITS_NAME = "单位名录"  # workbook-level name the dropdowns refer to (works in Excel 2007 too)
FIXED_TIME = _dt.datetime(2020, 1, 1)
TEXT_ROLES = frozenset({"phone", "deadline"})  # typed as text: 0411…, 6.30
MAX_PROMPT = 255  # Excel's limit for an input message
LINE_HEIGHT = 15.0  # points per line of 11 pt 宋体
ROW_PADDING = 4.0
FONT = "宋体"
HEADER_FONT = "黑体"
LOCKED_FILL = "D9E1F2"  # header of columns the reform office fills
EDITABLE_FILL = "FFF2CC"  # header of columns departments fill

_WIDTH = {"key": 6, "category": 22, "task": 34, "units": 16, "lead_unit": 16, "co_units": 22,
          "output": 30, "deadline": 22, "progress": 32, "status": 12, "contact": 10, "phone": 15,
          "note": 16, "responsible": 10, "content": 30, "amount": 12}
_HINT = {
    "key": "每项任务填一个序号（1、2、3……）；同一任务的子项不再编号，序号格向下合并或留空。",
    "category": "任务的来源或分类，如文件名称和条目。",
    "task": "任务内容；同一任务的几个子项共用一格（向下合并）。",
    "units": "从下拉列表选择；多个单位用顿号（、）分隔，如：市卫生健康委、市医保局。",
    "lead_unit": "从下拉列表选择牵头部门；多个用顿号（、）分隔。",
    "co_units": "从下拉列表选择配合部门；多个用顿号（、）分隔。",
    "output": "本子项的成果形式，如：出台《……实施方案》。",
    "deadline": "写日期或状态，如“6月底前”、“5月31日”、“2019年底”、“持续推进”；"
                "几个节点分句写：“7月底出方案。9月底完成考核。”",
    "progress": "本子项当前的进展。",
    "status": "如：已完成、推进中、未启动。",
    "contact": "联系人姓名；多人用空格或顿号分隔，联系电话按同样顺序各填一个。",
    "phone": "座机号（如 {area}-12345678，本地 8 位号码可省区号）或手机号；多个号码用空格分隔，顺序与联系人一致。",
    "note": "",
    "responsible": "责任人姓名；多人用顿号分隔。姓名后可在括号中注明职务，如：王强（副局长）。",
    "amount": "填写数字，单位见表头（如万元），如 1200 或 35.5；不要写“约”“待定”，没有则留空。",
}


class TemplateError(ValueError):
    """The template cannot be built as asked; the message (Chinese) says why."""


@dataclass(frozen=True, slots=True)
class _Unit:
    name: str
    registry: str


def build_template(
    ltype: LedgerType | str,
    path: str | Path,
    *,
    units: str | None = None,
    title: str | None = None,
    year: int | None = None,
    password: str | None = None,
    rows: Sequence[Mapping[str, object]] | None = None,
) -> Path:
    """Write the template of `ltype` to `path` (atomically) and return the path.

    units: a built-in registry name or a registry file for the dropdowns (default: the type's
    registry, else every built-in one). title: the title row (default: "<year> 年<type title>").
    password: protect the sheet with it (default: protected without a password, so the office can
    unprotect it to edit its own columns). rows: data rows as {column name or alias: value}.

    Raises TemplateError, validator.ledger_types.LedgerTypeError, validator.units.RegistryError,
    ledgerops.safe_write.OutputLocked.
    """
    from .safe_write import write_atomic

    if isinstance(ltype, str):
        ltype = get_type(ltype)
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise TemplateError(f"{path}：模板须保存为 .xlsx 文件")
    option = units if units is not None else ltype.registry
    unit_list = registry_units(option)
    groups = _group_rows(ltype, rows or [])
    if title is None:
        title = f"{year} 年{ltype.title}" if year else ltype.title
    wb = _workbook(ltype, title=title, year=year, password=password, units=unit_list,
                   registry_key=_registry_key(option), groups=groups)
    write_atomic(path, lambda tmp: _save(wb, tmp))
    return path


def registry_units(option: str | None) -> list[_Unit]:
    """The current (not renamed) units of a registry option, in registry order, each name once."""
    from taizhang.validator.units import Registry

    registry = Registry.from_option(option)
    seen: set[str] = set()
    out = []
    for u in registry.units:
        if u.renamed_to or u.name in seen:
            continue
        seen.add(u.name)
        out.append(_Unit(u.name, u.registry or registry.name))
    return out


def _registry_key(option: str | None) -> str | None:
    """What the metadata sheet may record: built-in registry names only.

    A file path would not resolve on another machine; whoever validates a template made from a
    registry file passes the same file with --units.
    """
    if not option:
        return None
    parts = [p.strip() for p in str(option).replace("，", ",").split(",") if p.strip()]
    if any(Path(p).suffix.lower() in (".csv", ".xlsx", ".xls", ".yaml", ".yml") or "/" in p for p in parts):
        return None
    return option


# ---------------------------------------------------------------------------------------- rows


def _group_rows(ltype: LedgerType, rows: Sequence[Mapping[str, object]]) -> list[list[dict[str, object]]]:
    """Rows -> tasks: a row whose 序号 is blank or equal to the previous one continues that task."""
    by_name: dict[str, ColumnDef] = {}
    for col in ltype.columns:
        for name in col.match_names:
            by_name.setdefault(name, col)
    key = ltype.by_role("key")
    groups: list[list[dict[str, object]]] = []
    last_key: object = None
    for n, row in enumerate(rows, 1):
        if not isinstance(row, Mapping):
            raise TemplateError(f"第 {n} 行数据须是 {{列名: 值}} 的字典")
        clean: dict[str, object] = {}
        for name, value in row.items():
            col = by_name.get(normalize_header(name))
            if col is None:
                raise TemplateError(f"第 {n} 行数据的列「{name}」不是台账类型 {ltype.name} 的列"
                                    f"（{'、'.join(c.name for c in ltype.columns)}）")
            value = _blank_to_none(value)
            if value is not None:
                clean[col.name] = value
        k = clean.get(key.name) if key else None
        if groups and key is not None and (k is None or _same(k, last_key)):
            groups[-1].append(clean)
        else:
            groups.append([clean])
            last_key = k
    return groups


def _blank_to_none(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN from pandas
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _same(a: object, b: object) -> bool:
    from taizhang.validator.normalize import normalize_text

    return a is not None and b is not None and normalize_text(a) == normalize_text(b)


# ------------------------------------------------------------------------------------ workbook


def _hint(col: ColumnDef, area_code: str | None) -> str:
    text = _HINT.get(col.role, "").replace("{area}", area_code or "0411")
    who = "本列由责任单位填写。" if col.editable else "本列由改革办填写，工作表保护后不能修改。"
    prompt = ("必填。" if col.required else "") + text + who
    return prompt[:MAX_PROMPT]


def _width(col: ColumnDef) -> float:
    base = _WIDTH.get(col.role, 14)
    header = sum(2 if ord(ch) > 0x2E80 else 1 for ch in col.name)
    return float(max(base, min(header + 2, 24)))


def _lines(text: object, width: float) -> int:
    """Lines `text` takes when wrapped in a column `width` characters wide (CJK glyphs count 2).

    Neither Excel nor LibreOffice fits row heights to wrapped text when opening a file, so the
    template sets them; a slight overestimate keeps every line visible on screen and on paper.
    """
    if text is None:
        return 1
    if isinstance(text, _dt.date):
        text = "2019年12月31日"
    per_line = max(width - 1.5, 1.0)
    total = 0
    for part in str(text).split("\n"):
        units = sum(2.15 if ord(ch) > 0x2E80 else 1.1 for ch in part)
        total += max(1, -(-int(units * 100) // int(per_line * 100)))
    return total


def _fit_rows(ws, ltype: LedgerType, first: int, last: int, spans: list[tuple[int, int, int]]) -> None:
    """Set data row heights so wrapped text shows; merged task cells share their rows' height."""
    widths = [ws.column_dimensions[col_letter(i)].width for i in range(1, len(ltype.columns) + 1)]
    merged = {(r0 + k, c) for r0, n, c in spans for k in range(n)}
    heights = {}
    for r in range(first, last + 1):
        lines = max((_lines(ws.cell(r, c).value, widths[c - 1]) for c in range(1, len(widths) + 1)
                     if (r, c) not in merged), default=1)
        heights[r] = lines * LINE_HEIGHT + ROW_PADDING
    for r0, n, c in spans:
        need = _lines(ws.cell(r0, c).value, widths[c - 1]) * LINE_HEIGHT + ROW_PADDING
        have = sum(heights[r0 + k] for k in range(n))
        if need > have:
            extra = (need - have) / n
            for k in range(n):
                heights[r0 + k] += extra
    for r, h in heights.items():
        ws.row_dimensions[r].height = round(min(h, 409.0), 1)


def _cell_value(col: ColumnDef, value: object) -> object:
    """What goes into the cell: text columns get text; formulas and control characters never."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, bool):
        value = "是" if value else "否"
    if col.role in TEXT_ROLES and isinstance(value, (int, float)):
        value = str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (int, float, _dt.date)):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def _workbook(ltype: LedgerType, *, title: str, year: int | None, password: str | None,
              units: list[_Unit], registry_key: str | None, groups: list[list[dict[str, object]]]):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.properties import PageSetupProperties

    from taizhang.validator.metadata import write_metadata

    wb = Workbook()
    wb.properties.creator = "taizhang"
    wb.properties.title = title
    wb.properties.created = wb.properties.modified = FIXED_TIME
    ws = wb.active
    ws.title = ltype.sheet
    ncols = len(ltype.columns)
    last_letter = get_column_letter(ncols)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font = Font(name=FONT, size=11)
    wrap = Alignment(wrap_text=True, vertical="center")
    wrap_centre = Alignment(wrap_text=True, vertical="center", horizontal="center")

    # title row, merged across the table
    ws.cell(TITLE_ROW, 1, title)
    ws.cell(TITLE_ROW, 1).font = Font(name=HEADER_FONT, size=16, bold=True)
    ws.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    if ncols > 1:
        ws.merge_cells(f"A{TITLE_ROW}:{last_letter}{TITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 36

    # header and column styles (the column style is what Excel gives cells typed in later)
    for i, col in enumerate(ltype.columns, 1):
        letter = get_column_letter(i)
        cell = ws.cell(HEADER_ROW, i, col.name)
        cell.font = Font(name=HEADER_FONT, size=11, bold=True)
        cell.alignment = wrap_centre
        cell.border = border
        cell.fill = PatternFill("solid", fgColor=EDITABLE_FILL if col.editable else LOCKED_FILL)
        dim = ws.column_dimensions[letter]
        dim.width = _width(col)
        dim.font = body_font
        dim.alignment = wrap_centre if col.role == "key" else wrap
        dim.protection = Protection(locked=not col.editable)
        if col.role in TEXT_ROLES:
            dim.number_format = "@"
    ws.row_dimensions[HEADER_ROW].height = 32

    # data rows: task-level cells merged over the task when its rows agree on the value
    r = FIRST_DATA_ROW
    spans: list[tuple[int, int, int]] = []  # merged (first row, rows, column)
    for group in groups:
        n = len(group)
        for i, col in enumerate(ltype.columns, 1):
            values = [row.get(col.name) for row in group]
            present = [v for v in values if v is not None]
            merge = col.level == "task" and n > 1 and all(_same(v, present[0]) for v in present[1:])
            if merge:
                values = [present[0] if present else None] + [None] * (n - 1)
            for j, value in enumerate(values):
                cell = ws.cell(r + j, i)
                cell.value = _cell_value(col, value)
                if isinstance(cell.value, str) and cell.data_type == "f":
                    cell.data_type = "s"  # text that starts with '=' stays text
                cell.font = body_font
                cell.border = border
                cell.alignment = wrap_centre if col.role == "key" else wrap
                cell.protection = Protection(locked=not col.editable)
                if col.role in TEXT_ROLES:
                    cell.number_format = "@"
                elif isinstance(cell.value, _dt.date):
                    cell.number_format = 'yyyy"年"m"月"d"日"'
            if merge:
                letter = get_column_letter(i)
                ws.merge_cells(f"{letter}{r}:{letter}{r + n - 1}")
                spans.append((r, n, i))
        r += n
    _fit_rows(ws, ltype, FIRST_DATA_ROW, r - 1, spans)
    last_row = r - 1 + BLANK_ROWS

    # hidden registry sheet + one name the unit dropdowns refer to
    if units:
        us = wb.create_sheet(UNITS_SHEET)
        us.append(["单位名称", "所属名录"])
        for u in units:
            us.append([u.name, u.registry])
        us.column_dimensions["A"].width = 30
        us.column_dimensions["B"].width = 16
        us.sheet_state = "hidden"
        wb.defined_names[UNITS_NAME] = DefinedName(
            UNITS_NAME, attr_text=f"'{UNITS_SHEET}'!$A$2:$A${len(units) + 1}")

    # one validation per column: the input message, and for unit columns the dropdown
    for i, col in enumerate(ltype.columns, 1):
        letter = get_column_letter(i)
        kwargs: dict[str, Any] = dict(showInputMessage=True, promptTitle=col.name[:32],
                                      prompt=_hint(col, ltype.area_code), allow_blank=True)
        if col.role in UNIT_ROLES and units:
            kwargs.update(type="list", formula1=UNITS_NAME, showErrorMessage=True, errorStyle="information",
                          errorTitle="不在单位名录中",
                          error="这个名称不在下拉列表中。多个单位请用顿号（、）分隔；"
                                "保存后用“校验”核对，未知名称会给出最接近的名录名称。")
        dv = DataValidation(**kwargs)
        dv.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
        ws.add_data_validation(dv)

    # protection: the office's columns locked, departments' columns open
    ws.protection.sheet = True
    ws.protection.formatRows = False  # allowed: row heights grow with wrapped text
    ws.protection.formatColumns = False
    ws.protection.insertRows = False
    if password:
        ws.protection.password = password

    # view and print setup
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.8
    ws.page_margins.header, ws.page_margins.footer = 0.3, 0.3
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"

    write_metadata(wb, {"type": ltype.name, "version": ltype.version, "year": year,
                        "registry": registry_key, "title": title})
    wb.active = 0
    return wb


def _save(wb, target: Path) -> None:
    """Save with fixed timestamps inside and on every zip entry: same content, same bytes."""
    from openpyxl.writer.excel import ExcelWriter

    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            out.writestr(entry, src.read(info.filename))


# ------------------------------------------------------------------------------------ content


def template_content(path: str | Path) -> dict[str, Any]:
    """What a template says, independent of how it was zipped: values, merges, validations,
    protection, formats, print setup, names. Two templates with equal content are the same form.
    """
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out: dict[str, Any] = {"names": sorted((n, d.attr_text) for n, d in wb.defined_names.items()),
                           "sheets": {}}
    for ws in wb.worksheets:
        p = ws.protection
        cols = {k: (d.width, d.number_format, d.protection.locked) for k, d in sorted(ws.column_dimensions.items())}
        cells = {c.coordinate: (c.value, c.number_format, c.protection.locked)
                 for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}
        out["sheets"][ws.title] = {
            "state": ws.sheet_state,
            "cells": cells,
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "columns": cols,
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1, dv.promptTitle, dv.prompt, dv.errorStyle,
                 bool(dv.showErrorMessage), bool(dv.showInputMessage), bool(dv.allow_blank))
                for dv in ws.data_validations.dataValidation),
            "protection": (bool(p.sheet), p.password, bool(p.formatRows), bool(p.formatColumns), bool(p.insertRows)),
            "print_titles": (ws.print_title_rows, ws.print_title_cols),
            "page": (ws.page_setup.orientation, ws.page_setup.paperSize, ws.page_setup.fitToWidth,
                     ws.page_setup.fitToHeight),
            "freeze": ws.freeze_panes,
        }
    return out


def builtin_template_path(name: str) -> Path:
    """Where the committed template of a built-in type lives: beside its YAML definition."""
    from taizhang.validator.ledger_types import builtin_types

    t = builtin_types()[name]
    assert t.path is not None
    return t.path.with_suffix(".xlsx")


def regenerate(names: Iterable[str] | None = None, folder: Path | None = None) -> list[Path]:
    """Write the template of each built-in type (all by default) beside its definition."""
    from taizhang.validator.ledger_types import builtin_types

    types = builtin_types()
    out = []
    for name in names or types:
        target = builtin_template_path(name) if folder is None else Path(folder) / f"{name}.xlsx"
        out.append(build_template(types[name], target))
    return out
