"""A throw-away PostgreSQL server for the storage tests: Debian's binaries, a temp dir, a unix socket.

`initdb` into a fresh folder under /tmp, `pg_ctl start` listening only on a unix socket in that
folder (no TCP port is opened), trust authentication for the `postgres` role, and `pg_ctl stop`
plus removal at the end of the session. PostgreSQL refuses to run as root, so as root the server
runs as the `postgres` system user the Debian package creates (`runuser -u postgres`).

Install: `apt-get install -y postgresql` (.ci/run does it). Without it the PostgreSQL tests are
skipped with that reason, except under .ci/run (TAIZHANG_CI=1), where a missing server fails.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

MISSING = "PostgreSQL is not installed (apt-get install -y postgresql; .ci/run does it)"


def find_bin(name: str) -> str | None:
    """Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.initdb, self.pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise FileNotFoundError(MISSING)
        self.root = Path(tempfile.mkdtemp(prefix="tzpg-"))
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0
        self._n = 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip()[-2000:]}\n{tail}")

    def start(self) -> "PostgresServer":
        if self.as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        data = self.root / "data"
        self._run(self.initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        opts = f"-k {self.root} -p {self.port} -c listen_addresses='' -c fsync=off -c max_connections=60"
        self._run(self.pg_ctl, "-D", str(data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "-o", opts, "start")
        return self

    def stop(self) -> None:
        try:
            self._run(self.pg_ctl, "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.root}&port={self.port}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        self._n += 1
        name = f"taizhang_test_{self._n}"
        with psycopg.connect(host=str(self.root), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    """The session's PostgreSQL server (started on first use), or a skip outside CI when not installed."""
    try:
        server = PostgresServer().start()
    except FileNotFoundError as exc:
        if os.environ.get("TAIZHANG_CI"):  # .ci/run sets it after installing PostgreSQL
            pytest.fail(f"{exc}: required in CI")
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """None (SQLite in the data folder) or the URL of a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres").new_database()
