"""Merge departments' submissions into the master: a three-way merge per cell, nothing lost.

base = the master as it is, each submission = a copy a department filled in, result = OUT.
Rows are matched by content (matching.py), never by position. For every cell a submission
changed: an editable column is applied (and still validated: a bad value is applied, marked and
listed in the findings), a locked column is rejected, two different values for one cell are a
conflict (the base is kept, every proposal listed), the same value from several submissions is
applied once. Rows a submission adds are listed and, only when asked, added to their task.
Files that cannot be merged are skipped with a reason and the merge goes on.

OUT is the master loaded with openpyxl with values set in place, so its layout survives; changed
cells are green, conflicts orange with the proposals in a note, and the sheets 合并记录 (every
event) and 冲突 (every proposal of every conflict) say what happened. The master and the
submissions are only read.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from taizhang.validator.normalize import cell_text

from .errors import LedgerOpError
from .xlsx_out import (APPLIED_FILL, CONFLICT_FILL, INVALID_FILL, DataArea, fill, ledger_sheet, load_workbook_for,
                       note, set_value, table_sheet)

if TYPE_CHECKING:
    from taizhang.validator.findings import Finding
    from taizhang.validator.reader import Ledger

    from .keep import Unkept

LOG_SHEET = "合并记录"
CONFLICT_SHEET = "冲突"
IGNORED_NAMES = {"thumbs.db", "desktop.ini"}

SKIP_REASONS = {
    "not-a-spreadsheet": ("不是表格文件", "not a spreadsheet"),
    "unreadable-file": ("文件无法读取", "unreadable file"),
    "wrong-ledger": ("不是这份台账", "not this ledger"),
}


class MergeError(LedgerOpError):
    """A usage problem (OUT is not .xlsx, unknown type); messages in Chinese and English."""


@dataclass(slots=True)
class MergeResult:
    """What a merge did. Lists hold report-ready dicts; `to_dict()` is the --report JSON."""

    master: Path
    out: Path
    applied: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # message in zh and en, rendered by lang
    dropped: list[dict[str, Any]] = field(default_factory=list)  # rows a submission left out: a warning
    findings: list["Finding"] = field(default_factory=list)  # validate's findings for OUT
    changed_cells: set[str] = field(default_factory=set)  # A1 cells of OUT this merge wrote
    merged: list[str] = field(default_factory=list)  # sources that were merged
    expected: list[str] = field(default_factory=list)  # departments the split metadata names
    missing: list[str] = field(default_factory=list)  # ... that sent nothing
    backup: Path | None = None  # the copy of MASTER kept when OUT is MASTER
    unkept: list["Unkept"] = field(default_factory=list)  # what of MASTER openpyxl could not carry into OUT

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def changed_errors(self) -> int:
        """Error findings in cells this merge wrote: what the merge itself brought in."""
        return sum(1 for f in self.findings if f.severity == "error" and f.cell in self.changed_cells)

    def exit_code(self, strict: bool = False) -> int:
        """0 nothing to attend to; 1 conflicts, rejected changes, skipped files or errors in cells this
        merge changed (with `strict`, errors anywhere in OUT, as the master may have had them before)."""
        errors = self.errors if strict else self.changed_errors
        return 1 if (self.conflicts or self.rejected or self.skipped or errors) else 0

    def summary_text(self, lang: str = "zh", limit: int = 10) -> str:
        """The short summary the terminal shows (and the add-in may show); at most `limit` lines a list."""
        zh = lang == "zh"
        added = sum(1 for r in self.new_rows if r["added"])
        warnings = sum(1 for f in self.findings if f.severity == "warning")
        in_changed = sum(1 for f in self.findings if f.cell in self.changed_cells)
        lines = [f"合并完成：{self.out}" if zh else f"Merged into {self.out}",
                 (f"  报送文件：合并 {len(self.merged)} 份，跳过 {len(self.skipped)} 份" if zh else
                  f"  submissions: {len(self.merged)} merged, {len(self.skipped)} skipped"),
                 (f"  已应用修改 {len(self.applied)} 处；未应用（锁定列）{len(self.rejected)} 处；冲突 {len(self.conflicts)} 处；"
                  f"新增行 {len(self.new_rows)} 行（已添加 {added} 行）" if zh else
                  f"  applied {len(self.applied)}; rejected (locked column) {len(self.rejected)}; "
                  f"conflicts {len(self.conflicts)}; new rows {len(self.new_rows)} ({added} added)")]

        def section(title: str, items: list[str]) -> None:
            if not items:
                return
            lines.append(f"  {title}：" if zh else f"  {title}:")
            lines.extend(f"    {i}" for i in items[:limit])
            if len(items) > limit:
                lines.append(f"    …… 另有 {len(items) - limit} 项，见「{LOG_SHEET}」" if zh else
                             f"    ... {len(items) - limit} more, see sheet {LOG_SHEET}")

        section("冲突（保留原值）" if zh else "conflicts (base kept)",
                [f"{c['cell']} {c['column']}：" + "；".join(f"{p['source']}「{_clip(p['value'], 20)}」"
                                                          for p in c["proposals"]) if zh else
                 f"{c['cell']} {c['column']}: " + "; ".join(f"{p['source']} '{_clip(p['value'], 20)}'"
                                                          for p in c["proposals"]) for c in self.conflicts])
        section("未应用（锁定列）" if zh else "rejected (locked column)",
                [f"{r['cell']} {r['column']}（{r['source']}）" if zh else f"{r['cell']} {r['column']} ({r['source']})"
                 for r in self.rejected])
        section("跳过的文件" if zh else "skipped files",
                [f"{s['path']}：{s['message'][0]}" if zh else f"{s['path']}: {s['message'][1]}" for s in self.skipped])
        if self.new_rows and not added:
            lines.append("  新增行未添加到总表；确认后加 --accept-new-rows 重新合并" if zh else
                         "  new rows were not added; merge again with --accept-new-rows to add them")
        section("报送中缺少的行（未删除）" if zh else "rows missing from a submission (not deleted)",
                [f"第 {d['row']} 行（{d['source']}）" if zh else f"row {d['row']} ({d['source']})" for d in self.dropped])
        if self.missing:
            lines.append(("  未报送：" if zh else "  not submitted: ") + ("、" if zh else ", ").join(self.missing))
        section("总台账中无法保留到输出的内容" if zh else "in the master but not kept in the output",
                [u.text(lang) for u in self.unkept])
        lines.append(f"  校验输出：{self.errors} 个错误，{warnings} 个警告（{in_changed} 个在本次修改的单元格）" if zh else
                     f"  validation of the output: {self.errors} errors, {warnings} warnings "
                     f"({in_changed} in cells this merge changed)")
        if self.backup is not None:
            lines.append(f"  原总台账已备份为：{self.backup}" if zh else f"  the master was backed up to {self.backup}")
        return "\n".join(lines) + "\n"

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        skipped = [{"path": s["path"], "reason": s["reason"], "message": s["message"][lang == "en"]}
                   for s in self.skipped]
        findings = []
        for f in self.findings:
            d = f.to_dict(lang)
            d["changed"] = f.cell in self.changed_cells
            findings.append(d)
        return {
            "master": str(self.master), "out": str(self.out),
            "applied": self.applied, "rejected": self.rejected, "conflicts": self.conflicts,
            "new_rows": self.new_rows, "skipped": skipped, "findings": findings, "dropped": self.dropped,
            "merged": self.merged, "expected": self.expected, "missing": self.missing,
            "backup": None if self.backup is None else str(self.backup),
            "not_kept": [u.to_dict(lang) for u in self.unkept],
            "summary": {"applied": len(self.applied), "rejected": len(self.rejected),
                        "conflicts": len(self.conflicts), "new_rows": len(self.new_rows),
                        "skipped": len(self.skipped), "dropped": len(self.dropped), "errors": self.errors,
                        "warnings": sum(1 for f in self.findings if f.severity == "warning")},
        }


@dataclass(slots=True)
class _Proposal:
    source: str
    value: Any  # as it will be written
    text: str | None  # normalised, for comparing
    stale: bool = False  # the master's cell changed since it was issued to this department


@dataclass(slots=True)
class _NewRow:
    source: str
    sources: list[str]
    values: dict[str, str]  # column -> text, as shown in the report
    raw: dict[str, Any]  # column -> value to write
    group: int | None  # base task group it belongs to; None = a task the master does not have


def merge_ledgers(master: Path, inputs: list[Path], out: Path, *, report: Path | None = None,
                  accept_new_rows: bool = False, ledger_type: str | None = None, lang: str = "zh",
                  progress: Callable[[int, int, Path], None] | None = None) -> MergeResult:
    """Merge the submissions in `inputs` (files or folders) into `master`, writing `out`.

    Raises MergeError (usage), ReadError (master unreadable), OutputLocked (OUT open in Excel or
    LibreOffice, or another merge into OUT still running after the wait: nothing is written).
    Holds OUT's lock (outlock.py) from before reading MASTER until OUT is written. If OUT is
    MASTER, a timestamped backup of MASTER is made first. OUT and the report are written together
    (safe_write.write_together). `progress(done, total, path)` is called once per submission.
    """
    from taizhang.validator.ledger_types import LedgerTypeError, get_type
    from taizhang.validator.reader import read_ledger

    from .outlock import exclusive
    from .safe_write import backup, check_targets, ensure_not_held, write_together

    master, out = Path(master), Path(out)
    if out.suffix.lower() != ".xlsx" and not (out.suffix.lower() == ".xlsm" == master.suffix.lower()):
        raise MergeError(f"{out}：输出文件须为 .xlsx", f"{out}: the output must be an .xlsx file")
    check_targets([out] if report is None else [out, Path(report)])
    try:
        ltype = get_type(ledger_type) if ledger_type else None
    except LedgerTypeError as exc:
        raise MergeError(str(exc), str(exc)) from None
    with exclusive(out):  # before reading: a merge that waited reads what the one before it wrote
        base = read_ledger(master, ledger_type=ltype)
        result = MergeResult(master, out)
        files, result.skipped = _collect(inputs, {_key(master), _key(out)})

        cells, new_rows = _gather(base, files, result, progress)

        wb = _build_out(master, out, base, cells, new_rows, accept_new_rows, result)
        result.unkept = _unkept(master, out)
        ensure_not_held(out)  # opened while we worked: nothing written, not even the backup
        if out.exists() and _key(out) == _key(master):
            result.backup = backup(master)
        targets = [(out, wb.save)]
        if report is not None:  # OUT and its report are replaced together or not at all
            text = json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2) + "\n"
            targets.append((Path(report), lambda tmp: tmp.write_text(text, encoding="utf-8")))
        write_together(targets)
    return result


# ----------------------------------------------------------------------------- reading submissions

def _gather(base: "Ledger", files: list[tuple[Path, str]], result: MergeResult,
            progress: Callable[[int, int, Path], None] | None) -> tuple[dict, list[_NewRow]]:
    """Read and match every submission; collect the cells they change and the rows they add.

    Files that cannot be merged go to `result.skipped`; merged sources, expected and missing
    departments and dropped rows are recorded on `result` too.
    """
    from taizhang.validator.filecheck import ReadError
    from taizhang.validator.reader import read_ledger

    from .matching import Matcher, compared_texts, fingerprints, parse_issued
    from .split import read_row_keys

    prints = fingerprints(base)
    matcher = Matcher(base)
    own_edits = _earlier_edits(base)
    base_texts = {name: compared_texts(base, name) for name in base.columns}  # once, not once per submission
    by_print: dict[str, list[int]] = defaultdict(list)
    for pos, fp in enumerate(prints):
        by_print[fp].append(pos)
    cells: dict[tuple[int, str], dict[str, _Proposal]] = {}  # (base row, column) -> source -> proposal
    new_rows: list[_NewRow] = []
    expected: dict[str, None] = {}
    submitted: set[str] = set()
    for i, (path, source) in enumerate(files):
        if progress:
            progress(i, len(files), path)
        try:
            sub = read_ledger(path, ledger_type=base.ledger_type)
        except ReadError as exc:
            reason = "wrong-ledger" if exc.code == "header-not-found" else "unreadable-file"
            result.skipped.append(_skip(source, reason, exc.zh, exc.en))
            continue
        sub_type = sub.metadata.get("type")
        if sub_type and sub_type != base.ledger_type.name:
            result.skipped.append(_skip(source, "wrong-ledger", f"这是「{sub_type}」类型的台账，总台账是「{base.ledger_type.name}」",
                                        f"a '{sub_type}' ledger; the master is '{base.ledger_type.name}'"))
            continue
        lacking = [c.name for c in base.ledger_type.columns
                   if c.name in base.columns and c.name not in sub.columns and (c.required or c.editable)]
        if lacking:  # another ledger that happens to share a few aliases (序号, 牵头部门 ...)
            result.skipped.append(_skip(source, "wrong-ledger", f"缺少总台账的列：{'、'.join(lacking)}，不是这份台账的报送",
                                        f"lacks the master's columns {', '.join(lacking)}: not a copy of this ledger"))
            continue
        keys = read_row_keys(sub.metadata)
        candidates, issued = None, {}
        if keys:
            issued = parse_issued(keys, _json_list(sub.metadata.get("editable_columns")))
            known = [k for k in issued if k in by_print]
            if not known:
                result.skipped.append(_skip(source, "wrong-ledger", "这是另一份台账分发的文件，没有一行属于这份总台账",
                                            "a file split from another ledger: none of its rows is in this master"))
                continue
            if len(known) == len(issued):  # else the master was edited since the split: match on content
                candidates = {p for k in issued for p in by_print[k]}
        match = matcher.match(sub, candidates)
        if not match.pairs:
            result.skipped.append(_skip(source, "wrong-ledger", "没有一行与总台账对应（序号和内容都不同），不是这份台账的报送",
                                        "no row matches the master (keys and text all differ): not a copy of this ledger"))
            continue
        result.merged.append(source)
        for name in _json_list(sub.metadata.get("split_departments")):
            expected.setdefault(name)
        submitted.add(sub.metadata.get("department") or Path(source).stem)
        _propose(base, sub, match.pairs, source, cells, _as_issued(sub, match.pairs, issued, prints), own_edits,
                 base_texts)
        new_rows.extend(_new_rows(base, sub, match, source))
        if candidates is not None or len(match.pairs) >= len(base) / 2:
            key = base.column_for_role("key")
            for pos in match.missing:
                result.dropped.append({"source": source, "row": base.rows[pos],
                                       "key": base.values[key.name][pos] if key else None})
    if progress:
        progress(len(files), len(files), base.path)
    result.expected = list(expected)
    result.missing = [n for n in expected if n not in submitted]
    return cells, _dedupe_new(new_rows)


def _earlier_edits(base: "Ledger") -> dict[str, tuple[str, str | None]]:
    """Cell -> (source, value) of the last change earlier merges applied, from the master's 合并记录.

    A department that sends a corrected file changes a cell the master changed since the split:
    when that change was its own (same source file, value still in place), it is no conflict.
    """
    from taizhang.validator.filecheck import sniff
    from taizhang.validator.normalize import normalize_text

    try:
        if sniff(base.path).kind != "xlsx":
            return {}
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(str(base.path))
        if LOG_SHEET not in book.sheet_names:
            return {}
        rows = book.get_sheet_by_name(LOG_SHEET).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - a damaged log only costs this refinement, never the merge
        return {}
    out: dict[str, tuple[str, str | None]] = {}
    for row in rows[1:]:
        if len(row) > 6 and row[6] == "已应用" and isinstance(row[0], str):
            out[row[0]] = (str(row[4]), normalize_text(None if row[3] == "" else row[3]))
    return out


def _key(path: Path) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


def _skip(source: str, reason: str, zh: str, en: str) -> dict[str, Any]:
    title_zh, title_en = SKIP_REASONS[reason]
    return {"path": source, "reason": reason, "message": (f"{title_zh}：{zh}", f"{title_en}: {en}")}


def _collect(inputs: list[Path], exclude: set[str]) -> tuple[list[tuple[Path, str]], list[dict[str, Any]]]:
    """(spreadsheets to merge with their source names, skipped entries). Lock and hidden files are ignored."""
    from taizhang.validator.filecheck import SPREADSHEET_SUFFIXES

    files: list[tuple[Path, str]] = []
    skipped: list[dict[str, Any]] = []
    seen: set[str] = set()
    for given in inputs:
        given = Path(given)
        if given.is_dir():
            entries = [(f, str(f.relative_to(given))) for f in sorted(given.rglob("*")) if f.is_file()
                       and not f.name.startswith(".") and f.name.lower() not in IGNORED_NAMES]
        else:
            entries = [(given, given.name)]
        for path, source in entries:
            key = _key(path)
            if path.name.startswith("~$") or key in exclude or key in seen:
                continue
            seen.add(key)
            if not path.exists():
                skipped.append(_skip(source, "unreadable-file", "文件不存在", "file not found"))
            elif path.suffix.lower() not in SPREADSHEET_SUFFIXES:
                skipped.append(_skip(source, "not-a-spreadsheet", "只读取 .xlsx .xlsm .xls .csv 文件",
                                     "only .xlsx .xlsm .xls .csv files are read"))
            else:
                files.append((path, source))
    return files, skipped


def _json_list(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


# ----------------------------------------------------------------------------- proposals

def _as_issued(sub: "Ledger", pairs: dict[int, int], issued: dict[str, Any],
               base_prints: list[str]) -> dict[int, tuple[bool, dict[str, str]]]:
    """Submission position -> (locked cells as issued?, editable cell hashes as issued), for split files.

    The row's own fingerprint found among the issued ones means the department left its locked
    cells alone; otherwise the hashes of the base row it matched are the best record there is.
    """
    if not issued:
        return {}
    from .matching import fingerprints

    out = {}
    for s, fp in enumerate(fingerprints(sub)):
        if s not in pairs:
            continue
        row = issued.get(fp)
        if row is not None:
            out[s] = (True, row.hashes)
        elif (row := issued.get(base_prints[pairs[s]])) is not None:
            out[s] = (False, row.hashes)
    return out


def _propose(base: "Ledger", sub: "Ledger", pairs: dict[int, int], source: str,
             cells: dict[tuple[int, str], dict[str, _Proposal]],
             issued: dict[int, tuple[bool, dict[str, str]]], own_edits: dict[str, tuple[str, str | None]],
             base_texts: dict[str, list[str | None]]) -> None:
    """Record every cell in which `sub` differs from the base row it matched.

    For a split file the base of the three-way merge is the cell as issued (`issued`): a cell
    the department did not change proposes nothing even where the master has moved on since.
    """
    from taizhang.validator.normalize import normalize_text

    from .matching import cell_hash

    srows = sub.rows
    for name, bcol in base.columns.items():
        scol = sub.columns.get(name)
        if scol is None:
            continue  # a column the submission dropped proposes nothing
        task_level = bcol.definition.level == "task"
        editable = bcol.definition.editable
        sv, so, sr = sub.values[name], sub.origin[name], sub.raw[name]
        bv, bo, cached = base_texts[name], base.origin[name], base.values[name]
        formulas = {r: f for (r, c), f in sub.formulas.items() if c == scol.index}
        for s, b in pairs.items():
            formula = formulas.get(so[s]) if formulas else None
            text = sv[s] if formula is None else normalize_text(formula)
            if text == bv[b] or (formula is None and (bo[b], bcol.index) in base.formulas and text == cached[b]):
                continue  # unchanged (a formula compared by formula; a file that kept only its value, by value)
            if formula is None and same_date_other_form(bv[b], text, base):
                continue  # 9月30日 turned into a date cell by WPS or LibreOffice: unchanged
            own = so[s] == srows[s]
            if task_level and (not own or text is None):
                # a filled-down or merged task value is proposed by its own row; a blank one is
                # what unmerging and re-sorting leaves behind, not an edit
                continue
            value = formula if formula is not None else (sr[s] if own else text)
            stale = False
            as_issued = issued.get(s)
            if as_issued is not None:
                if not editable and as_issued[0]:
                    continue  # locked cells untouched: the master changed them since the split
                was = as_issued[1].get(name) if editable else None
                if was is not None and was == cell_hash(text):
                    continue  # left as issued: not this department's change
                # changed on both sides since it was issued, unless the master's change is this source's own
                stale = was is not None and was != cell_hash(bv[b]) and \
                    own_edits.get(f"{bcol.letter}{bo[b]}") != (source, bv[b])
            slot = cells.setdefault((bo[b], name), {})
            slot.setdefault(source, _Proposal(source, value, text, stale))


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def same_date_other_form(old: str | None, new: str | None, base: "Ledger") -> bool:
    """Whether `new` is the date `old` names, written in another form: the text 9月30日 that WPS or
    LibreOffice turned into a date cell (read as 2019-09-30) is the same cell, not an edit."""
    if not old or not new or (_ISO_DATE.match(old) is None) == (_ISO_DATE.match(new) is None):
        return False
    from taizhang.validator.deadlines import parse_deadline
    from taizhang.validator.validate import ledger_year

    year = ledger_year(base, None)
    a, b = parse_deadline(old, year), parse_deadline(new, year)
    dates = [[m.date for m in d.milestones] for d in (a, b)]
    return len(dates[0]) == 1 and dates[0] == dates[1] and dates[0][0] is not None


def _new_rows(base: "Ledger", sub: "Ledger", match: Any, source: str) -> list[_NewRow]:
    """Rows of `sub` no base row matched, with the base task group each belongs to."""
    key = base.column_for_role("key")
    groups_by_key: dict[str, int] = {}
    if key is not None:
        for pos, g in enumerate(base.task):
            v = base.values[key.name][pos]
            if v is not None:
                groups_by_key.setdefault(v, g)
    matched_in_task: dict[int, list[int]] = defaultdict(list)
    for p in match.pairs:
        matched_in_task[sub.task[p]].append(p)
    out = []
    for s in match.new:
        group = None
        # the base task of the nearest matched row in the same submission task, above first
        same = matched_in_task.get(sub.task[s])
        if same:
            nearest = min(same, key=lambda p: (abs(p - s), p > s))
            group = base.task[match.pairs[nearest]]
        elif key is not None and key.name in sub.columns:
            group = groups_by_key.get(sub.values[key.name][s])
        values, raw = {}, {}
        for name, col in sub.columns.items():
            if name not in base.columns:
                continue
            text = sub.values[name][s]
            if text is None:
                continue
            values[name] = text
            if group is None or base.columns[name].definition.level != "task":
                raw[name] = sub.raw[name][s] if sub.origin[name][s] == sub.rows[s] else text
        out.append(_NewRow(source, [source], values, raw, group))
    return out


def _dedupe_new(rows: list[_NewRow]) -> list[_NewRow]:
    """The same new row from several submissions is one new row."""
    seen: dict[tuple, _NewRow] = {}
    for r in rows:
        k = (r.group, tuple(sorted((n, v) for n, v in r.values.items())))
        if k in seen:
            seen[k].sources.append(r.source)
        else:
            seen[k] = r
    return list(seen.values())


# ----------------------------------------------------------------------------- writing OUT

def _build_out(master: Path, out: Path, base: "Ledger", cells: dict, new_rows: list[_NewRow], accept_new_rows: bool,
               result: MergeResult) -> Any:
    """The master as an openpyxl workbook with the merge applied, marked, logged and validated."""
    wb = load_workbook_for(master, base, keep_vba=out.suffix.lower() == ".xlsm" and master.suffix.lower() == ".xlsm")
    ws = ledger_sheet(wb, base)
    row_map, placed = _place_new_rows(ws, base, new_rows if accept_new_rows else [])
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    log: list[list[Any]] = []
    _resolve(base, ws, cells, row_map, result, log, stamp)
    _write_new_rows(base, ws, new_rows, placed, result, log, stamp)
    for d in result.dropped:
        d["row"] = row_map(d["row"])
        log.append([None, None, None, None, d["source"], stamp, "行缺失（未删除）",
                    f"报送中没有第 {d['row']} 行（序号 {d['key'] or '—'}），总表保留该行"])
    for s in result.skipped:
        log.append([None, None, None, None, s["path"], stamp, "跳过文件", s["message"][0]])

    result.findings = _validate_out(ws, base)
    _mark_invalid(ws, result)
    table_sheet(wb, LOG_SHEET, ["单元格", "列", "原值", "新值", "来源文件", "时间", "结果", "说明"], log,
                [9, 14, 36, 36, 22, 19, 16, 40], append=True)
    if result.conflicts:
        table_sheet(wb, CONFLICT_SHEET, ["单元格", "列", "原值（保留）", "来源文件", "提议值"],
                    [[c["cell"], c["column"], c["base"], p["source"], p["value"]]
                     for c in result.conflicts for p in c["proposals"]], [9, 14, 40, 22, 40])
    elif CONFLICT_SHEET in wb.sheetnames:
        del wb[CONFLICT_SHEET]
    wb.active = wb.sheetnames.index(ws.title)
    return wb



def _unkept(master: Path, out: Path) -> list["Unkept"]:
    from taizhang.validator.filecheck import sniff

    from .keep import unkept_parts

    if sniff(master).kind != "xlsx":
        return []
    return unkept_parts(master, keep_vba=out.suffix.lower() == ".xlsm" and master.suffix.lower() == ".xlsm")


def _place_new_rows(ws: Any, base: "Ledger", rows: list[_NewRow]) -> tuple[Callable[[int], int], list[int]]:
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


def _resolve(base: "Ledger", ws: Any, cells: dict[tuple[int, str], dict[str, _Proposal]],
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
        distinct: dict[str | None, list[_Proposal]] = {}
        for p in proposals:
            distinct.setdefault(p.text, []).append(p)
        target = ws.cell(row, col.index)
        stale = any(p.stale for p in proposals)
        if len(distinct) == 1 and not stale:
            p = proposals[0]
            set_value(target, p.value)
            target.fill = fill(APPLIED_FILL)
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
        target.fill = fill(CONFLICT_FILL)
        why = ("冲突：分发后总台账中此格已有改动（如已合并的其他报送），报送也改了它，保留总台账的值。" if stale else
               f"冲突：{len(proposals)} 份报送改为不同的值，保留原值。")
        lines = [why, f"原值：{_clip(old)}"]
        lines += [f"• {p.source}：{_clip(cell_text(p.value))}" for p in proposals]
        _add_note(target, "\n".join(lines))
        for p in proposals:
            log.append([cell_ref, col.header, old, cell_text(p.value), p.source, stamp, "冲突：保留原值",
                        "分发后总台账中此格已有改动，见「冲突」工作表" if stale else "与其他报送的修改不同，见「冲突」工作表"])


def _write_new_rows(base: "Ledger", ws: Any, rows: list[_NewRow], placed: list[int], result: MergeResult,
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
        summary = "；".join(f"{n}：{_clip(r.values[n], 30)}" for n in shown)
        if out_row is None:
            log.append([None, None, None, summary, r.source, stamp, "新增行：未添加",
                        f"属于序号 {task_key or '—'}；加 --accept-new-rows 可添加"])
            continue
        for name, value in r.raw.items():
            col = base.columns[name]
            cell = ws.cell(out_row, col.index)
            if type(cell).__name__ == "MergedCell":
                continue
            set_value(cell, value)
            cell.fill = fill(APPLIED_FILL)
            result.changed_cells.add(f"{col.letter}{out_row}")
        first = ws.cell(out_row, min(base.columns[n].index for n in r.raw) if r.raw else 1)
        _add_note(first, f"新增行，来自 {'、'.join(r.sources)}")
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


def _mark_invalid(ws: Any, result: MergeResult) -> None:
    """An applied value that fails validation stays applied, filled light red with the finding in a note."""
    from openpyxl.utils.cell import coordinate_from_string

    by_cell: dict[str, list["Finding"]] = defaultdict(list)
    for f in result.findings:
        if f.cell in result.changed_cells:
            by_cell[f.cell].append(f)
    for ref, found in by_cell.items():
        letter, row = coordinate_from_string(ref)
        cell = ws[ref]
        cell.fill = fill(INVALID_FILL)
        source = next((a["source"] for a in result.applied if a["cell"] == ref), None)
        head = f"已按 {source} 的报送修改，但未通过校验：" if source else "新增行的值未通过校验："
        _add_note(cell, head + "\n" + "\n".join(f"• {f.message('zh')}" for f in found))


def _add_note(cell: Any, text: str) -> None:
    if cell.comment is not None and cell.comment.text:
        text = cell.comment.text.rstrip() + "\n—\n" + text
    cell.comment = note(text)


def _clip(text: str | None, limit: int = 120) -> str:
    if text is None:
        return "（空）"
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
