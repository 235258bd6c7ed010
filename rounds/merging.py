"""Merge a round's submissions into its master, and roll the result up; history cell by cell.

The merge is ledgerops.merge's three-way merge, unchanged: the base is the master as issued,
each department's latest upload a submission, conflicts and locked-column edits reported and
never applied. It runs in a private work folder; only the finished workbook is stored (under its
hash), and one transaction then records the merge, every applied cell (round, department, file
hash, time, cell, old, new) and the round's new state. A crash before that commit leaves the
round as it was; a second merge of the same round supersedes the first (its changes stay, marked
not current).
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import schema as t
from .errors import RoundError
from .model import MergeOutcome, RollupOutcome
from .store import Store, utcnow
from .workflow import _load_round, latest_submissions


def merge_round(store: Store, round_id: int, by: str | None = None, *, accept_new_rows: bool = False) -> MergeOutcome:
    """Merge the latest submission of every department into the round's issued master.

    Raises RoundError("closed") for a closed round and RoundError("nothing-to-merge") when no
    department has submitted.
    """
    from taizhang.ledgerops.merge import merge_ledgers
    from taizhang.ledgerops.xlsx_out import safe_filename

    with store.read() as conn:
        rnd = _load_round(conn, round_id)
    if rnd.state == "closed":
        raise RoundError("closed", f"《{rnd.name}》已结束，不能再合并", f"round '{rnd.name}' is closed")
    latest = latest_submissions(store, round_id)
    if not latest:
        raise RoundError("nothing-to-merge", f"《{rnd.name}》还没有处室报送，没有可合并的文件",
                         f"no department has submitted to '{rnd.name}' yet")
    names = {d.id: d.name for d in rnd.departments}
    work = store.temp_dir()
    try:
        master = work / "master" / safe_filename(Path(rnd.master_name).stem, Path(rnd.master_file).suffix)
        master.parent.mkdir()
        shutil.copyfile(store.file_path(rnd.master_file), master)
        box = work / "报送"
        box.mkdir()
        source_of: dict[str, tuple[int, str]] = {}  # file name merge reports -> (department id, sha256)
        taken: set[str] = set()
        for dept_id, sub in latest.items():
            local = box / safe_filename(names[dept_id], Path(sub.file).suffix, taken)
            shutil.copyfile(store.file_path(sub.file), local)
            source_of[local.name] = (dept_id, sub.sha256)
        out = work / "merged.xlsx"
        result = merge_ledgers(master, [box], out, accept_new_rows=accept_new_rows, ledger_type=rnd.ledger_type)
        report = result.to_dict("zh")
        report_file = work / "report.json"
        report_file.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        row_keys = master_row_keys(out, rnd.ledger_type)
        out_key = store.put_file(out, "xlsx", move=True)
        report_key = store.put_file(report_file, "json", move=True)
        summary_zh, summary_en = result.summary_text("zh"), result.summary_text("en")
        written = set(result.changed_cells)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary_zh = summary_zh.replace(str(out), rnd.master_name)
    summary_en = summary_en.replace(str(out), rnd.master_name)
    letters = _letters(store, rnd)

    now = utcnow()
    with store.write() as conn:
        conn.execute(t.merges.update().where(t.merges.c.round_id == round_id).values(current=False))
        merge_id = conn.execute(t.merges.insert().values(
            round_id=round_id, current=True, merged_at=now, merged_by=by, out_file=out_key, report_file=report_key,
            applied=len(result.applied), rejected=len(result.rejected), conflicts=len(result.conflicts),
            new_rows=len(result.new_rows))).inserted_primary_key[0]
        rows = [dict(r, row_key=row_keys.get(r["row"])) for r in _change_rows(report, source_of, names, letters, written)]
        if rows:
            conn.execute(t.changes.insert(), [dict(r, merge_id=merge_id, round_id=round_id, at=now) for r in rows])
        conn.execute(t.rounds.update().where(t.rounds.c.id == round_id)
                     .values(state="merged", merged_file=out_key, merged_at=now))
        store.log(conn, "round-merged", actor=by, round_id=round_id, merge=merge_id, file=out_key,
                  submissions=len(latest), applied=len(result.applied), rejected=len(result.rejected),
                  conflicts=len(result.conflicts), new_rows=len(result.new_rows), skipped=len(result.skipped))
    merged = [names[d] for d in latest]
    missing = [d.name for d in rnd.departments if d.id not in latest]
    return MergeOutcome(round_id, merge_id, out_key, report, summary_zh, summary_en, merged, missing)


def master_row_keys(path: Path, ledger_type: str) -> dict[int, str]:
    """Excel row -> fingerprint (key and locked text) in a merged master: the row's identity in
    every later round, however rows above it move."""
    from taizhang.ledgerops.matching import fingerprints
    from taizhang.validator.reader import read_ledger
    from taizhang.validator.validate import Options, resolve_type

    ledger = read_ledger(path, ledger_type=resolve_type(Options(ledger_type=ledger_type)))
    return dict(zip(ledger.rows, fingerprints(ledger)))


def _letters(store: Store, rnd: Any) -> dict[str, tuple[str, str]]:
    """Column name (the type's) -> (letter, header) in the master, for the cells of added rows."""
    from .submit import issued_master

    base = issued_master(store, rnd.master_file, rnd.ledger_type)
    return {name: (col.letter, col.header) for name, col in base.columns.items()}


def _change_rows(report: dict[str, Any], source_of: dict[str, tuple[int, str]], names: dict[int, str],
                 letters: dict[str, tuple[str, str]], written: set[str]):
    """One history row per applied cell and per department that proposed it; added rows cell by cell
    (the cells merge wrote: a row joining a task leaves the task's merged cells to the task)."""
    def who(source: str) -> tuple[int | None, str, str | None]:
        dept_id, sha = source_of.get(source, (None, None))
        return dept_id, names.get(dept_id, source) if dept_id is not None else source, sha

    for a in report["applied"]:
        for source in a.get("sources") or [a["source"]]:
            dept_id, dept, sha = who(source)
            yield {"department_id": dept_id, "department": dept, "file_sha256": sha, "cell": a["cell"],
                   "row": a["row"], "column": a["column"], "old": a["old"], "new": a["new"], "kind": "applied"}
    for n in report["new_rows"]:
        if not n.get("added"):
            continue
        dept_id, dept, sha = who(n["source"])
        for name, value in n["values"].items():
            letter, header = letters.get(name, ("", ""))
            if f"{letter}{n['row']}" in written:
                yield {"department_id": dept_id, "department": dept, "file_sha256": sha,
                       "cell": f"{letter}{n['row']}", "row": n["row"], "column": header, "old": None,
                       "new": value, "kind": "new-row"}


def merge_report(store: Store, round_id: int) -> dict[str, Any] | None:
    """The current merge's full report (applied, rejected, conflicts, new rows, findings), or None."""
    with store.read() as conn:
        key = conn.execute(sa.select(t.merges.c.report_file).where(t.merges.c.round_id == round_id,
                                                                   t.merges.c.current.is_(True))).scalar()
    if key is None:
        return None
    return json.loads(store.file_path(key).read_text(encoding="utf-8"))


def rollup_round(store: Store, round_id: int, as_of: date | None = None, by: str | None = None, *,
                 previous_round_id: int | None = None) -> RollupOutcome:
    """Roll up the round's master (merged if merged) as of `as_of` (today), against the previous round.

    The previous round (by default the one this round was started from) is compared through its
    own merged master, rolled up as of the same date, so the change columns show what the
    departments reported between the rounds. The roll-up workbook is stored and recorded.
    """
    from taizhang.ledgerops.rollup import render_summary, rollup
    from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx
    from taizhang.ledgerops.xlsx_out import safe_filename
    from taizhang.validator.filecheck import ReadError

    as_of = as_of or date.today()
    with store.read() as conn:
        rnd = _load_round(conn, round_id, departments=False)
        prev_id = previous_round_id if previous_round_id is not None else rnd.previous_id
        prev = _load_round(conn, prev_id, departments=False) if prev_id is not None else None
    work = store.temp_dir()
    try:
        stem = Path(rnd.master_name).stem
        source = rnd.merged_file or rnd.master_file
        master = work / rnd.master_download_name  # the roll-up's row links name the master by this
        shutil.copyfile(store.file_path(source), master)
        previous = None
        if prev is not None:
            psource = prev.merged_file or prev.master_file
            previous = work / "previous" / safe_filename(f"{stem}（{prev.name}）", Path(psource).suffix)
            previous.parent.mkdir()
            shutil.copyfile(store.file_path(psource), previous)
        try:
            result = rollup(master, as_of, previous, ledger_type=rnd.ledger_type)
        except ReadError as exc:
            raise RoundError("unreadable", exc.zh, exc.en) from None
        out = work / "rollup.xlsx"
        write_rollup_xlsx(result, out)
        key = store.put_file(out, "xlsx", move=True)
        report = result.to_dict()
        summary = render_summary(result, "zh")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with store.write() as conn:
        conn.execute(t.rounds.update().where(t.rounds.c.id == round_id).values(rollup_file=key))
        store.log(conn, "rolled-up", actor=by, round_id=round_id, file=key, as_of=as_of.isoformat(),
                  previous_round=prev.id if prev else None)
    return RollupOutcome(round_id, key, report, summary)
