"""Write output files so that nothing is ever lost.

Outputs go to a temporary file in the target folder and are renamed into place, so a crash
leaves either the old file or the new one, never half of each. A target that is a device or a pipe
(`-o /dev/null`, `-o /dev/stdout`) is written into directly: a rename would replace the device
itself with a regular file. A symlink keeps pointing at the new file. A file Excel holds open (Excel
puts a `~$name.xlsx` lock file beside it) is not overwritten: Excel would keep its own copy and
the user would lose one of the two.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import stat
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Callable


class OutputLocked(Exception):
    """The target is open in Excel; the message says which file and what to do."""


class NotRegularOutput(OSError):
    """The target exists and is neither a regular file, a character device nor a FIFO."""


def lock_file(path: Path) -> Path:
    # Excel's owner file replaces the first two characters of long names with "~$".
    name = path.name
    return path.with_name("~$" + (name[2:] if len(name) > 2 and len(path.stem) > 7 else name))


def is_open_in_excel(path: Path) -> bool:
    path = Path(path)
    return lock_file(path).exists() or path.with_name("~$" + path.name).exists()


def ensure_writable(path: Path) -> None:
    if is_open_in_excel(path):
        raise OutputLocked(f"{path}：文件正在 Excel 中打开（旁边有 ~$ 锁定文件），请先关闭后再试；未写入任何内容。")


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` then rename tmp over `path`. Refuses a target Excel holds open.

    An OSError (no such folder, no permission, disk full) is raised naming `path`, not the
    temporary file, so the message points at what the user asked for.
    """
    path = Path(path)
    ensure_writable(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        _write_special(path, mode, write)  # /dev/null, a pipe: a rename would replace the device
        return path
    named = path
    if path.is_symlink():  # replace the file the link points at, and keep the link
        path = Path(os.path.realpath(path))
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".taizhang-", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; shared folders need the usual mode
        os.replace(tmp, path)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror or str(exc), str(named)) from None
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    return named


