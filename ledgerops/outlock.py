"""One writer per output: an OS lock held on a small file beside OUT while a merge runs.

Two merges into one output that both read the master before either wrote it would both report
success, and the second would silently drop the first one's edits. So a merge takes this lock
before it reads anything; a second one waits (TAIZHANG_LOCK_WAIT seconds, default 30) for the
first to finish and then reads what it wrote, or stops with one line saying who holds it.

The lock is the operating system's (flock, or msvcrt on Windows), not the file's existence: it
ends with the process however the process ends, so a lock file left by a crash (kill -9, power
cut) is stale, carries no lock, and is taken over and removed by the next merge.
"""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from .safe_write import OutputLocked

LOCK_PREFIX = ".~taizhang."
LOCK_SUFFIX = ".lock"
DEFAULT_WAIT = 30.0
_WIN_LOCK_OFFSET = 1 << 30  # Windows locks a byte range: lock one far past the holder's note


def lock_path(out: Path) -> Path:
    """The lock file of an output: hidden beside it, so merge's folder scan skips it."""
    out = Path(out)
    return out.with_name(f"{LOCK_PREFIX}{out.name}{LOCK_SUFFIX}")


def default_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("TAIZHANG_LOCK_WAIT", DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


@contextmanager
def exclusive(out: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of `out` for the block; raise OutputLocked if another holder keeps it past `wait`."""
    out = Path(out)
    path = lock_path(out)
    wait = default_wait() if wait is None else wait
    deadline = time.monotonic() + wait
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        if _try_lock(fd):
            if _still_linked(fd, path):
                break
            _unlock(fd)  # the previous holder removed it as we locked: take the new one
        os.close(fd)
        if time.monotonic() >= deadline:
            raise OutputLocked(f"{out}：另一个合并正在写入这个文件（{_holder(path)}），等待 {wait:g} 秒后仍未结束；"
                               "请等它完成后再试，未写入任何内容。")
        time.sleep(0.2)
    try:
        note = f"{os.getpid()} {socket.gethostname()} {datetime.now().isoformat(timespec='seconds')}\n"
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, note.encode("utf-8"))
        yield
    finally:
        if os.name != "nt":
            _remove(path)  # still locked: a waiter that opens it now finds it unlinked and retries
        _unlock(fd)
        os.close(fd)
        if os.name == "nt":
            _remove(path)  # Windows cannot remove an open file


def _try_lock(fd: int) -> bool:
    if os.name == "nt":
        import msvcrt

        try:
            os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    if os.name == "nt":
        import msvcrt

        try:
            os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def _still_linked(fd: int, path: Path) -> bool:
    if os.name == "nt":
        return True
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def _holder(path: Path) -> str:
    """The holder's note as the user reads it: process, computer, since when."""
    try:
        pid, host, since = path.read_text(encoding="utf-8").split()[:3]
        return f"进程 {pid}，计算机 {host}，开始于 {since.replace('T', ' ')}"
    except (OSError, ValueError):
        return "另一个进程"


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
