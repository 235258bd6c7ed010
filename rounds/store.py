"""Where rounds live: one database (SQLite by default, PostgreSQL by URL) and one folder of files.

`Store.open(data_dir)` makes `<data>/taizhang.db` (SQLite, WAL mode, so twenty departments can
upload at once: readers never wait, writers queue behind a busy timeout) or connects to the
`postgresql://` URL given. Files (masters, split files, uploads, merged masters, roll-ups) go to
`<data>/files/` under their SHA-256 and a suffix the server chooses from the file's bytes, never a
name a client sent; a file is complete on disk (temp + rename) before a database row names it, so
a crash leaves at most an unreferenced file, never a row pointing at half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa

from . import schema
from .errors import RoundError

DB_NAME = "taizhang.db"
FILES = "files"
TMP = "tmp"
BUSY_TIMEOUT_MS = 30_000
STALE_TMP_SECONDS = 24 * 3600
_FILE_KEY = re.compile(r"^[0-9a-f]{64}\.(xlsx|xlsm|xls|csv|json)$")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every time this package returns is aware, in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


def default_data_dir() -> Path:
    """TAIZHANG_DATA, else the user's data folder (%LOCALAPPDATA%\\taizhang, ~/.local/share/taizhang)."""
    if os.environ.get("TAIZHANG_DATA"):
        return Path(os.environ["TAIZHANG_DATA"])
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "taizhang"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "taizhang"


def engine_url(data_dir: Path, url: str | None) -> str:
    """The SQLAlchemy URL: SQLite in the data folder by default; postgresql:// uses psycopg 3."""
    if not url:
        return f"sqlite:///{Path(data_dir) / DB_NAME}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("postgresql+psycopg://", "sqlite:")):
        return url
    raise RoundError("bad-url", f"不支持的数据库地址：{url.split('://')[0]}://（支持 sqlite 与 postgresql）",
                     f"unsupported database URL scheme {url.split('://')[0]}:// (sqlite and postgresql are)")


class Store:
    """The database engine and the file folder of one taizhang data directory."""

    def __init__(self, data_dir: Path, engine: sa.Engine):
        self.data_dir = Path(data_dir)
        self.engine = engine
        self.files_dir = self.data_dir / FILES
        self.tmp_dir = self.data_dir / TMP

    @classmethod
    def open(cls, data_dir: Path, url: str | None = None) -> "Store":
        """Open (creating if needed) the store in `data_dir`; `url` selects PostgreSQL instead of SQLite."""
        data_dir = Path(data_dir)
        for d in (data_dir, data_dir / FILES, data_dir / TMP):
            d.mkdir(parents=True, exist_ok=True)
        full = engine_url(data_dir, url)
        if full.startswith("sqlite"):
            engine = sa.create_engine(full, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                                          "check_same_thread": False})
            _sqlite_setup(engine)
        else:
            engine = sa.create_engine(full, pool_pre_ping=True)
        store = cls(data_dir, engine)
        try:
            store._create_schema()
        except sa.exc.OperationalError as exc:
            engine.dispose()
            raise RoundError("db-unavailable", f"无法打开数据库（{_short(exc)}）",
                             f"cannot open the database ({_short(exc)})") from None
        store._clean_tmp()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only transaction (a consistent snapshot)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """One state change: all of it is committed or none. SQLite takes the write lock at BEGIN
        (BEGIN IMMEDIATE), so two writers queue instead of failing on a lock upgrade."""
        with self.engine.connect() as conn:
            conn.execution_options(taizhang_write=True)
            with conn.begin():
                yield conn

    def log(self, conn: sa.Connection, action: str, *, actor: str | None = None, round_id: int | None = None,
            department_id: int | None = None, **detail: Any) -> None:
        """Record a state change in the event log: who, what, when; never cell contents."""
        conn.execute(schema.events.insert().values(
            at=utcnow(), actor=actor, action=action, round_id=round_id, department_id=department_id,
            detail=json.dumps(detail, ensure_ascii=False, default=str)))

    # ------------------------------------------------------------------ files

    def file_path(self, key: str) -> Path:
        """The path of a stored file from its key (`<sha256>.<suffix>`); refuses anything else."""
        if not _FILE_KEY.match(key or ""):
            raise RoundError("bad-file-key", f"文件标识无效：{key!r}", f"invalid file key {key!r}")
        return self.files_dir / key[:2] / key

    def temp_dir(self) -> Path:
        """A fresh private folder under `<data>/tmp/` for work in progress (the caller removes it)."""
        return Path(tempfile.mkdtemp(prefix="work-", dir=self.tmp_dir))

    def put_file(self, source: Path, suffix: str, *, move: bool = False) -> str:
        """Store `source` under its SHA-256; returns its key. The stored file appears whole or not at all."""
        suffix = suffix.lower().lstrip(".")
        digest = sha256_file(source)
        key = f"{digest}.{suffix}"
        target = self.file_path(key)
        if target.exists():
            if move:
                Path(source).unlink(missing_ok=True)
            return key
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".in-", dir=target.parent)
        os.close(fd)
        try:
            if move:
                os.replace(source, tmp_name)
            else:
                shutil.copyfile(source, tmp_name)
            os.chmod(tmp_name, 0o444)
            os.replace(tmp_name, target)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        return key

    # ------------------------------------------------------------------ setup

    def _create_schema(self) -> None:
        """Tables and version in one transaction; service workers opening a new database at once queue
        (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock) instead of racing to create them."""
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(8765014)")
            schema.metadata.create_all(conn, checkfirst=True)
            found = conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))).scalar()
            if found is None:
                conn.execute(schema.schema_version.insert().values(version=schema.SCHEMA_VERSION, applied_at=utcnow()))
            elif found > schema.SCHEMA_VERSION:
                raise RoundError("db-newer", f"数据库由更新版本的 taizhang 创建（结构版本 {found}），请升级 taizhang",
                                 f"the database was made by a newer taizhang (schema {found}); upgrade taizhang")

    def _clean_tmp(self) -> None:
        """Remove work folders a crash left behind (older than a day: a running merge is never that old)."""
        cutoff = time.time() - STALE_TMP_SECONDS
        for entry in self.tmp_dir.iterdir():
            try:
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            except OSError:
                pass


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sqlite_setup(engine: sa.Engine) -> None:
    """WAL (readers never block the writer), a busy timeout, foreign keys, and BEGIN we control."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver's own implicit BEGIN is off: see _begin
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # turning a new database to WAL needs it alone: workers opening it at once can get "database
        # is locked" at once, without the busy timeout's wait (seen in CI with six processes)
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                cur.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("taizhang_write") else "BEGIN")


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