def _write_special(path: Path, mode: int, write: Callable[[Path], None]) -> None:
    """Write straight into a character device or a FIFO that has a reader; refuse anything else."""
    if not (stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
        raise NotRegularOutput(errno.EINVAL, "not a regular file, a device or a pipe", str(path))
    try:
        flags = os.O_WRONLY | (os.O_NONBLOCK if stat.S_ISFIFO(mode) else 0)
        fd = os.open(path, flags)  # a FIFO nobody reads fails here (ENXIO) instead of hanging
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    try:
        if stat.S_ISFIFO(mode):
            os.set_blocking(fd, True)
        with tempfile.TemporaryDirectory(prefix="taizhang-") as tmp:
            staged = Path(tmp) / ("out" + path.suffix)
            write(staged)
            with staged.open("rb") as src, os.fdopen(fd, "wb", closefd=False) as dst:
                shutil.copyfileobj(src, dst)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    finally:
        os.close(fd)


_OS_ERRORS_ZH = {
    errno.ENOENT: "文件夹不存在", errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限",
    errno.EISDIR: "这是一个文件夹，不是文件", errno.ENOSPC: "磁盘空间不足", errno.EROFS: "位于只读的磁盘上",
    errno.ENOTDIR: "路径中有一段不是文件夹", errno.EFBIG: "文件超出允许的大小", errno.EDQUOT: "磁盘配额已用完",
    errno.ENXIO: "这是命名管道，但没有程序在读取它",
}


def os_error_message(exc: OSError, lang: str = "zh") -> str:
    """One line naming the file and what went wrong, for a failed write."""
    where = exc.filename or ""
    if lang == "zh":
        reason = "不是普通文件（如套接字或块设备），拒绝写入" if isinstance(exc, NotRegularOutput) else \
            _OS_ERRORS_ZH.get(exc.errno, exc.strerror or str(exc))
        return f"无法写入 {where}：{reason}"
    return f"cannot write {where}: {exc.strerror or exc}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def backup(path: Path) -> Path:
    """Copy `path` to a timestamped sibling before it is replaced; returns the copy's path."""
    path = Path(path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.备份-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.备份-{stamp}-{n}{path.suffix}")
        n += 1
    # copied under a temporary name first: a full disk leaves no truncated backup behind
    write_atomic(target, lambda tmp: shutil.copy2(path, tmp))
    return target


# ----------------------------------------------------------------------------- several outputs at once

def held_open_by(path: Path) -> str | None:
    """Which program holds `path` open, by the lock file it puts beside it; None if none does.

    Excel and WPS write `~$name.xlsx`, LibreOffice `.~lock.name.xlsx#`: overwriting the file
    under them loses whatever the user saves next, or what we wrote.
    """
    path = Path(path)
    if is_open_in_excel(path):
        return "Excel / WPS"
    if path.with_name(f".~lock.{path.name}#").exists():
        return "LibreOffice"
    return None


def ensure_not_held(path: Path) -> None:
    """Raise OutputLocked (one line, nothing written) if another program holds `path` open."""
    program = held_open_by(path)
    if program is not None:
        flag = "~$" if program.startswith("Excel") else ".~lock"
        raise OutputLocked(f"{path}：文件正在 {program} 中打开（旁边有 {flag} 锁定文件），请先关闭后再试；未写入任何内容。")


def check_targets(paths: list[Path]) -> None:
    """Refuse, before any work, outputs that cannot be written: open in another program, a folder,
    or something that is neither a regular file, a character device nor a FIFO (a socket)."""
    for path in map(Path, paths):
        ensure_not_held(path)
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        mode = _mode(path)
        if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise NotRegularOutput(errno.EINVAL, "不是普通文件、设备或管道，不能写入", str(path))


def _mode(path: Path) -> int | None:
    try:
        return os.stat(path).st_mode
    except OSError:
        return None


def write_together(targets: list[tuple[Path, Callable[[Path], None]]],
                   run: Callable[[list[Callable[[], None]]], None] | None = None) -> list[Path]:
    """Write several files so that all of them are replaced, or none (a report with its workbook,
    a department's files with each other).

    Every file is written in full first, to an unnamed temporary file in its own folder (Linux's
    O_TMPFILE: a crash, even kill -9, leaves nothing behind) or, where that is not available, a
    hidden temporary one; only then are they renamed into place, one after another. An OSError
    names the target, not the temporary file. `run`, if given, is handed the writes to regular
    files as jobs, in order (each names its target in an OSError), and must run them all or
    raise: split runs them on several cores.
    """
    paths = [Path(p) for p, _ in targets]
    check_targets(paths)
    for path, (_, write) in zip(paths, targets):  # /dev/null, a pipe: written straight in, first (may fail)
        mode = _mode(path)
        if mode is not None and not stat.S_ISREG(mode):
            write_atomic(path, write)
    targets = [(p, w) for p, (_, w) in zip(paths, targets) if (m := _mode(p)) is None or stat.S_ISREG(m)]
    staged: list[tuple[Path, int | None, Path | None]] = []  # (target, anonymous fd, named temp)
    named = {}  # the file a symlink points at is replaced, the link kept (as write_atomic does)
    current = paths[0] if paths else None
    jobs: list[Callable[[], None]] = []
    try:
        for given, write in targets:
            current = given
            path = Path(os.path.realpath(given)) if given.is_symlink() else given
            named[path] = given
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = _anonymous_file(path.parent)
            if fd is not None:
                staged.append((path, fd, None))
            else:
                tmp_fd, tmp_name = tempfile.mkstemp(prefix=".taizhang-", suffix=path.suffix, dir=path.parent)
                os.close(tmp_fd)
                staged.append((path, None, Path(tmp_name)))
            jobs.append(_job(write, fd, staged[-1][2], given))
            if run is None:
                jobs.pop()()
        if jobs:
            current = None  # each job names its own target
            run(jobs)
        for i, (path, fd, tmp) in enumerate(staged):  # give each a name beside its target
            current = named[path]
            if fd is not None:
                name = path.with_name(f".taizhang-{secrets.token_hex(6)}{path.suffix}")  # linkat never overwrites
                folder = os.open(path.parent, os.O_RDONLY)
                try:  # a dir fd makes os.link use linkat(AT_SYMLINK_FOLLOW): it links the file, not the /proc link
                    os.link(f"/proc/self/fd/{fd}", name.name, dst_dir_fd=folder, follow_symlinks=True)
                finally:
                    os.close(folder)
                staged[i] = (path, fd, name)
        for path, _, tmp in staged:
            current = named[path]
            os.replace(tmp, path)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror or str(exc), str(current or exc.filename)) from None
    finally:
        for _, fd, tmp in staged:
            if fd is not None:
                os.close(fd)
            if tmp is not None and tmp.exists():
                tmp.unlink()
    return paths


def _job(write: Callable[[Path], None], fd: int | None, tmp: Path | None, target: Path) -> Callable[[], None]:
    """`write` into the unnamed file `fd` or the temporary file `tmp`, as a job that may run in
    another (forked) process; an OSError names `target`."""
    def job() -> None:
        try:
            if fd is not None:
                write(Path(f"/proc/self/fd/{fd}"))
                os.fsync(fd)
            else:
                write(tmp)
                os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; shared folders need the usual mode
        except OSError as exc:
            raise type(exc)(exc.errno, exc.strerror or str(exc), str(target)) from None
    return job


def _anonymous_file(folder: Path) -> int | None:
    """An open, nameless file in `folder` (O_TMPFILE), or None where the OS or filesystem has none."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_RDWR, 0o666)
    except OSError:
        return None
