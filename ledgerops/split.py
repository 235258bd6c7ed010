"""Split a master ledger into one workbook per department (or, inside one department, per contact).

Each file is the master with only that department's rows: same title, header, column widths,
fills and merged task groups (a task keeps its 序号 and 改革事项 even when the department holds
only its third sub-item). Locked columns are protected and editable ones unlocked, as a hint in
Excel; merge is what enforces it. The hidden `_taizhang` sheet says which master the file came
from (content hash), which rows it holds (row fingerprints, with hashes of the editable cells as
issued), whose file it is and who else got one, so merge can match rows, tell a department's
edit from a later change to the master, and tell who has not sent theirs back.

A department's file holds its rows and nothing else of the master: every other sheet (hidden ones,
pivot tables and their caches included) is left out, with external links, defined names, charts
and pictures below the header; a dropdown whose list lives on another sheet gets its values
inline. The files are written together (all or none), and a file already in the folder, perhaps
one a department has filled in, is never replaced unless asked (`force`), and then kept as a backup.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..validator.gc_pause import collector_paused
from .errors import LedgerOpError
from .xlsx_out import DataArea, ledger_sheet, load_workbook_for, safe_filename

UNASSIGNED = "未指定"
_LEAD = re.compile(r"[、，,；;/\s]+")  # the first unit named in a cell leads the task
ROW_KEYS_PER_CELL = 900  # row keys per metadata cell: about 32 characters each, under Excel's 32,767


class SplitError(LedgerOpError):
    """A usage problem (unknown --by column, files already there); messages in Chinese and English."""


@dataclass(slots=True)
class SplitFile:
    department: str
    path: Path
    rows: list[int]  # the master's Excel rows this file holds

    def to_dict(self) -> dict[str, Any]:
        return {"department": self.department, "path": str(self.path), "rows": self.rows}


@dataclass(slots=True)
class SplitResult:
    master: Path
    out_dir: Path
    by: str  # the column split on (the type's name)
    ledger_type: str
    files: list[SplitFile] = field(default_factory=list)
    unassigned: list[int] = field(default_factory=list)  # master rows with no value in `by`
    unassigned_file: str = UNASSIGNED + ".xlsx"
    backups: list[Path] = field(default_factory=list)  # files that were there before, kept (--force)

    def summary_text(self, lang: str = "zh") -> str:
        zh = lang == "zh"
        lines = [f"已按「{self.by}」分发 {len(self.files)} 个文件到 {self.out_dir}" if zh else
                 f"Split by '{self.by}' into {len(self.files)} files in {self.out_dir}"]
        for f in self.files:
            rows = _ranges(f.rows, "、" if zh else ", ")
            lines.append(f"  {f.path.name}  {len(f.rows)} 行（总表第 {rows} 行）" if zh else
                         f"  {f.path.name}  {len(f.rows)} rows (master rows {rows})")
        if self.unassigned:
            lines.append(f"  {len(self.unassigned)} 行的「{self.by}」为空，已放入 {self.unassigned_file}，请指定后再分发" if zh else
                         f"  {len(self.unassigned)} rows have no '{self.by}': they are in {self.unassigned_file}")
        for b in self.backups:
            lines.append(f"  原有文件已备份为：{b.name}" if zh else f"  the file that was there was kept as {b.name}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"master": str(self.master), "out_dir": str(self.out_dir), "by": self.by,
                "ledger_type": self.ledger_type, "files": [f.to_dict() for f in self.files],
                "unassigned": self.unassigned}


def split_ledger(master: Path, out_dir: Path, by: str | None = None, *, ledger_type: str | None = None,
                 sheet: str | int | None = None, force: bool = False, workers: int | None = None) -> SplitResult:
    """Write one workbook per name in column `by` into `out_dir`; returns what was written.

    Raises ReadError (master unreadable), SplitError (bad `by`; a target exists and not `force`),
    OutputLocked (a target is open in Excel or LibreOffice: checked for every file before any is
    written). With `force` each existing target is first copied to a timestamped backup.
    The files are laid out and saved by `workers` processes (default: one per core, see
    fanout.worker_count); the files are the same whatever the number.
    """
    from taizhang.validator.ledger_types import LedgerTypeError, get_type
    from taizhang.validator.reader import read_ledger

    from .safe_write import check_targets

    master, out_dir = Path(master), Path(out_dir)
    try:
        ltype = get_type(ledger_type) if ledger_type else None
    except LedgerTypeError as exc:
        raise SplitError(str(exc), str(exc)) from None
    ledger = read_ledger(master, ledger_type=ltype, sheet=sheet)
    column = _by_column(ledger, by)
    groups = _group_rows(ledger, column)

    taken: set[str] = set()
    targets = [(name or UNASSIGNED, out_dir / safe_filename(name or UNASSIGNED, ".xlsx", taken), positions)
               for name, positions in groups.items()]
    check_targets([path for _, path, _ in targets])
    there = [path for _, path, _ in targets if path.exists() or path.is_symlink()]
    if there and not force:
        names = "、".join(p.name for p in there[:5]) + (f" 等 {len(there)} 个" if len(there) > 5 else "")
        raise SplitError(f"{out_dir}：已有同名文件 {names}（可能已有处室填写），未写入任何文件；"
                         "请换一个文件夹或先移走这些文件（命令行加 --force 可覆盖，原文件先备份）。",
                         f"{out_dir}: {len(there)} of the files are already there ({there[0].name} ...); nothing written. "
                         "Use another folder, or --force to replace them (the old ones are backed up first).")

    # no collections while openpyxl piles up the master and the files (30 % of a 20k split);
    # only after the read, so the reading worker forked then collects as usual
    with collector_paused():
        return _write_files(master, out_dir, ledger, column, groups, targets, there, workers)


def _write_files(master: Path, out_dir: Path, ledger: Any, column: str, groups: dict[str, list[int]],
                 targets: list[tuple[str, Path, list[int]]], there: list[Path], workers: int | None) -> SplitResult:
    """Load the master's layout once and write every department's file from it (all or none)."""
    from taizhang.validator.validate import ledger_year

    from .fanout import WorkerDied, run_all
    from .matching import content_hash, editable_columns, issued_keys
    from .safe_write import backup, write_together

    wb = load_workbook_for(master, ledger)
    ws = ledger_sheet(wb, ledger)
    _only_the_ledger(wb, ws, ledger.header_row + 1)
    area = DataArea(ws, ledger.header_row + 1)
    prints = issued_keys(ledger)
    t = ledger.ledger_type
    base_meta = dict(ledger.metadata)
    base_meta.update({
        "type": t.name, "version": t.version, "year": ledger_year(ledger, None),
        "registry": ledger.metadata.get("registry") or t.registry, "title": ledger.title,
        "master_hash": content_hash(ledger), "master_file": master.name, "split_by": column,
        "split_departments": json.dumps([n for n in groups if n], ensure_ascii=False),
        "editable_columns": json.dumps(editable_columns(ledger), ensure_ascii=False),
        "split_at": datetime.now().isoformat(timespec="seconds"),
    })
    for key in [k for k in base_meta if k.startswith("row_keys")]:
        del base_meta[key]
    result = SplitResult(master, out_dir, column, t.name)
    result.unassigned = [ledger.rows[p] for p in groups.get("", [])]
    if result.unassigned:
        result.unassigned_file = targets[-1][1].name

    def writer(name: str, positions: list[int]) -> Any:
        def write(tmp: Path) -> None:
            _lay_out(ws, area, ledger, positions)
            meta = dict(base_meta, department=name)
            meta.update(_row_keys([prints[p] for p in positions]))
            _write_meta(wb, meta)
            try:
                wb.save(tmp)
            except Exception as exc:
                raise _io_error(exc) or exc from None
        return write

    result.backups = [backup(p) for p in there]  # only with force: what departments may have filled in

    def replay(positions: list[int]) -> Any:
        return lambda: area.replay_merges(_plan_with_sections(ledger, positions)[0])

    def run(jobs: list[Any]) -> None:
        n = workers if len(jobs) == len(targets) else 1  # else a pipe or a device was written first
        try:
            run_all(jobs, lambda: _style_tables(wb), n, [replay(positions) for _, _, positions in targets])
        except WorkerDied as exc:
            where = targets[exc.job][1] if exc.job is not None else out_dir
            how = f"信号 {-exc.status}" if exc.status < 0 else f"退出码 {exc.status}"
            raise SplitError(f"{where}：写入时工作进程意外结束（{how}，可能是内存不足），未写入任何文件；请重试。",
                             f"{where}: a worker process ended while writing ({exc.how}, perhaps out of memory); "
                             "nothing written. Please try again.") from None

    write_together([(path, writer(name, positions)) for name, path, positions in targets], run)
    result.files = [SplitFile(name, path, [ledger.rows[p] for p in positions]) for name, path, positions in targets]
    return result


def _io_error(exc: Exception) -> OSError | None:
    """lxml's "IO_EFBIG", "IO_ENOSPC" ... (openpyxl writes a sheet through lxml) as the OSError it
    stands for, so the user reads "磁盘空间不足" rather than an internal error."""
    import errno

    text = str(exc)
    if type(exc).__name__ != "SerialisationError" or not text.startswith("IO_"):
        return None
    code = getattr(errno, text[3:], None)
    return OSError(code, os.strerror(code)) if isinstance(code, int) else None


def _style_tables(wb: Any) -> tuple[int, ...]:
    """The sizes of the workbook's style tables: the one thing a file's layout and save leave for
    the next (they only grow, and every later file carries what was added)."""
    from openpyxl.utils.indexed_list import IndexedList

    return tuple(len(v) for v in vars(wb).values() if isinstance(v, IndexedList)) + (len(wb._named_styles),)


def _ranges(rows: list[int], sep: str) -> str:
    """3, 4, 5, 8 -> "3-5、8": a department's rows stay readable for a 2,000-row ledger."""
    parts: list[str] = []
    for r in sorted(set(rows)):
        if parts and parts[-1][1] == r - 1:
            parts[-1][1] = r
        else:
            parts.append([r, r])
    return sep.join(f"{a}-{b}" if b > a else str(a) for a, b in parts)


