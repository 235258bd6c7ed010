"""Build a ledger workbook from a notice: the type's template, filled with the notice's tasks.

`ledgerops.notice` reads the notice; this module decides the ledger type, maps tasks (or table
rows) onto the type's columns by role, writes the workbook with `ledgerops.template`, and
validates what it wrote, so the user sees at once what the notice itself leaves open (a task
without units, a unit the registry does not know, no deadline stated) apart from what the
departments fill in later (联系人, 联系电话, 推进情况).

Column mapping, by role of the type's columns:

    key        1, 2, 3 … in notice order (sub-item rows share their task's number)
    category   the section heading(s) above the task (一、稳步推进分级诊疗制度建设)
    task       the task's title (first sentence); the whole text when the type has no output column
    output     the rest of the task's text, or one sub-item per row
    units      every unit of the clause, lead first
    lead_unit  the leads (牵头 / 负责 / 分别负责 / 责任单位); all units when the type has no co_units
    co_units   the co-operating units (配合 / 协助 / 参与)
    deadline   the dates the text states (年底前, 9月底前), proposed for the office to confirm

Unit names are written as the notice spells them; unknown ones are kept and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from taizhang.validator.filecheck import ReadError

from .notice import parse_notice
from .notice_model import Notice, Task

if TYPE_CHECKING:
    from taizhang.validator.findings import Finding, Problem
    from taizhang.validator.ledger_types import LedgerType
    from taizhang.validator.validate import FileResult

UNIT_SEP = "、"
DEADLINE_SEP = "；"
FILL_IN_CODES = frozenset({"missing-contact", "missing-phone", "missing-value"})


@dataclass(slots=True)
class ImportResult:
    source: Path
    output: Path
    ledger_type: "LedgerType"
    type_reason: tuple[str, str]  # why this type (zh, en)
    kind: str  # "prose" or "table"
    title: str | None
    year: int | None
    sections: int
    tasks: int
    sub_items: int
    rows: list[dict[str, object]]
    unit_problems: dict[str, list["Problem"]]
    proposed_deadlines: int  # rows given a deadline taken from the text
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) things the user should know
    validation: "FileResult | None" = None

    @property
    def units_found(self) -> int:
        return len(self.unit_problems)

    @property
    def unknown_units(self) -> list[str]:
        return [n for n, ps in self.unit_problems.items() if any(p.code == "unknown-unit" for p in ps)]

    def split_findings(self) -> tuple[list["Finding"], list["Finding"]]:
        """(findings about what the notice says, blanks in columns the departments fill later)."""
        if self.validation is None:
            return [], []
        editable = {c.name for c in self.ledger_type.columns if c.editable}  # the template writes these headers
        source, fill_in = [], []
        for f in self.validation.findings:
            (fill_in if f.code in FILL_IN_CODES and f.column in editable else source).append(f)
        return source, fill_in


def import_notice(source: str | Path, output: str | Path, *, ledger_type: str | None = None,
                  year: int | None = None, units: str | None = None, title: str | None = None,
                  validate: bool = True) -> ImportResult:
    """Read `source`, write the ledger to `output` (atomically), validate it, and say what was found.

    Raises ReadError (the notice cannot be read or holds no tasks), RegistryError (bad --units),
    TemplateError / LedgerTypeError, OutputLocked (the output is open in Excel).
    """
    from taizhang.validator.ledger_types import LedgerTypeError, get_type
    from taizhang.validator.units import Registry

    from .template import build_template

    source, output = Path(source), Path(output)
    if output.exists() and source.exists() and output.resolve() == source.resolve():
        raise ReadError("unreadable-file", "输出文件不能是通知本身", "the output must not be the notice itself")
    wanted = None
    if ledger_type:
        try:
            wanted = get_type(ledger_type)
        except LedgerTypeError as exc:
            raise ReadError("unknown-type", str(exc), str(exc)) from None
    registry = Registry.from_option(units)
    notice = parse_notice(source, registry, year=year, ledger_type=wanted)

    tables = [t for t in notice.tables if t.rows]
    if tables:
        ltype = wanted or tables[0].ledger_type
        reason = ("按 --type 指定", "given with --type") if wanted else (
            "按表格表头识别", "detected from the table header")
        rows, sections, sub_items, proposed = _table_rows(notice, ltype)
        kind, tasks = "table", sum(1 for t in tables for r in t.rows if not r.key_merged)
        notes = _table_notes(notice, ltype)
    elif notice.tasks:
        ltype, reason = _prose_type(notice, wanted)
        rows, proposed = _prose_rows(notice, ltype)
        kind, tasks, sections, sub_items = "prose", len(notice.tasks), len(notice.sections), notice.sub_item_count
        notes = _prose_notes(notice, ltype)
    else:
        raise _nothing_found(notice)
    ledger_title = title or _ledger_title(notice.title, ltype)
    build_template(ltype, output, units=units, title=ledger_title, year=notice.year, rows=rows)
    result = ImportResult(
        source=source, output=output, ledger_type=ltype, type_reason=reason, kind=kind, title=ledger_title,
        year=notice.year, sections=sections, tasks=tasks, sub_items=sub_items, rows=rows,
        unit_problems=notice.unit_problems, proposed_deadlines=proposed, notes=notes,
    )
    if validate:
        from taizhang.validator.validate import Options, validate_file

        options = Options(ledger_type=ledger_type or ltype.name, year=notice.year, units=units)
        result.validation = validate_file(output, options)
    return result


def _nothing_found(notice: Notice) -> ReadError:
    """Why a notice gave no tasks, as precisely as its text allows."""
    if notice.unread_tables:
        line, header = notice.unread_tables[0]
        return ReadError("unreadable-file",
                         f"第 {line} 行起的表格表头（{header[:60]}）不是台账表头（应有 序号 及 工作任务/改革事项、"
                         "牵头部门/责任单位 等列）：请改正表头，或用 --type 指定台账类型",
                         f"the table from line {line} (header: {header[:60]}) has no ledger header (序号 with "
                         "工作任务/改革事项, 牵头部门/责任单位 …): fix the header or choose the type with --type")
    if notice.cell_per_line:
        return ReadError("unreadable-file",
                         "文中的表格每个单元格各占一行（网页或 PDF 复制的结果），无法还原各列：请导入原 .docx，"
                         "或从 Word/WPS 中复制表格（复制出的文本以制表符分隔各列）另存为 .txt",
                         "the table in the text has one cell per line (copied from a web page or PDF), so its "
                         "columns cannot be rebuilt: import the original .docx, or copy the table from Word/WPS "
                         "(which separates columns with tabs) into the .txt")
    return ReadError("unreadable-file", "找不到编号的任务（一、（一）1. 等）或台账表格（表头如 序号、工作任务、牵头部门）",
                     "no numbered tasks (一、（一）1. …) and no ledger table (序号, 工作任务, 牵头部门 …) found")


# --------------------------------------------------------------------------- type and title


def _prose_type(notice: Notice, wanted: "LedgerType | None") -> tuple["LedgerType", tuple[str, str]]:
    """The given type; else key-tasks when the notice separates leads from co-operating units."""
    from taizhang.validator.ledger_types import builtin_types

    if wanted is not None:
        return wanted, ("按 --type 指定", "given with --type")
    types = builtin_types()
    roles = sum(1 for t in notice.tasks if t.units.co or t.units.separately or t.units.roles)
    if roles and "key-tasks" in types:
        return types["key-tasks"], (f"{roles} 项任务分牵头、配合单位", f"{roles} tasks name lead and co-operating units")
    return types["reform-ledger"], ("通知只写责任单位", "the notice names responsible units only")


def _ledger_title(notice_title: str | None, ltype: "LedgerType") -> str | None:
    """关于推进落实…工作任务的通知 -> 推进落实…工作任务台账; a 方案/台账 title is kept."""
    import re

    if not notice_title:
        return None
    text = notice_title.strip()
    if re.search(r"(台账|台帐|方案|分工|清单|[表单])$", text):
        return text
    core = re.sub(r"^.{0,30}?关于(?:印发|转发|下达)?", "", text)  # the issuing office may precede 关于
    core = re.sub(r"的?(?:通知|意见|函|决定|要点)$", "", core)
    core = core.strip("《》")
    if re.search(r"(台账|台帐|方案|分工|清单|[表单])$", core):  # 关于印发…工作台账的通知 names the ledger already
        return core
    return (core + "台账") if core else text


# --------------------------------------------------------------------------- prose


def _prose_rows(notice: Notice, ltype: "LedgerType") -> tuple[list[dict[str, object]], int]:
    cols = {c.role: c for c in ltype.columns}
    has_output = "output" in cols
    rows: list[dict[str, object]] = []
    proposed = 0
    for n, task in enumerate(notice.tasks, 1):
        items = task.sub_items if (task.sub_items and has_output) else [None]
        task_text = _task_text(task, has_output)
        for sub in items:
            row: dict[str, object] = {}
            _put(row, cols.get("key"), n)
            _put(row, cols.get("category"), task.section)
            _put(row, cols.get("task"), task_text)
            if has_output:
                _put(row, cols["output"], sub.text if sub is not None else (task.content or None))
            units = sub.units if sub is not None and sub.units else task.units
            _put_units(row, cols, task.units, units)
            deadlines = (sub.deadlines if sub is not None and sub.deadlines else task.deadlines)
            if "deadline" in cols and deadlines:
                row[cols["deadline"].name] = DEADLINE_SEP.join(deadlines)
                proposed += 1
            rows.append(row)
    return rows, proposed


def _task_text(task: Task, has_output: bool) -> str:
    if not has_output:
        return task.body or task.text
    if task.sub_items and task.content:  # the lead-in before 1. 2. … describes the task
        return task.text
    return task.title


def _put(row: dict[str, object], col, value: object) -> None:
    if col is not None and value not in (None, ""):
        row[col.name] = value


def _put_units(row: dict[str, object], cols: dict, task_units, row_units) -> None:
    """Lead and co units into their columns; all into one when the type has only one."""
    def pick(col, units):  # task-level columns take the task's units, item-level the row's
        return task_units if col.level == "task" else units

    lead, co, plain = cols.get("lead_unit"), cols.get("co_units"), cols.get("units")
    if lead is not None and co is not None:
        _put(row, lead, UNIT_SEP.join(pick(lead, row_units).lead) or None)
        _put(row, co, UNIT_SEP.join(pick(co, row_units).co) or None)
    elif lead is not None or plain is not None:
        col = lead or plain
        _put(row, col, UNIT_SEP.join(pick(col, row_units).all) or None)


def _prose_notes(notice: Notice, ltype: "LedgerType") -> list[tuple[str, str]]:
    notes = []
    roles = {c.role for c in ltype.columns}
    no_units = [t for t in notice.tasks if not t.units]
    if no_units:
        nums = "、".join(t.number for t in no_units[:10]) + ("……" if len(no_units) > 10 else "")
        notes.append((f"{len(no_units)} 项任务没有写责任单位（第 {nums} 项）",
                      f"{len(no_units)} tasks name no responsible unit (items {nums})"))
    co = sum(1 for t in notice.tasks if t.units.co)
    if co and "co_units" not in roles:
        notes.append((f"{co} 项任务的配合单位写在了{_unit_col(ltype)}（此类型没有配合单位列）",
                      f"the co-operating units of {co} tasks went into {_unit_col(ltype)} "
                      "(the type has no co-unit column)"))
    if notice.sub_item_count and "output" not in roles:
        notes.append((f"{notice.sub_item_count} 个子项保留在任务文字中（此类型没有成果/具体工作列）",
                      f"{notice.sub_item_count} sub-items kept inside the task text (the type has no output column)"))
    if notice.sections and "category" not in roles:
        notes.append((f"此类型没有任务分类列，{len(notice.sections)} 个分类标题未写入台账",
                      f"the type has no category column: {len(notice.sections)} section headings not written"))
    return notes


def _unit_col(ltype: "LedgerType") -> str:
    col = ltype.by_role("lead_unit") or ltype.by_role("units")
    return f"「{col.name}」" if col else "单位列"


# --------------------------------------------------------------------------- tables


def _table_rows(notice: Notice, ltype: "LedgerType") -> tuple[list[dict[str, object]], int, int, int]:
    """Rows of every ledger table, in order; 序号 continues across tables (a table split by pages)."""
    from taizhang.validator.normalize import normalize_header

    key = ltype.by_role("key")
    names = {}
    for col in ltype.columns:
        for alias in col.match_names:
            names.setdefault(alias, col.name)
    rows: list[dict[str, object]] = []
    sub_items = 0
    categories: set[str] = set()
    category = ltype.by_role("category")
    last_key: object = None
    for table in notice.tables:
        for trow in table.rows:
            row: dict[str, object] = {}
            for name, value in trow.values.items():
                target = names.get(normalize_header(name))
                if target is not None and value is not None:
                    row[target] = value
            if key is not None:
                if trow.key_merged:
                    row[key.name] = last_key
                    sub_items += 1
                else:
                    value = row.get(key.name)
                    if isinstance(value, str) and value.strip().isdigit():
                        row[key.name] = int(value.strip())
                    last_key = row.get(key.name)
            if category is not None and row.get(category.name):
                categories.add(str(row[category.name]))
            rows.append(row)
    return rows, len(categories), sub_items, 0


def _table_notes(notice: Notice, ltype: "LedgerType") -> list[tuple[str, str]]:
    notes = []
    for table in notice.tables:
        if table.unmapped:
            cols = "、".join(table.unmapped)
            notes.append((f"表格中的列「{cols}」不属于台账类型 {ltype.name}，未导入",
                          f"table columns {cols} are not columns of type {ltype.name}; not imported"))
    skipped = len(notice.tasks)
    if skipped:
        notes.append((f"正文中另有 {skipped} 项编号任务，已按表格导入，正文未导入",
                      f"{skipped} numbered tasks in the text were not imported (the tables were)"))
    return notes


# --------------------------------------------------------------------------- report

GROUP_AFTER = 5  # more findings of one kind in one column than this are shown as one line


def report_text(result: ImportResult, lang: str = "zh") -> str:
    """What `taizhang import` prints: what was found, what was written, and the findings."""
    zh = lang == "zh"
    r = result
    lines = []
    reason = r.type_reason[0 if zh else 1]
    if zh:
        lines.append(f"{r.source} → {r.output}")
        lines.append(f"  台账类型 {r.ledger_type.name}（{r.ledger_type.title}；{reason}），"
                     f"年份 {r.year or '未知'}，标题「{r.title or ''}」")
        what = "表格" if r.kind == "table" else "正文"
        lines.append(f"  从{what}读出：{r.sections} 个分类，{r.tasks} 项任务，{r.sub_items} 个子项，写入 {len(r.rows)} 行")
        unknown = r.unknown_units
        lines.append(f"  单位 {r.units_found} 个：{r.units_found - len(unknown)} 个在名录中，{len(unknown)} 个未知"
                     + (f"（{'、'.join(unknown)}，已按原文保留）" if unknown else ""))
        renamed = [n for n, ps in r.unit_problems.items() if any(p.code == "renamed-unit" for p in ps)]
        if renamed:
            lines.append(f"  已更名的单位 {len(renamed)} 个：{'、'.join(renamed)}")
        if r.ledger_type.by_role("deadline") is not None and r.kind == "prose":
            lines.append(f"  完成时限：{r.proposed_deadlines} 行取自通知正文中的时间（请核对），其余待填")
        for note_zh, _ in r.notes:
            lines.append(f"  注意：{note_zh}")
    else:
        lines.append(f"{r.source} -> {r.output}")
        lines.append(f"  type {r.ledger_type.name} ({reason}), year {r.year or 'unknown'}, title '{r.title or ''}'")
        what = "tables" if r.kind == "table" else "text"
        lines.append(f"  read from the {what}: {r.sections} sections, {r.tasks} tasks, {r.sub_items} sub-items, "
                     f"{len(r.rows)} rows written")
        unknown = r.unknown_units
        lines.append(f"  units: {r.units_found} found, {r.units_found - len(unknown)} known, {len(unknown)} unknown"
                     + (f" ({', '.join(unknown)}; kept as written)" if unknown else ""))
        renamed = [n for n, ps in r.unit_problems.items() if any(p.code == "renamed-unit" for p in ps)]
        if renamed:
            lines.append(f"  renamed units: {', '.join(renamed)}")
        if r.ledger_type.by_role("deadline") is not None and r.kind == "prose":
            lines.append(f"  deadlines: {r.proposed_deadlines} rows proposed from dates in the text (check them)")
        for _, note_en in r.notes:
            lines.append(f"  note: {note_en}")
    lines += _findings_lines(r, lang)
    return "\n".join(lines) + "\n"


def _findings_lines(r: ImportResult, lang: str) -> list[str]:
    zh = lang == "zh"
    v = r.validation
    if v is None:
        return []
    if v.error is not None:
        return [("  校验：" if zh else "  validation: ") + v.error.message(lang)]
    source, fill_in = r.split_findings()
    errors = sum(1 for f in source if f.severity == "error")
    warnings = len(source) - errors
    out = [f"校验：{errors} 个错误，{warnings} 个警告（不含各单位待填的列）" if zh
           else f"validation: {errors} error(s), {warnings} warning(s) (not counting columns departments fill)"]
    groups: dict[tuple[str, str | None], list] = {}
    for f in source:
        groups.setdefault((f.code, f.column), []).append(f)
    for (code, column), items in groups.items():
        if len(items) <= GROUP_AFTER:
            for f in items:
                sev = ("错误" if f.severity == "error" else "警告") if zh else f.severity
                out.append(f"  {f.cell or '-':>6}  {sev}  {code:<20} {f.message(lang)}")
            continue
        from taizhang.validator.findings import RULES

        sev = ("错误" if items[0].severity == "error" else "警告") if zh else items[0].severity
        what = RULES[code].title(lang) if code in RULES else code
        unique = list(dict.fromkeys(f.cell or "-" for f in items))  # one cell may hold several unknown units
        more = ("……" if zh else ", ...") if len(unique) > 8 else ""
        cells = ("、" if zh else ", ").join(unique[:8]) + more
        if zh:
            out.append(f"  {len(items):>4} 处 {sev}  {code:<20} {what}「{column}」：{cells}")
        else:
            out.append(f"  {len(items):>4} x {sev}  {code:<20} {what} '{column}': {cells}")
    if fill_in:
        cols = "、".join(dict.fromkeys(f.column or "" for f in fill_in))
        rows = len({f.row for f in fill_in})
        out.append(f"  {cols} 由各单位填报：{rows} 行待填（{len(fill_in)} 处）" if zh
                   else f"  {cols}: left for departments to fill in {rows} rows ({len(fill_in)} cells)")
    return out


__all__ = ["ImportResult", "import_notice", "report_text"]
