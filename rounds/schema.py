"""The database tables of collection rounds (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Tables are created on first open; `schema_version` records the layout so a later version can
migrate (or refuse a database newer than itself) without Alembic. Files are never stored in
the database: a `*_file` column holds the server-made name of a file under `<data>/files/`
(its SHA-256 and a suffix), so the database stays small and a file is written before any row
refers to it. The event log holds who, what and when, never cell contents.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 1

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", TS, nullable=False),
)

rounds = sa.Table(
    "rounds", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ledger_id", sa.Integer, nullable=True, index=True),  # the first round of the chain
    sa.Column("previous_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("allow_late", sa.Boolean, nullable=False, default=False),
    sa.Column("state", sa.String(16), nullable=False),  # open | merged | closed
    sa.Column("ledger_type", sa.String(200), nullable=False),
    sa.Column("split_by", sa.String(200), nullable=False),
    sa.Column("master_file", sa.String(80), nullable=False),
    sa.Column("master_name", sa.Text, nullable=False),  # the office's file name: metadata only
    sa.Column("unassigned_rows", sa.Text, nullable=False, default="[]"),  # JSON list of master rows
    sa.Column("merged_file", sa.String(80), nullable=True),
    sa.Column("merged_at", TS, nullable=True),
    sa.Column("rollup_file", sa.String(80), nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.Text, nullable=True),
)

departments = sa.Table(
    "departments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("rows", sa.Text, nullable=False),  # JSON list of the master's Excel rows
    sa.Column("split_file", sa.String(80), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=True, unique=True),  # NULL once revoked
    sa.Column("token_issued_at", TS, nullable=True),
    sa.UniqueConstraint("round_id", "name"),
)

submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
    sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), nullable=False, index=True),
    sa.Column("file", sa.String(80), nullable=False),
    sa.Column("original_name", sa.Text, nullable=False),  # as the client sent it: metadata only
    sa.Column("submitted_at", TS, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False, default=False),
    sa.Column("rows", sa.Integer, nullable=False, default=0),
    sa.Column("errors", sa.Integer, nullable=False, default=0),
    sa.Column("warnings", sa.Integer, nullable=False, default=0),
    sa.Column("findings", sa.Text, nullable=False, default="[]"),  # JSON: Finding.to_dict("zh") + message_en
)

merges = sa.Table(
    "merges", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
    sa.Column("current", sa.Boolean, nullable=False, default=True),  # a later merge of the round supersedes it
    sa.Column("merged_at", TS, nullable=False),
    sa.Column("merged_by", sa.Text, nullable=True),
    sa.Column("out_file", sa.String(80), nullable=False),
    sa.Column("report_file", sa.String(80), nullable=False),
    sa.Column("applied", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("conflicts", sa.Integer, nullable=False),
    sa.Column("new_rows", sa.Integer, nullable=False),
)

changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("merge_id", sa.Integer, sa.ForeignKey("merges.id"), nullable=False, index=True),
    sa.Column("round_id", sa.Integer, sa.ForeignKey("rounds.id"), nullable=False, index=True),
    sa.Column("department_id", sa.Integer, sa.ForeignKey("departments.id"), nullable=True),
    sa.Column("department", sa.Text, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("cell", sa.String(20), nullable=False, index=True),
    sa.Column("row", sa.Integer, nullable=False),
    sa.Column("row_key", sa.String(16), nullable=True, index=True),  # the row's fingerprint: same row in every round
    sa.Column("column", sa.Text, nullable=False),  # the header as the ledger shows it
    sa.Column("old", sa.Text, nullable=True),
    sa.Column("new", sa.Text, nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),  # applied | new-row
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False, index=True),
    sa.Column("actor", sa.Text, nullable=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("round_id", sa.Integer, nullable=True, index=True),
    sa.Column("department_id", sa.Integer, nullable=True),
    sa.Column("detail", sa.Text, nullable=False, default="{}"),  # JSON: counts, file names, reasons; no cell contents
)
