"""A department's upload: checked like any file the CLI reads, validated, and kept only if it is theirs.

An upload goes through, in order: the round still takes files (not closed; not past the due
date unless the office allows late files); the bytes (size cap, then validator.filecheck via
read_ledger: zip bombs, XML entities, passwords, renamed files); this ledger (its header, rows that
match the master); this department (a split file naming another department is refused; a changed
cell in a row issued to another department refuses the whole upload, naming the cells). What
passes is stored under its hash with its findings; a department may upload again until the due
date and the latest upload is what a merge takes. Validation errors do not refuse an upload:
the department sees them and fixes them, and the office sees the counts.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import schema as t
from .errors import SubmissionRejected
from .model import Submission
from .store import Store, utcnow
from .workflow import _department, _load_round, display_name

if TYPE_CHECKING:
    from taizhang.validator.reader import Ledger

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a real ledger is a few MB; a 20,000-row one about 2 MB
MAX_FOREIGN_CELLS_SHOWN = 10


def submit(store: Store, round_id: int, department_id: int, upload: Path, original_name: str,
           *, today: date | None = None) -> Submission:
    """Check, validate and store a department's upload; returns it with its findings.

    `upload` is a file the caller saved (any name); `original_name` is what the client called
    it, kept as metadata only. Raises SubmissionRejected (code: closed, late, too-large,
    unreadable, wrong-ledger, wrong-department, other-rows) with a message naming the problem.
    """
    from taizhang.validator.filecheck import SPREADSHEET_SUFFIXES, ReadError

    today = today or date.today()
    with store.read() as conn:
        rnd = _load_round(conn, round_id, departments=False)
        dept = _department(conn, round_id, department_id)
    shown = display_name(original_name)
    if rnd.state == "closed":
        _refuse(store, rnd, dept, "closed", f"《{rnd.name}》已结束，不再接收报送",
                f"round '{rnd.name}' is closed and takes no more files")
    late = today > rnd.due
    if late and not rnd.allow_late:
        _refuse(store, rnd, dept, "late",
                f"《{rnd.name}》已于 {rnd.due.year}年{rnd.due.month}月{rnd.due.day}日截止，不再接收报送；如需补报，请联系牵头处室开放补报",
                f"round '{rnd.name}' closed for submissions on {rnd.due.isoformat()}; ask the office to allow a late file")
    size = Path(upload).stat().st_size
    if size > MAX_UPLOAD_BYTES:
        _refuse(store, rnd, dept, "too-large",
                f"{shown}：文件过大（{size / 2**20:.1f} MB，上限 {MAX_UPLOAD_BYTES // 2**20} MB）",
                f"{shown}: the file is too large ({size / 2**20:.1f} MB, limit {MAX_UPLOAD_BYTES // 2**20} MB)")

    suffix = Path(shown).suffix.lower()
    work = store.temp_dir()
    try:
        # our own copy under a name we chose: the reader goes by the suffix only for CSV
        local = work / ("upload" + (suffix if suffix in SPREADSHEET_SUFFIXES else ".bin"))
        shutil.copyfile(upload, local)
        try:
            ledger, findings = _read_and_validate(local, rnd.ledger_type)
        except ReadError as exc:
            _refuse(store, rnd, dept, "unreadable", f"{shown}：{exc.zh}", f"{shown}: {exc.en}")
        _check_belongs(store, rnd, dept, ledger, shown)
        kind = _stored_suffix(local, suffix)
        key = store.put_file(local, kind, move=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = sum(1 for f in findings if f["severity"] == "warning")
    with store.write() as conn:
        if _load_round(conn, round_id, departments=False).state == "closed":  # closed while we validated
            raise SubmissionRejected("closed", f"《{rnd.name}》已结束，不再接收报送", f"round '{rnd.name}' is closed")
        sub_id = conn.execute(t.submissions.insert().values(
            round_id=rnd.id, department_id=dept.id, file=key, original_name=shown, submitted_at=utcnow(),
            late=late, rows=len(ledger), errors=errors, warnings=warnings,
            findings=json.dumps(findings, ensure_ascii=False, default=str))).inserted_primary_key[0]
        store.log(conn, "submitted", actor=dept.name, round_id=rnd.id, department_id=dept.id, submission=sub_id,
                  file=key, original_name=shown, rows=len(ledger), errors=errors, warnings=warnings, late=late)
        row = conn.execute(t.submissions.select().where(t.submissions.c.id == sub_id)).mappings().one()
    return Submission.from_row(row)


def _refuse(store: Store, rnd: Any, dept: Any, code: str, zh: str, en: str, cells: list[str] | None = None) -> None:
    """Log the refusal (reason only) and raise it."""
    with store.write() as conn:
        store.log(conn, "submission-refused", actor=dept.name, round_id=rnd.id, department_id=dept.id,
                  reason=code, cells=len(cells or []))
    raise SubmissionRejected(code, zh, en, cells)


def _read_and_validate(path: Path, ledger_type: str) -> tuple["Ledger", list[dict[str, Any]]]:
    """Read with the CLI's reader (hostile-file checks first) and validate as `taizhang validate` does."""
    from taizhang.validator.reader import read_ledger
    from taizhang.validator.units import RegistryError
    from taizhang.validator.validate import Options, resolve_type, validate_ledger
    from taizhang.validator.filecheck import ReadError

    options = Options(ledger_type=ledger_type)
    try:
        ledger = read_ledger(path, ledger_type=resolve_type(options))
        found, _ = validate_ledger(ledger, options)
    except RegistryError as exc:
        raise ReadError("unreadable-file", str(exc), str(exc)) from None
    except (MemoryError, RecursionError, Exception) as exc:
        if isinstance(exc, ReadError) or os.environ.get("TAIZHANG_DEBUG"):
            raise
        detail = f"{type(exc).__name__}: {exc}"[:200]
        raise ReadError("internal-error", f"文件无法处理（{detail}），请报告此问题",
                        f"the file could not be processed ({detail}); please report it") from None
    findings = []
    for f in found:
        d = f.to_dict("zh")
        d["message_en"] = f.message("en")
        findings.append(d)
    return ledger, findings


