"""Merge departments' submissions into the master: a three-way merge per cell, nothing lost.

base = the master as it is, each submission = a copy a department filled in, result = OUT.
Rows are matched by content (matching.py), never by position. For every cell a submission
changed: an editable column is applied (and still validated: a bad value is applied, marked and
listed in the findings), a locked column is rejected, two different values for one cell are a
conflict (the base is kept, every proposal listed), the same value from several submissions is
applied once. A file without split metadata that brings back the value a cell had before another
department's change was merged (合并记录 says so) is an old copy: a conflict, never a silent revert.
Rows a submission adds are listed and, only when asked, added to their task.
Files that cannot be merged are skipped with a reason and the merge goes on.

OUT is the master loaded with openpyxl with values set in place, so its layout survives; changed
cells are green, conflicts orange with the proposals in a note, and the sheets 合并记录 (every
event) and 冲突 (every proposal of every conflict) say what happened. The master and the
submissions are only read.

Here is the order of the steps; the work is in merge_gather (reading and comparing the
submissions, on two cores where there are two), merge_out (deciding, and writing OUT with
openpyxl), merge_fast (writing OUT from the master's own XML when no row is inserted: most
merges, several times faster) and merge_result (the report).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from .merge_result import CONFLICT_SHEET, LOG_SHEET, MergeError, MergeResult  # noqa: F401 - the public names


def merge_ledgers(master: Path, inputs: list[Path], out: Path, *, report: Path | None = None,
                  accept_new_rows: bool = False, ledger_type: str | None = None, lang: str = "zh",
                  progress: Callable[[int, int, Path], None] | None = None, fast: bool = True) -> MergeResult:
    """Merge the submissions in `inputs` (files or folders) into `master`, writing `out`.

    Raises MergeError (usage), ReadError (master unreadable), OutputLocked (OUT open in Excel or
    LibreOffice, or another merge into OUT still running after the wait: nothing is written).
    Holds OUT's lock (outlock.py) from before reading MASTER until OUT is written. If OUT is
    MASTER, a timestamped backup of MASTER is made first. OUT and the report are written together
    (safe_write.write_together). `progress(done, total, path)` is called once per submission.
    OUT is made from the master's own XML when the merge allows (merge_fast) and with openpyxl
    otherwise; `fast=False` always takes openpyxl (tests compare the two).
    """
    from taizhang.validator.ledger_types import LedgerTypeError, get_type
    from taizhang.validator.reader import read_ledger

    from .merge_fast import FastPathUnavailable, fast_out
    from .merge_gather import collect, gather, path_key
    from .merge_out import build_out, unkept
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
        files, result.skipped = collect(inputs, {path_key(master), path_key(out)})

        cells, new_rows = gather(base, files, result, progress)

        try:
            if not fast:
                raise FastPathUnavailable("asked for openpyxl")
            made = fast_out(master, out, base, cells, new_rows, accept_new_rows, result)
            result, write = made.result, made.write
        except FastPathUnavailable:
            wb = build_out(master, out, base, cells, new_rows, accept_new_rows, result)
            result.unkept, write = unkept(master, out), wb.save
        ensure_not_held(out)  # opened while we worked: nothing written, not even the backup
        if out.exists() and path_key(out) == path_key(master):
            result.backup = backup(master)
        targets = [(out, write)]
        if report is not None:  # OUT and its report are replaced together or not at all
            text = json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2) + "\n"
            targets.append((Path(report), lambda tmp: tmp.write_text(text, encoding="utf-8")))
        write_together(targets)
    return result

