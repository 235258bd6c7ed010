"""Creating rounds, department links and the office's view of who has sent what.

A round is one issue of a ledger to the departments: the master is split (ledgerops.split) into
one file per department, each reached through a link whose token is random, revocable and good
for that round and department only. The next round starts from the merged master of the one
before. Every function here is one state change in one transaction, logged without cell contents.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from . import schema as t
from .errors import NotFound, RoundError, TokenInvalid
from .model import Department, DepartmentStatus, Round, Submission
from .store import Store, utcnow
from .tokens import new_token, token_hash


def display_name(original_name: str | None, default: str = "上传文件") -> str:
    """A client's file name kept as metadata: its last part, printable characters only, at most 200."""
    name = Path(str(original_name or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:200]
    return name or default


# ---------------------------------------------------------------------------- reading

def get_round(store: Store, round_id: int) -> Round:
    """The round with all its departments (tokens not included). Raises NotFound."""
    with store.read() as conn:
        return _load_round(conn, round_id)


def list_rounds(store: Store) -> list[Round]:
    """Every round, newest first, with departments."""
    with store.read() as conn:
        ids = conn.execute(sa.select(t.rounds.c.id).order_by(t.rounds.c.id.desc())).scalars().all()
        return [_load_round(conn, i) for i in ids]


def _load_round(conn: sa.Connection, round_id: int, *, departments: bool = True) -> Round:
    row = conn.execute(sa.select(t.rounds).where(t.rounds.c.id == round_id)).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {round_id} 的报送轮次", f"no round with id {round_id}")
    depts = []
    if departments:
        depts = [Department.from_row(r) for r in conn.execute(
            sa.select(t.departments).where(t.departments.c.round_id == round_id).order_by(t.departments.c.id)).mappings()]
    return Round.from_row(row, depts)


def master_path(store: Store, round_id: int, *, merged: bool = True) -> Path:
    """The round's master file: the merged one when there is one (and `merged`), else the one issued."""
    r = get_round(store, round_id)
    return store.file_path(r.merged_file if merged and r.merged_file else r.master_file)


# ---------------------------------------------------------------------------- creating

def create_round(store: Store, master: Path, name: str, due: date, by: str | None = None, *,
                 split_by: str | None = None, ledger_type: str | None = None, master_name: str | None = None,
                 allow_late: bool = False, previous_id: int | None = None) -> Round:
    """Split `master` into one file per department (column `split_by`, else the type's default) and open a round.

    `by` is who creates it (for the event log). The returned departments carry their new tokens:
    the only time the tokens exist in clear, so the caller hands the links out now. Rows with no
    department are listed in `unassigned_rows` (the office fills them itself). `previous_id` (set
    by next_round) names the round this one continues, which is closed in the same transaction.
    Raises RoundError when the master cannot be read or split.
    """
    from taizhang.ledgerops.split import UNASSIGNED, split_ledger
    from taizhang.ledgerops.xlsx_out import safe_filename
    from taizhang.validator.filecheck import ReadError, sniff

    master = Path(master)
    shown = display_name(master_name or master.name, "总台账.xlsx")
    name = " ".join(str(name).split())
    if not name:
        raise RoundError("bad-name", "请填写报送轮次的名称", "the round needs a name")
    work = store.temp_dir()
    try:
        try:
            kind = sniff(master).kind
            local = work / safe_filename(Path(shown).stem, "." + kind)
            shutil.copyfile(master, local)
            result = split_ledger(local, work / "split", split_by, ledger_type=ledger_type)
        except ReadError as exc:
            raise RoundError("unreadable", f"{shown}：{exc.zh}", f"{shown}: {exc.en}") from None
        master_key = store.put_file(local, kind)
        files = [(f.department, f.rows, store.put_file(f.path, "xlsx")) for f in result.files
                 if f.department != UNASSIGNED]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not files:
        raise RoundError("no-departments", f"{shown}：「{result.by}」列没有任何处室，无法分发",
                         f"{shown}: column '{result.by}' names no department to send to")
    now = utcnow()
    tokens: dict[str, str] = {}
    with store.write() as conn:
        ledger_id = None
        if previous_id is not None:  # the round it continues closes in the same transaction
            prev = _load_round(conn, previous_id, departments=False)
            taken = conn.execute(sa.select(t.rounds.c.name).where(t.rounds.c.previous_id == previous_id)).scalar()
            if taken is not None:
                raise RoundError("has-next", f"「{prev.name}」已有下一轮「{taken}」", f"round '{prev.name}' already continues as '{taken}'")
            ledger_id = prev.ledger_id
            conn.execute(t.rounds.update().where(t.rounds.c.id == previous_id).values(state="closed"))
            store.log(conn, "round-closed", actor=by, round_id=previous_id)
        round_id = conn.execute(t.rounds.insert().values(
            ledger_id=ledger_id, previous_id=previous_id, name=name, due=due, allow_late=allow_late, state="open",
            ledger_type=ledger_type or result.ledger_type, split_by=result.by, master_file=master_key,
            master_name=shown, unassigned_rows=json.dumps(result.unassigned), created_at=now, created_by=by,
        )).inserted_primary_key[0]
        if ledger_id is None:
            conn.execute(t.rounds.update().where(t.rounds.c.id == round_id).values(ledger_id=round_id))
        for dept, rows, key in files:
            tokens[dept] = new_token()
            conn.execute(t.departments.insert().values(
                round_id=round_id, name=dept, rows=json.dumps(rows), split_file=key,
                token_hash=token_hash(tokens[dept]), token_issued_at=now))
        store.log(conn, "round-created", actor=by, round_id=round_id, departments=len(files),
                  master=master_key, master_name=shown, split_by=result.by, due=due.isoformat(),
                  previous_round=previous_id, unassigned_rows=len(result.unassigned))
        created = _load_round(conn, round_id)
    for d in created.departments:
        d.token = tokens[d.name]
    return created


def next_round(store: Store, previous_round_id: int, name: str, due: date, by: str | None = None, *,
               split_by: str | None = None, allow_late: bool = False) -> Round:
    """Open the next round from the previous round's merged master (same ledger, same split column).

    The previous round is closed: its links stop working and it takes no more submissions.
    Raises RoundError("not-merged") when the previous round has not been merged, and
    RoundError("has-next") when it already has a next round.
    """
    prev = get_round(store, previous_round_id)
    if prev.merged_file is None:
        raise RoundError("not-merged", f"上一轮「{prev.name}」尚未合并，不能从它开始下一轮",
                         f"round '{prev.name}' has not been merged: merge it before starting the next round")
    return create_round(store, store.file_path(prev.merged_file), name, due, by,
                        split_by=split_by or prev.split_by, ledger_type=prev.ledger_type,
                        master_name=prev.master_name, allow_late=allow_late, previous_id=prev.id)


def close_round(store: Store, round_id: int, by: str | None = None) -> None:
    """Stop a round: no more submissions, links no longer open. Its files and history stay."""
    with store.write() as conn:
        _load_round(conn, round_id, departments=False)
        conn.execute(t.rounds.update().where(t.rounds.c.id == round_id).values(state="closed"))
        store.log(conn, "round-closed", actor=by, round_id=round_id)


def set_allow_late(store: Store, round_id: int, allow: bool, by: str | None = None) -> None:
    """Let departments still submit after the due date (or stop letting them)."""
    with store.write() as conn:
        _load_round(conn, round_id, departments=False)
        conn.execute(t.rounds.update().where(t.rounds.c.id == round_id).values(allow_late=allow))
        store.log(conn, "late-allowed" if allow else "late-refused", actor=by, round_id=round_id)


# ---------------------------------------------------------------------------- tokens

def department_by_token(store: Store, token: str) -> tuple[Round, Department]:
    """The round and department a link's token opens. Raises TokenInvalid (unknown, revoked, round closed).

    The Round comes back with only this department in `departments`: a department's page must
    never learn the other departments' rows.
    """
    if not token or len(token) > 200:
        raise TokenInvalid()
    with store.read() as conn:
        row = conn.execute(sa.select(t.departments).where(t.departments.c.token_hash == token_hash(token))).mappings().first()
        if row is None:
            raise TokenInvalid()
        dept = Department.from_row(row)
        rnd = _load_round(conn, dept.round_id, departments=False)
    if rnd.state == "closed":
        raise TokenInvalid()
    rnd.departments = [dept]
    return rnd, dept


def revoke_token(store: Store, round_id: int, department_id: int, by: str | None = None) -> None:
    """The department's link stops working at once (reissue_token gives it a new one)."""
    with store.write() as conn:
        _department(conn, round_id, department_id)
        conn.execute(t.departments.update().where(t.departments.c.id == department_id).values(token_hash=None))
        store.log(conn, "token-revoked", actor=by, round_id=round_id, department_id=department_id)


def reissue_token(store: Store, round_id: int, department_id: int, by: str | None = None) -> str:
    """A new token for the department (the old one stops working); returned in clear this once."""
    token = new_token()
    with store.write() as conn:
        _department(conn, round_id, department_id)
        conn.execute(t.departments.update().where(t.departments.c.id == department_id)
                     .values(token_hash=token_hash(token), token_issued_at=utcnow()))
        store.log(conn, "token-reissued", actor=by, round_id=round_id, department_id=department_id)
    return token


def _department(conn: sa.Connection, round_id: int, department_id: int) -> Department:
    row = conn.execute(sa.select(t.departments).where(t.departments.c.id == department_id,
                                                      t.departments.c.round_id == round_id)).mappings().first()
    if row is None:
        raise NotFound(f"报送轮次 {round_id} 中没有编号为 {department_id} 的处室",
                       f"round {round_id} has no department {department_id}")
    return Department.from_row(row)


def download_for_department(store: Store, round_id: int, department_id: int) -> Path:
    """The department's own split file (only its rows). Serve it as `Department.file_name`."""
    with store.read() as conn:
        dept = _department(conn, round_id, department_id)
    return store.file_path(dept.split_file)


# ---------------------------------------------------------------------------- status

def submissions(store: Store, round_id: int, department_id: int | None = None) -> list[Submission]:
    """Accepted submissions of a round (or of one department), oldest first."""
    q = sa.select(t.submissions).where(t.submissions.c.round_id == round_id)
    if department_id is not None:
        q = q.where(t.submissions.c.department_id == department_id)
    with store.read() as conn:
        return [Submission.from_row(r) for r in conn.execute(q.order_by(t.submissions.c.id)).mappings()]


def latest_submissions(store: Store, round_id: int) -> dict[int, Submission]:
    """Department id -> its latest accepted submission: what a merge takes."""
    return {s.department_id: s for s in submissions(store, round_id)}


def round_status(store: Store, round_id: int) -> list[DepartmentStatus]:
    """One line per department: submitted or not, when, how often, errors and warnings of the latest upload."""
    rnd = get_round(store, round_id)
    subs = submissions(store, round_id)
    count: dict[int, int] = {}
    latest: dict[int, Submission] = {}
    for s in subs:
        count[s.department_id] = count.get(s.department_id, 0) + 1
        latest[s.department_id] = s
    out = []
    for d in rnd.departments:
        s = latest.get(d.id)
        st = DepartmentStatus(d.id, d.name, len(d.rows), s is not None, token_active=d.token_active)
        if s is not None:
            st.submitted_at, st.submissions, st.errors, st.warnings = s.submitted_at, count[d.id], s.errors, s.warnings
            st.late, st.original_name = s.late, s.original_name
        out.append(st)
    return out


def chase_list(store: Store, round_id: int) -> list[str]:
    """The 催报 list: departments that have not submitted, in the order of the ledger."""
    return [s.name for s in round_status(store, round_id) if not s.submitted]


def chase_text(store: Store, round_id: int) -> str:
    """The 催报 notice to copy into a message: who has not sent the ledger, and by when it was due."""
    rnd = get_round(store, round_id)
    names = chase_list(store, round_id)
    due = f"{rnd.due.year}年{rnd.due.month}月{rnd.due.day}日"
    if not names:
        return f"《{rnd.name}》各处室均已报送。"
    return (f"《{rnd.name}》截止日期为{due}，以下 {len(names)} 个处室尚未报送，请抓紧报送：" + "、".join(names) + "。")