def _stored_suffix(path: Path, suffix: str) -> str:
    from taizhang.validator.filecheck import sniff

    kind = sniff(path).kind
    return "xlsm" if kind == "xlsx" and suffix == ".xlsm" else kind


# ---------------------------------------------------------------------------- is it theirs?

_masters: dict[str, "Ledger"] = {}
_masters_lock = threading.Lock()
MASTERS_CACHED = 8


def issued_master(store: Store, key: str, ledger_type: str) -> "Ledger":
    """The round's master as read (cached by file hash: it never changes under its key)."""
    from taizhang.validator.reader import read_ledger
    from taizhang.validator.validate import Options, resolve_type

    cache_key = f"{store.data_dir}:{key}:{ledger_type}"
    with _masters_lock:
        hit = _masters.get(cache_key)
    if hit is not None:
        return hit
    ledger = read_ledger(store.file_path(key), ledger_type=resolve_type(Options(ledger_type=ledger_type)))
    with _masters_lock:
        if len(_masters) >= MASTERS_CACHED:
            _masters.pop(next(iter(_masters)))
        _masters[cache_key] = ledger
    return ledger


def _check_belongs(store: Store, rnd: Any, dept: Any, ledger: "Ledger", shown: str) -> None:
    """Refuse an upload that is another ledger, another department's file, or edits others' rows."""
    from taizhang.ledgerops.matching import match_rows

    named = ledger.metadata.get("department")
    if named and named != dept.name:
        _refuse(store, rnd, dept, "wrong-department",
                f"{shown}：这是分发给「{named}」的文件，请上传本处室（{dept.name}）的文件",
                f"{shown}: this file was issued to '{named}'; upload the file of {dept.name}")
    base = issued_master(store, rnd.master_file, rnd.ledger_type)
    match = match_rows(base, ledger)
    if not match.pairs:
        _refuse(store, rnd, dept, "wrong-ledger",
                f"{shown}：没有一行与本轮台账对应，不是《{rnd.name}》的报送文件",
                f"{shown}: no row matches this round's ledger: not a file of '{rnd.name}'")
    own = set(dept.rows)
    foreign: list[str] = []
    for s, b in sorted(match.pairs.items()):
        if base.rows[b] in own:
            continue
        for name, col in ledger.columns.items():
            if name in base.columns and ledger.values[name][s] != base.values[name][b] and ledger.origin[name][s] == ledger.rows[s]:
                foreign.append(f"{col.letter}{ledger.rows[s]}")
    if foreign:
        shown_cells = "、".join(foreign[:MAX_FOREIGN_CELLS_SHOWN]) + ("等" if len(foreign) > MAX_FOREIGN_CELLS_SHOWN else "")
        _refuse(store, rnd, dept, "other-rows",
                f"{shown}：修改了不属于本处室（{dept.name}）的行（{shown_cells}），整份文件未接收；请只填写本处室的行后重新上传",
                f"{shown}: it changes rows not issued to {dept.name} ({', '.join(foreign[:MAX_FOREIGN_CELLS_SHOWN])}); "
                f"nothing was accepted; fill in only your own rows and upload again", foreign)
