"""Who changed this cell, when, from what: the cell history and the event log, read back.

History rows come from merges (merging.py); only the current merge of each round counts, so a
round merged twice does not list its changes twice. A round belongs to a ledger (the chain of
rounds started from one master): `ledger_id` asks about every round of that chain at once.
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from . import schema as t
from .model import Change, Event
from .store import Store, as_utc

_CELL = re.compile(r"^([A-Za-z]{1,3})(\d+)$")
_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")


def cell_history(store: Store, round_id: int | None = None, *, cell: str | None = None, row: int | None = None,
                 column: str | None = None, ledger_id: int | None = None, department: str | None = None,
                 row_key: str | None = None) -> list[Change]:
    """Applied changes, oldest first, narrowed by round (or ledger chain), cell ("G11"), row, column,
    department or row fingerprint.

    `column` is a letter ("G") or a header as the ledger shows it ("推进情况"). Row and cell are
    the master's as merged in that round (rows added in a merge move the rows below them; see
    `follow_cell` for one cell through every round).
    """
    c = t.changes
    q = (sa.select(c, t.rounds.c.name.label("round_name"))
         .join(t.rounds, t.rounds.c.id == c.c.round_id)
         .join(t.merges, t.merges.c.id == c.c.merge_id)
         .where(t.merges.c.current.is_(True)))
    if round_id is not None:
        q = q.where(c.c.round_id == round_id)
    if ledger_id is not None:
        q = q.where(t.rounds.c.ledger_id == ledger_id)
    if cell:
        m = _parse_cell(cell)
        q = q.where(c.c.cell == m.group(1).upper() + m.group(2))
    if row is not None:
        q = q.where(c.c.row == row)
    if department:
        q = q.where(c.c.department == department)
    if row_key:
        q = q.where(c.c.row_key == row_key)
    with store.read() as conn:
        rows = conn.execute(q.order_by(c.c.at, c.c.id)).mappings().all()
    out = [Change(r["round_id"], r["round_name"], r["merge_id"], r["department"], r["file_sha256"], as_utc(r["at"]),
                  r["cell"], r["row"], r["column"], r["old"], r["new"], r["kind"], r["row_key"]) for r in rows]
    if column:
        wanted = column.strip()
        if _LETTERS.match(wanted):
            out = [ch for ch in out if re.sub(r"\d+$", "", ch.cell) == wanted.upper()]
        else:
            out = [ch for ch in out if ch.column == wanted]
    return out


def follow_cell(store: Store, round_id: int, cell: str) -> list[Change]:
    """Every change, in every round of the ledger, to the cell at `cell` of round `round_id`'s master
    (merged if merged): its row is followed by fingerprint, so rows added above it in between
    do not lose its history."""
    from .merging import master_row_keys
    from .workflow import get_round

    m = _parse_cell(cell)
    rnd = get_round(store, round_id)
    key = master_row_keys(store.file_path(rnd.merged_file or rnd.master_file), rnd.ledger_type).get(int(m.group(2)))
    if key is None:  # not a data row of the ledger: only what was recorded at that address
        return cell_history(store, round_id, cell=cell)
    return cell_history(store, ledger_id=rnd.ledger_id, row_key=key, column=m.group(1))


def _parse_cell(cell: str) -> re.Match[str]:
    m = _CELL.match(cell.strip())
    if m is None:
        from .errors import RoundError

        raise RoundError("bad-cell", f"单元格地址无效：{cell}（应如 G11）", f"invalid cell address {cell} (like G11)")
    return m


def events(store: Store, round_id: int | None = None, *, limit: int | None = None) -> list[Event]:
    """The event log (who did what, when; no cell contents), oldest first."""
    q = sa.select(t.events)
    if round_id is not None:
        q = q.where(t.events.c.round_id == round_id)
    q = q.order_by(t.events.c.id)
    if limit is not None:
        q = q.order_by(None).order_by(t.events.c.id.desc()).limit(limit)
    with store.read() as conn:
        rows = conn.execute(q).mappings().all()
    out = [Event(r["id"], as_utc(r["at"]), r["actor"], r["action"], r["round_id"], r["department_id"],
                 json.loads(r["detail"] or "{}")) for r in rows]
    return sorted(out, key=lambda e: e.id)


def render_history(changes: list[Change], lang: str = "zh") -> str:
    """The text `taizhang history` prints: one line per change, local time."""
    if not changes:
        return ("没有找到修改记录。\n" if lang == "zh" else "no changes found.\n")
    lines = []
    for ch in changes:
        when = ch.at.astimezone().strftime("%Y-%m-%d %H:%M")
        old = "（空）" if ch.old in (None, "") else _clip(ch.old)
        new = "（空）" if ch.new in (None, "") else _clip(ch.new)
        sha = (ch.file_sha256 or "")[:12]
        if lang == "zh":
            what = "新增行" if ch.kind == "new-row" else "修改"
            lines.append(f"{when}  {ch.round_name}  {ch.cell}（{ch.column}）  {ch.department}{what}：「{old}」→「{new}」  文件 {sha}")
        else:
            what = "added row" if ch.kind == "new-row" else "changed"
            lines.append(f"{when}  {ch.round_name}  {ch.cell} ({ch.column})  {ch.department} {what}: '{old}' -> '{new}'  file {sha}")
    return "\n".join(lines) + "\n"


def _clip(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