def _by_column(ledger: Any, by: str | None) -> str:
    """The ledger column to split on: as asked (name, alias or header as written), else the default."""
    from taizhang.validator.normalize import normalize_header

    if by is None:
        # a department per file: the unit column when the ledger names several units; a ledger
        # kept inside one department (all rows 市卫生健康委) goes to its offices by contact person
        units = ledger.column_for_role("lead_unit") or ledger.column_for_role("units")
        if units is not None and len({_LEAD.split(v.strip())[0] for v in ledger.values[units.name] if v}) > 1:
            return units.name
        for role in ("contact", "lead_unit", "units"):
            col = ledger.column_for_role(role)
            if col is not None:
                return col.name
        raise SplitError("这份台账没有联系人或责任单位列，请用 --by 指定按哪一列分发",
                         "the ledger has no contact or unit column; choose one with --by")
    wanted = normalize_header(by)
    for name, col in ledger.columns.items():
        if wanted in col.definition.match_names or wanted == normalize_header(col.header):
            return name
    have = "、".join(c.header for c in ledger.columns.values())
    raise SplitError(f"台账中没有「{by}」列，可用：{have}", f"no column '{by}' in the ledger; columns: {have}")


def _group_rows(ledger: Any, column: str) -> dict[str, list[int]]:
    """Name -> data positions, in order of first appearance; a row naming several goes to each.

    Rows naming no one are under "" (last), so a department really called 未指定 keeps its own file.
    """
    from taizhang.validator.contacts import split_names

    role = ledger.columns[column].definition.role
    if role in ("units", "lead_unit", "co_units"):
        from taizhang.validator.units import Registry

        registry = Registry.from_option(ledger.metadata.get("registry") or ledger.ledger_type.registry)

        def names(text: str) -> list[str]:
            return [registry.canonical(n) for n in registry.split(text)]
    elif role == "contact":
        names = split_names
    else:
        def names(text: str) -> list[str]:
            return [text]
    groups: dict[str, list[int]] = {}
    for pos, text in enumerate(ledger.values[column]):
        found = list(dict.fromkeys(names(text))) if text else []
        for name in found or [""]:
            groups.setdefault(name, []).append(pos)
    if "" in groups:  # last, after the real departments
        groups[""] = groups.pop("")
    return groups


