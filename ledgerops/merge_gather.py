"""Reading the submissions of a merge: which files, which rows match, which cells they change.

Each submission is read, checked to be a copy of this ledger, matched row by row to the master
(matching.py) and compared cell by cell; what it changes becomes a proposal per (row, column),
what it adds a new row. Deciding between proposals and writing OUT is merge_out's.

Files do not depend on each other, so on two cores two forked readers share them (reading is
most of a merge of many small files); their outcomes are put together in file order, so the
merge is the one a single process makes.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from .merge_result import IGNORED_NAMES, LOG_SHEET, SKIP_REASONS, MergeResult

if TYPE_CHECKING:
    from taizhang.validator.reader import Ledger


@dataclass(slots=True)
class Proposal:
    source: str
    value: Any  # as it will be written
    text: str | None  # normalised, for comparing
    stale: bool = False  # the master's cell changed since it was issued to this department


@dataclass(slots=True)
class NewRow:
    source: str
    sources: list[str]
    values: dict[str, str]  # column -> text, as shown in the report
    raw: dict[str, Any]  # column -> value to write
    group: int | None  # base task group it belongs to; None = a task the master does not have


# ----------------------------------------------------------------------------- reading submissions

def gather(base: "Ledger", files: list[tuple[Path, str]], result: MergeResult,
           progress: Callable[[int, int, Path], None] | None) -> tuple[dict, list[NewRow]]:
    """Read and match every submission; collect the cells they change and the rows they add.

    Files that cannot be merged go to `result.skipped`; merged sources, expected and missing
    departments and dropped rows are recorded on `result` too. Files are read on both cores
    where there are two (each file on its own; what they found is put together in file order,
    so the result is the one a single core gives).
    """
    global _JOB
    ctx = _Context.of(base)
    cells: dict[tuple[int, str], dict[str, Proposal]] = {}  # (base row, column) -> source -> proposal
    new_rows: list[NewRow] = []
    expected: dict[str, None] = {}
    submitted: set[str] = set()
    workers = _workers(len(files))
    if workers > 1:
        _JOB = (ctx, files)  # only the forked readers read it: the serial path is safe in threads
        outcomes = _in_pool(len(files), workers)
    else:
        outcomes = (_read_one(ctx, path, source) for path, source in files)
    try:
        _fold(files, outcomes, progress, result, cells, new_rows, expected, submitted)
    finally:
        outcomes.close()  # the pool is shut down even when folding failed
        _JOB = None
    if progress:
        progress(len(files), len(files), base.path)
    result.expected = list(expected)
    result.missing = [n for n in expected if n not in submitted]
    return cells, _dedupe_new(new_rows)


def _fold(files: list[tuple[Path, str]], outcomes: Iterator["_Outcome"], progress: Callable | None,
          result: MergeResult, cells: dict, new_rows: list[NewRow], expected: dict[str, None], submitted: set[str]) -> None:
    """Put each file's outcome into the merge, in file order."""
    for i, (path, source) in enumerate(files):
        if progress:
            progress(i, len(files), path)
        got = next(outcomes)
        if got.skipped is not None:
            result.skipped.append(got.skipped)
            continue
        result.merged.append(source)
        for name in got.expected:
            expected.setdefault(name)
        submitted.add(got.department)
        for key, proposal in got.proposals.items():
            cells.setdefault(key, {}).setdefault(source, proposal)
        new_rows.extend(got.new_rows)
        result.dropped.extend(got.dropped)


def _in_pool(count: int, workers: int) -> Iterator["_Outcome"]:
    """The outcomes of files 0..count-1, read by `workers` forked processes, in file order.

    A reader killed from outside (the OOM killer) breaks the pool: the files left are then read
    here, one by one, rather than the merge hanging or failing.
    """
    from concurrent.futures.process import BrokenProcessPool

    from .fanout import result_pool

    done = 0
    pool = result_pool(workers)
    try:
        futures = [pool.submit(_read_nth, i) for i in range(count)]  # forks the readers: they inherit _JOB
        _preload()  # while they read: what validating and writing OUT import
        for future in futures:
            try:
                got = future.result()
            except BrokenProcessPool:
                break
            done += 1
            yield got
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for i in range(done, count):
        yield _read_nth(i)


