"""Run the real `taizhang` command as a child process under a memory cap and a timeout.

Fault tests must see what a user sees: the exit code, stderr's single line, the bytes on disk.
A test that ran the command in-process could not survive the very aborts it looks for.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

TAIZHANG = Path(sys.executable).with_name("taizhang")
MEMORY_CAP = 1536 << 20  # address space: a read that tried to allocate a huge sheet would fail
TIMEOUT = 60


def run(*args: object, cap: int = MEMORY_CAP, timeout: float = TIMEOUT, fsize: int | None = None,
        cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`taizhang ARGS` with RLIMIT_AS = cap (and RLIMIT_FSIZE = fsize); bytes arguments pass as is."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if fsize is not None:
            import signal

            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    argv = [os.fsencode(str(TAIZHANG))] + [a if isinstance(a, bytes) else os.fsencode(str(a)) for a in args]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("TAIZHANG_DEBUG", None)
    return subprocess.run(argv, capture_output=True, timeout=timeout, preexec_fn=limits, cwd=cwd, env=full_env)


def lines(stream: bytes) -> list[str]:
    return [line for line in stream.decode("utf-8").splitlines() if line.strip()]