def _lay_out(ws: Any, area: DataArea, ledger: Any, positions: list[int]) -> None:
    """Put the department's rows under the header, task values at each task's first row, locks set."""
    from openpyxl.cell.cell import MergedCell
    from openpyxl.styles import Protection
    from openpyxl.styles.cell_style import StyleArray

    plan, at = _plan_with_sections(ledger, positions)
    area.layout(plan)
    first = area.first_row
    task_cols = [(n, c.index) for n, c in ledger.columns.items() if c.definition.level == "task"]
    editable = [c.index for c in ledger.columns.values() if c.definition.editable]
    unlocked = ws.parent._protections.add(Protection(locked=False))  # the id `cell.protection = ...` would hash to
    last_group = None
    for i, p in enumerate(positions):
        row = first + at[i]
        if ledger.task[p] != last_group:
            last_group = ledger.task[p]
            for name, idx in task_cols:
                cell = ws.cell(row, idx)
                if isinstance(cell, MergedCell) or cell.value is not None:
                    continue
                origin = ledger.origin[name][p]
                value = area.value(origin, idx)
                if value is not None:
                    cell._value, cell.data_type = value, "n" if isinstance(value, (int, float)) else "s"
                    if origin in area.rows and idx in area.rows[origin].cells:
                        cell._style = area.rows[origin].cells[idx]._style.__copy__()
        for idx in editable:
            cell = ws.cell(row, idx)
            if not isinstance(cell, MergedCell):
                if not cell._style:
                    cell._style = StyleArray()
                cell._style.protectionId = unlocked
    prot = ws.protection
    prot.sheet = True
    # departments may resize, insert and delete rows; locked cells still cannot be typed over
    prot.formatColumns = prot.formatRows = prot.insertRows = prot.deleteRows = False
    prot.sort = prot.autoFilter = False


