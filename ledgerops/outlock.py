"""One writer per output: an OS lock held while a merge runs, taken before it reads anything.

Two merges into one output that both read the master before either wrote it would both report
success, and the second would silently drop the first one's edits. So a merge takes this lock
before it reads anything; a second one waits (TAIZHANG_LOCK_WAIT seconds, default 30) for the
first to finish and then reads what it wrote, or stops with one line.

The lock is the operating system's, so it ends with the process however the process ends
(kill -9, power cut). On Linux and macOS it is a flock on OUT's folder itself: nothing is created,
so nothing is left behind, and merges writing into one folder take turns. Where a folder cannot
be locked (Windows, some network shares) it is a lock file beside OUT, locked with msvcrt or
flock; one left by a crash is stale, carries no lock, and is taken over by the next merge.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .safe_write import OutputLocked

LOCK_PREFIX = ".~taizhang."
LOCK_SUFFIX = ".lock"
DEFAULT_WAIT = 30.0
_WIN_LOCK_OFFSET = 1 << 30  # Windows locks a byte range: one far past the end, so the file stays readable


def lock_path(out: Path) -> Path:
    """The lock file of an output where its folder cannot be locked: hidden, merge's scan skips it."""
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
    wait = default_wait() if wait is None else wait
    deadline = time.monotonic() + wait
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = os.name != "nt"
    while True:
        fd, path = _open_lock(out, folder)
        try:
            got = _try_lock(fd)
        except OSError:  # a folder this system cannot lock (some network shares): a lock file instead
            os.close(fd)
            folder = False
            continue
        if got:
            if path is None or _still_linked(fd, path):
                break
            _unlock(fd)  # the previous holder removed its file as we locked it: take the new one
        os.close(fd)
        if time.monotonic() >= deadline:
            raise OutputLocked(f"{out}：另一个合并正在写入这个文件夹，等待 {wait:g} 秒后仍未结束；"
                               "请等它完成后再试，未写入任何内容。")
        time.sleep(0.2)
    try:
        yield
    finally:
        if path is not None and os.name != "nt":
            _remove(path)  # still locked: a waiter that opens it now finds it unlinked and retries
        _unlock(fd)
        os.close(fd)
        if path is not None and os.name == "nt":
            _remove(path)  # Windows cannot remove an open file


def _open_lock(out: Path, folder: bool) -> tuple[int, Path | None]:
    """An fd to lock: OUT's folder, or a lock file beside OUT (returned with its path)."""
    if folder:
        return os.open(out.parent, os.O_RDONLY), None
    path = lock_path(out)
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o666), path


def _try_lock(fd: int) -> bool:
    """True if locked, False if another process holds it; OSError if this fd cannot be locked."""
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
    except BlockingIOError:
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


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
