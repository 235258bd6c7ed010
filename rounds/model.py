"""What the rounds API returns: plain dataclasses, each with `to_dict()` for JSON front doors.

Times are aware datetimes in UTC; front doors show them in local time. Nothing here touches the
database: `from_row` builds an object from a row the caller selected.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

from .store import as_utc

STATE_LABELS = {"open": "收集中", "merged": "已合并", "closed": "已结束"}


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _as_dict(obj: Any, *times: str) -> dict[str, Any]:
    """A dataclass as JSON-ready dict: its time fields as ISO 8601 text."""
    d = asdict(obj)
    for name in times:
        d[name] = _iso(d[name])
    return d


@dataclass(slots=True)
class Department:
    """One department of a round. `token` is set only right after it was issued (never stored in clear)."""

    id: int
    round_id: int
    name: str
    rows: list[int]  # the master's Excel rows its file holds
    split_file: str
    token_active: bool
    token: str | None = None

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> "Department":
        return cls(r["id"], r["round_id"], r["name"], json.loads(r["rows"]), r["split_file"],
                   r["token_hash"] is not None)

    @property
    def file_name(self) -> str:
        """The name its download should carry (made from the master's department name, never a client's)."""
        from taizhang.ledgerops.xlsx_out import safe_filename

        return safe_filename(self.name, ".xlsx")

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "round_id": self.round_id, "name": self.name, "rows": self.rows,
             "token_active": self.token_active, "file_name": self.file_name}
        if self.token is not None:
            d["token"] = self.token
        return d


@dataclass(slots=True)
class Round:
    id: int
    ledger_id: int
    previous_id: int | None
    name: str
    due: date
    allow_late: bool
    state: str  # open | merged | closed
    ledger_type: str
    split_by: str
    master_file: str
    master_name: str
    unassigned_rows: list[int]
    merged_file: str | None
    merged_at: datetime | None
    rollup_file: str | None
    created_at: datetime
    created_by: str | None
    departments: list[Department] = field(default_factory=list)

    @classmethod
    def from_row(cls, r: Mapping[str, Any], departments: list[Department] | None = None) -> "Round":
        return cls(r["id"], r["ledger_id"] or r["id"], r["previous_id"], r["name"], r["due"], bool(r["allow_late"]),
                   r["state"], r["ledger_type"], r["split_by"], r["master_file"], r["master_name"],
                   json.loads(r["unassigned_rows"] or "[]"), r["merged_file"], as_utc(r["merged_at"]),
                   r["rollup_file"], as_utc(r["created_at"]), r["created_by"], departments or [])

    @property
    def master_download_name(self) -> str:
        """The name to serve the (merged) master under: the roll-up's row links point at this name."""
        from taizhang.ledgerops.xlsx_out import safe_filename

        return safe_filename(Path(self.master_name).stem, Path(self.merged_file or self.master_file).suffix)

    def department(self, name_or_id: str | int) -> Department:
        from .errors import NotFound

        for d in self.departments:
            if d.id == name_or_id or d.name == name_or_id:
                return d
        raise NotFound(f"本轮（{self.name}）没有处室「{name_or_id}」", f"round '{self.name}' has no department '{name_or_id}'")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ledger_id": self.ledger_id, "previous_id": self.previous_id, "name": self.name,
                "due": self.due.isoformat(), "allow_late": self.allow_late, "state": self.state,
                "state_label": STATE_LABELS.get(self.state, self.state), "ledger_type": self.ledger_type,
                "split_by": self.split_by, "master_name": self.master_name,
                "master_download_name": self.master_download_name, "unassigned_rows": self.unassigned_rows,
                "merged": self.merged_file is not None, "merged_at": _iso(self.merged_at),
                "created_at": _iso(self.created_at), "created_by": self.created_by,
                "departments": [d.to_dict() for d in self.departments]}


@dataclass(slots=True)
class Submission:
    id: int
    round_id: int
    department_id: int
    file: str  # stored file key: <sha256>.<suffix>
    original_name: str
    submitted_at: datetime
    late: bool
    rows: int
    errors: int
    warnings: int
    findings: list[dict[str, Any]]  # Finding.to_dict("zh") plus "message_en"

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> "Submission":
        return cls(r["id"], r["round_id"], r["department_id"], r["file"], r["original_name"],
                   as_utc(r["submitted_at"]), bool(r["late"]), r["rows"], r["errors"], r["warnings"],
                   json.loads(r["findings"] or "[]"))

    @property
    def sha256(self) -> str:
        return self.file.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return dict(_as_dict(self, "submitted_at"), sha256=self.sha256)


@dataclass(slots=True)
class DepartmentStatus:
    department_id: int
    name: str
    rows: int  # rows in its file
    submitted: bool
    submitted_at: datetime | None = None
    submissions: int = 0  # how many times it uploaded (accepted uploads)
    errors: int = 0
    warnings: int = 0
    late: bool = False
    token_active: bool = True
    original_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self, "submitted_at")


@dataclass(slots=True)
class Change:
    """One cell a merge changed: who (department and file), when, where, from what to what."""

    round_id: int
    round_name: str
    merge_id: int
    department: str
    file_sha256: str | None
    at: datetime
    cell: str
    row: int
    column: str
    old: str | None
    new: str | None
    kind: str  # applied | new-row
    row_key: str | None = None  # the row's fingerprint: follows the row when rows above it move

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self, "at")


@dataclass(slots=True)
class Event:
    id: int
    at: datetime
    actor: str | None
    action: str
    round_id: int | None
    department_id: int | None
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return _as_dict(self, "at")


@dataclass(slots=True)
class MergeOutcome:
    """A round's merge: the stored merged master and what the three-way merge did (`report`)."""

    round_id: int
    merge_id: int
    merged_file: str
    report: dict[str, Any]  # MergeResult.to_dict("zh"): applied, rejected, conflicts, new_rows, findings ...
    summary_zh: str
    summary_en: str
    merged_departments: list[str]
    missing: list[str]  # departments with no submission

    @property
    def applied(self) -> int:
        return len(self.report["applied"])

    @property
    def conflicts(self) -> int:
        return len(self.report["conflicts"])

    @property
    def rejected(self) -> int:
        return len(self.report["rejected"])

    @property
    def needs_attention(self) -> bool:
        """Conflicts, rejected changes, skipped files or errors in cells this merge wrote (as `taizhang merge` exits 1)."""
        s = self.report["summary"]
        brought = sum(1 for f in self.report["findings"] if f["severity"] == "error" and f.get("changed"))
        return bool(s["conflicts"] or s["rejected"] or s["skipped"] or brought)

    def to_dict(self) -> dict[str, Any]:
        return {"round_id": self.round_id, "merge_id": self.merge_id, "merged_departments": self.merged_departments,
                "missing": self.missing, "report": self.report, "summary": self.summary_zh}


@dataclass(slots=True)
class RollupOutcome:
    round_id: int
    rollup_file: str
    report: dict[str, Any]  # Rollup.to_dict()
    summary_zh: str

    def to_dict(self) -> dict[str, Any]:
        return {"round_id": self.round_id, "report": self.report, "summary": self.summary_zh}