def _only_the_ledger(wb: Any, ws: Any, first_row: int) -> None:
    """Leave in `wb` the ledger sheet and what filling it in needs; nothing that shows other rows.

    Other sheets may hold any department's rows (a hidden copy, a pivot table and its cache, a
    summary), so they all go, and with them defined names and external links; pictures and
    charts anchored in the data area belong to rows that are rearranged. Dropdowns whose list is
    on a removed sheet get the list inline, as Excel allows up to 255 characters.
    """
    lists = _inline_lists(wb, ws)
    for other in [s for s in wb.worksheets + wb.chartsheets if s is not ws]:
        wb.remove(other)
    ws.sheet_state = "visible"
    wb.active = 0
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    for name in list(ws.defined_names):
        del ws.defined_names[name]
    wb._external_links = []
    ws._pivots = []
    ws._charts = []
    ws._images = [img for img in ws._images if _anchor_row(img) < first_row - 1]
    for dv in list(ws.data_validations.dataValidation):
        if dv.type == "list" and dv.formula1 and not dv.formula1.startswith('"') and dv.formula1 in lists:
            inline = lists[dv.formula1]
            if inline is None:
                ws.data_validations.dataValidation.remove(dv)
            else:
                dv.formula1 = inline


def _inline_lists(wb: Any, ws: Any) -> dict[str, str | None]:
    """Dropdown source -> its values as an inline list ('"a,b"'), or None when they cannot be inlined."""
    from openpyxl.utils.cell import range_boundaries

    out: dict[str, str | None] = {}
    for dv in ws.data_validations.dataValidation:
        f = dv.formula1
        if dv.type != "list" or not f or f.startswith('"') or f in out:
            continue
        ref = f.lstrip("=")
        named = wb.defined_names.get(ref) or ws.defined_names.get(ref)
        if named is not None:
            ref = named.attr_text
        sheet, _, cells = ref.rpartition("!")
        sheet = sheet.strip("'").replace("''", "'")
        if not sheet or sheet == ws.title:
            if named is None:
                continue  # a list on the ledger sheet itself stays as it is
            sheet = ws.title
        try:
            src = wb[sheet]
            c0, r0, c1, r1 = range_boundaries(cells.replace("$", ""))
        except (KeyError, ValueError, TypeError):
            out[f] = None
            continue
        values = [str(v) for row in src.iter_rows(min_row=r0, max_row=r1, min_col=c0, max_col=c1, values_only=True)
                  for v in row if v not in (None, "")]
        text = ",".join(values)
        out[f] = f'"{text}"' if len(text) <= 255 and not any("," in v or '"' in v for v in values) else None
    return out