def _preload() -> None:
    """Import pandera (through pandera_import, without hypothesis) and openpyxl: about 1.5 s that
    validating OUT would otherwise spend after the reading, one core idle."""
    from taizhang.validator.pandera_import import pandera_pandas

    pandera_pandas()
    import openpyxl  # noqa: F401
    import pandera.errors  # noqa: F401


def _workers(files: int) -> int:
    """Processes to read `files` submissions with: one per core (fanout.worker_count: Linux, no
    threads running, as in the add-in or a service) when there are files enough to share."""
    from .fanout import worker_count

    return worker_count(files) if files >= 4 else 1


@dataclass(slots=True)
class _Context:
    """What every submission is compared with: the master's rows, computed once before reading."""

    base: "Ledger"
    prints: list[str]
    matcher: Any
    own_edits: dict[str, tuple[str, str | None, str | None]]
    base_texts: dict[str, list[str | None]]
    by_print: dict[str, list[int]]

    @classmethod
    def of(cls, base: "Ledger") -> "_Context":
        from .matching import Matcher, compared_texts, fingerprints

        prints = fingerprints(base)
        by_print: dict[str, list[int]] = defaultdict(list)
        for pos, fp in enumerate(prints):
            by_print[fp].append(pos)
        return cls(base, prints, Matcher(base), earlier_edits(base),
                   {name: compared_texts(base, name) for name in base.columns},  # once, not per submission
                   by_print)


@dataclass(slots=True)
class _Outcome:
    """What one submission brings: a reason to skip it, or its proposals, new rows and dropped rows."""

    skipped: dict[str, Any] | None = None
    expected: list[str] = field(default_factory=list)
    department: str = ""
    proposals: dict[tuple[int, str], Proposal] = field(default_factory=dict)
    new_rows: list[NewRow] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)


_JOB: tuple[_Context, list[tuple[Path, str]]] | None = None  # what the forked readers inherit


def _read_nth(i: int) -> _Outcome:
    ctx, files = _JOB
    return _read_one(ctx, *files[i])


def _read_one(ctx: _Context, path: Path, source: str) -> _Outcome:
    """Read one submission, check it is a copy of this ledger, match its rows, list its changes."""
    from taizhang.validator.filecheck import ReadError
    from taizhang.validator.reader import read_ledger

    from .matching import parse_issued
    from .split import read_row_keys

    base = ctx.base
    try:
        sub = read_ledger(path, ledger_type=base.ledger_type)
    except ReadError as exc:
        reason = "wrong-ledger" if exc.code == "header-not-found" else "unreadable-file"
        return _Outcome(_skip(source, reason, exc.zh, exc.en))
    sub_type = sub.metadata.get("type")
    if sub_type and sub_type != base.ledger_type.name:
        return _Outcome(_skip(source, "wrong-ledger", f"这是「{sub_type}」类型的台账，总台账是「{base.ledger_type.name}」",
                              f"a '{sub_type}' ledger; the master is '{base.ledger_type.name}'"))
    lacking = [c.name for c in base.ledger_type.columns
               if c.name in base.columns and c.name not in sub.columns and (c.required or c.editable)]
    if lacking:  # another ledger that happens to share a few aliases (序号, 牵头部门 ...)
        return _Outcome(_skip(source, "wrong-ledger", f"缺少总台账的列：{'、'.join(lacking)}，不是这份台账的报送",
                              f"lacks the master's columns {', '.join(lacking)}: not a copy of this ledger"))
    keys = read_row_keys(sub.metadata)
    candidates, issued = None, {}
    if keys:
        issued = parse_issued(keys, _json_list(sub.metadata.get("editable_columns")))
        known = [k for k in issued if k in ctx.by_print]
        if not known:
            return _Outcome(_skip(source, "wrong-ledger", "这是另一份台账分发的文件，没有一行属于这份总台账",
                                  "a file split from another ledger: none of its rows is in this master"))
        if len(known) == len(issued):  # else the master was edited since the split: match on content
            candidates = {p for k in issued for p in ctx.by_print[k]}
    match = ctx.matcher.match(sub, candidates)
    if not match.pairs:
        return _Outcome(_skip(source, "wrong-ledger", "没有一行与总台账对应（序号和内容都不同），不是这份台账的报送",
                              "no row matches the master (keys and text all differ): not a copy of this ledger"))
    got = _Outcome(expected=_json_list(sub.metadata.get("split_departments")),
                   department=sub.metadata.get("department") or Path(source).stem)
    _propose(base, sub, match.pairs, source, got.proposals, _as_issued(sub, match.pairs, issued, ctx.prints),
             ctx.own_edits, ctx.base_texts)
    got.new_rows = _new_rows(base, sub, match, source)
    if candidates is not None or len(match.pairs) >= len(base) / 2:
        key = base.column_for_role("key")
        got.dropped = [{"source": source, "row": base.rows[pos], "key": base.values[key.name][pos] if key else None}
                       for pos in match.missing]
    return got


