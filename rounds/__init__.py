"""Collection rounds (报送轮次): issue a ledger to departments, collect, merge, roll up, remember who changed what.

Core package: no web framework, no typer. cli.py and the service are thin front doors over it.

API (plain Python; every state change is one DB transaction and one event-log entry)::

    store = Store.open(data_dir, url=None)          # SQLite <data>/taizhang.db, or url="postgresql://..."
    rnd = create_round(store, master, "2019年第二季度", due, by="体改处", split_by="责任单位")
        # -> Round; rnd.departments[i].token is the department's link token (in clear only now)
    rnd, dept = department_by_token(store, token)   # raises TokenInvalid; rnd.departments == [dept]
    revoke_token(store, round_id, dept_id, by=...); token = reissue_token(store, round_id, dept_id, by=...)
    path = download_for_department(store, round_id, dept_id)   # serve as dept.file_name
    sub = submit(store, round_id, dept_id, upload_path, original_name)   # -> Submission (findings, counts)
        # raises SubmissionRejected(code: closed|late|too-large|unreadable|wrong-ledger|wrong-department|other-rows)
    round_status(store, round_id) -> list[DepartmentStatus]; chase_list(...) -> names; chase_text(...) -> 催报 text
    set_allow_late(store, round_id, True, by=...)
    out = merge_round(store, round_id, by=..., accept_new_rows=False)   # -> MergeOutcome (report, summary)
    roll = rollup_round(store, round_id, as_of=None, by=...)            # -> RollupOutcome (against the previous round)
    nxt = next_round(store, previous_round_id, name, due, by=...)        # from the merged master; closes the previous
    cell_history(store, round_id=None, cell="G11", row=None, column=None, ledger_id=None) -> list[Change]
    follow_cell(store, round_id, "G11") -> list[Change]        # that cell's row in every round of its ledger
    events(store, round_id=None) -> list[Event]                          # who, what, when; no cell contents
    get_round / list_rounds / submissions / latest_submissions / merge_report / master_path / close_round
    store.file_path(key) -> Path of a stored file (Round.master_file, merged_file, rollup_file, Submission.file);
        serve the master as Round.master_download_name (the roll-up links to it), a department's file as Department.file_name

Errors are RoundError subclasses (a LedgerOpError: `.zh`, `.en`, `.message(lang)`, `.code`).
"""

from .errors import NotFound, RoundError, SubmissionRejected, TokenInvalid
from .history import cell_history, events, follow_cell, render_history
from .merging import merge_report, merge_round, rollup_round
from .model import Change, Department, DepartmentStatus, Event, MergeOutcome, RollupOutcome, Round, Submission
from .store import Store
from .submit import MAX_UPLOAD_BYTES, submit
from .workflow import (chase_list, chase_text, close_round, create_round, department_by_token, download_for_department,
                       get_round, latest_submissions, list_rounds, master_path, next_round, reissue_token,
                       revoke_token, round_status, set_allow_late, submissions)

__all__ = [
    "Change", "Department", "DepartmentStatus", "Event", "MAX_UPLOAD_BYTES", "MergeOutcome", "NotFound",
    "RollupOutcome", "Round", "RoundError", "Store", "Submission", "SubmissionRejected", "TokenInvalid",
    "cell_history", "chase_list", "chase_text", "close_round", "create_round", "department_by_token",
    "download_for_department", "events", "follow_cell", "get_round", "latest_submissions", "list_rounds", "master_path",
    "merge_report", "merge_round", "next_round", "reissue_token", "render_history", "revoke_token", "rollup_round",
    "round_status", "set_allow_late", "submissions", "submit",
]