def _anchor_row(img: Any) -> int:
    """The 0-based row a picture is anchored at (its top)."""
    anchor = img.anchor
    if isinstance(anchor, str):
        from openpyxl.utils.cell import coordinate_from_string

        return coordinate_from_string(anchor)[1] - 1
    return anchor._from.row


def _plan_with_sections(ledger: Any, positions: list[int]) -> tuple[list[tuple[int, str]], list[int]]:
    """The rows to write: the department's rows, each section heading (二、…) kept above the first of
    them it heads, and the footnotes (注：…, 填报人) under the table. Returns the plan and, for each
    position, its index in the plan."""
    sections = sorted(r for r, c in ledger.skipped_rows.items() if c == "section")
    last_row = ledger.rows[-1] if ledger.rows else 0
    notes = sorted(r for r, c in ledger.skipped_rows.items() if c == "note" and r > last_row)
    plan: list[tuple[int, str]] = []
    at: list[int] = []
    previous = 0
    for p in positions:
        row = ledger.rows[p]
        heading = [s for s in sections if previous < s < row]
        if heading:
            plan.append((heading[-1], "values"))
        at.append(len(plan))
        plan.append((row, "values"))
        previous = row
    plan.extend((r, "values") for r in notes)
    return plan, at


def _row_keys(prints: list[str]) -> dict[str, str]:
    """row_keys, row_keys_2 ...: the issued keys of the file's rows, in chunks a cell can hold."""
    out = {}
    for i in range(0, max(len(prints), 1), ROW_KEYS_PER_CELL):
        key = "row_keys" if i == 0 else f"row_keys_{i // ROW_KEYS_PER_CELL + 1}"
        out[key] = json.dumps(prints[i:i + ROW_KEYS_PER_CELL], separators=(",", ":"))
    return out


def read_row_keys(metadata: dict[str, str]) -> list[str] | None:
    """The row keys ("fingerprint:hashes") a split file's metadata lists; None when it has none or they are broken."""
    if "row_keys" not in metadata:
        return None
    out: list[str] = []
    n = 1
    key = "row_keys"
    while key in metadata:
        try:
            part = json.loads(metadata[key])
        except (ValueError, TypeError):
            return None
        if not isinstance(part, list):
            return None
        out.extend(str(p) for p in part)
        n += 1
        key = f"row_keys_{n}"
    return out


def _write_meta(wb: Any, meta: dict[str, Any]) -> None:
    from taizhang.validator.metadata import write_metadata

    write_metadata(wb, meta)