def earlier_edits(base: "Ledger") -> dict[str, tuple[str, str | None, str | None]]:
    """Cell -> (source, value, value before) of the last change earlier merges applied, from the
    master's 合并记录.

    A department that sends a corrected file changes a cell the master changed since the split:
    when that change was its own (same source file, value still in place), it is no conflict. A
    file without split metadata that brings back the value a cell had before another
    department's merged change is an old copy, not an edit (see `_propose`).
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
    out: dict[str, tuple[str, str | None, str | None]] = {}
    for row in rows[1:]:
        if len(row) > 6 and row[6] == "已应用" and isinstance(row[0], str):
            out[row[0]] = (str(row[4]), normalize_text(None if row[3] == "" else row[3]),
                           normalize_text(None if row[2] == "" else row[2]))
    return out


def path_key(path: Path) -> str:
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)


def _skip(source: str, reason: str, zh: str, en: str) -> dict[str, Any]:
    title_zh, title_en = SKIP_REASONS[reason]
    return {"path": source, "reason": reason, "message": (f"{title_zh}：{zh}", f"{title_en}: {en}")}


def collect(inputs: list[Path], exclude: set[str]) -> tuple[list[tuple[Path, str]], list[dict[str, Any]]]:
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
            key = path_key(path)
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
             cells: dict[tuple[int, str], Proposal],
             issued: dict[int, tuple[bool, dict[str, str]]],
             own_edits: dict[str, tuple[str, str | None, str | None]],
             base_texts: dict[str, list[str | None]]) -> None:
    """Record every cell in which `sub` differs from the base row it matched.

    For a split file the base of the three-way merge is the cell as issued (`issued`): a cell
    the department did not change proposes nothing even where the master has moved on since.
    Without split metadata the base is the master, except where an earlier merge applied another
    file's change to the cell and this file holds the value from before it: an old copy sent
    again. That proposal is stale (a conflict: the master's value is kept and the proposal
    listed), never a silent revert of the other department's merged edit.
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
                    own_edits.get(f"{bcol.letter}{bo[b]}", ())[:2] != (source, bv[b])
            elif own_edits:
                earlier = own_edits.get(f"{bcol.letter}{bo[b]}")
                stale = earlier is not None and earlier[0] != source and earlier[1] == bv[b] and earlier[2] == text
            cells.setdefault((bo[b], name), Proposal(source, value, text, stale))


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


def _new_rows(base: "Ledger", sub: "Ledger", match: Any, source: str) -> list[NewRow]:
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
        out.append(NewRow(source, [source], values, raw, group))
    return out


def _dedupe_new(rows: list[NewRow]) -> list[NewRow]:
    """The same new row from several submissions is one new row."""
    seen: dict[tuple, NewRow] = {}
    for r in rows:
        k = (r.group, tuple(sorted((n, v) for n, v in r.values.items())))
        if k in seen:
            seen[k].sources.append(r.source)
        else:
            seen[k] = r
    return list(seen.values())

