"""Run a risky parse in a forked child, so that no input can take the whole run down with it.

calamine is Rust: a failed allocation aborts the process, a panic may escape as a BaseException,
and either would lose every other file's result in a folder or a merge. The parse runs in a child
process under a memory budget; what it yields comes back pickled, one item at a time, and a
child that dies becomes one ReadError for that file. Where fork is missing (Windows) or unsafe
(other threads are running: the add-in, a service), TAIZHANG_DEBUG asks for tracebacks or
TAIZHANG_ISOLATION=0 turns it off, the parse runs in-process, still catching what a Rust panic
raises. Cost (bench/isolation.py): a fork per file and the grid pickled back to the parent.
"""

from __future__ import annotations

import atexit
import faulthandler
import os
import signal
import sys
import threading
from typing import Any, Callable, Iterator

from .filecheck import ReadError, unreadable

READ_BUDGET_MB = 3072  # address space a child may add for one workbook; TAIZHANG_READ_MEMORY_MB changes it


READ_TIMEOUT_S = 600  # with no answer from the child; TAIZHANG_READ_TIMEOUT changes it


def _timeout() -> float:
    return float(os.environ.get("TAIZHANG_READ_TIMEOUT") or READ_TIMEOUT_S)


def _forkable() -> bool:
    return (hasattr(os, "fork") and threading.active_count() == 1 and not os.environ.get("TAIZHANG_DEBUG")
            and os.environ.get("TAIZHANG_ISOLATION", "1") != "0")


def isolated(produce: Callable[..., Iterator[Any]], *args: Any) -> Iterator[Any]:
    """Items of `produce(*args)`, computed in a child process; a crash becomes a ReadError."""
    if not _forkable():
        yield from _guarded(produce, *args)
        return
    from multiprocessing.connection import Pipe

    mine, theirs = Pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code
        mine.close()
        _child(theirs, produce, args)
    theirs.close()
    reaped = finished = False
    try:
        while True:
            try:
                if not mine.poll(_timeout()):  # a child stuck (a deadlock, a pathological file)
                    raise unreadable("读取此文件超时，已跳过该文件（文件可能已损坏或异常复杂）",
                                     "reading this file timed out: skipped (damaged or pathologically complex)",
                                     f"no answer in {_timeout():.0f} s")
                tag, value = mine.recv()
            except (EOFError, OSError):
                reaped = True
                raise _died(_wait(pid)) from None
            if tag == "item":
                yield value
                mine.send("next")
            else:
                finished = True
                if tag == "error":
                    raise ReadError(*value)
                return
    finally:
        mine.close()
        if not reaped:
            if not finished:  # the caller stopped early (it found its ledger): end the child now
                _kill(pid)
            _reap_later(pid)


def _child(conn, produce: Callable[..., Iterator[Any]], args: tuple) -> None:
    code = 0
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # a Rust abort prints its own message and backtrace: the parent says one line
        # symbolising a backtrace allocates: out of memory, Rust's abort path then waits forever on
        # a lock it holds itself. Without the backtrace the child simply dies.
        os.environ["RUST_BACKTRACE"] = os.environ["RUST_LIB_BACKTRACE"] = "0"
        faulthandler.disable()  # a crash of the child is reported by the parent, in one line
        _limit_memory()
        for item in _guarded(produce, *args):
            conn.send(("item", item))
            if conn.recv() != "next":
                break
        conn.send(("end", None))
    except ReadError as exc:
        conn.send(("error", (exc.code, exc.zh, exc.en, exc.detail)))
    except (EOFError, OSError, BrokenPipeError):
        pass  # the parent has what it needed and closed the pipe
    except BaseException as exc:  # noqa: BLE001 - nothing may escape the child
        from .libmessages import translate

        # out of memory, calamine panics with unrelated words ("PyObject pointer is null")
        err = translate(MemoryError(str(exc)) if _near_limit() else exc)
        try:
            conn.send(("error", (err.code, err.zh, err.en, err.detail)))
        except BaseException:  # noqa: BLE001
            code = 1
    finally:
        os._exit(code)


def _guarded(produce: Callable[..., Iterator[Any]], *args: Any) -> Iterator[Any]:
    """`produce` in-process, with a Rust panic (a BaseException) turned into a ReadError."""
    try:
        yield from produce(*args)
    except (ReadError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except MemoryError:
        raise unreadable("文件需要的内存超出上限，已拒绝读取", "reading the file would need more memory than allowed: refused") from None
    except BaseException as exc:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        from .libmessages import translate

        raise translate(exc) from None


def _limit_memory() -> None:
    try:
        import resource

        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        budget = int(os.environ.get("TAIZHANG_READ_MEMORY_MB") or READ_BUDGET_MB) << 20
        want = used + budget
        if soft == resource.RLIM_INFINITY or want < soft:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ImportError, OSError, ValueError):
        pass


def _near_limit() -> bool:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return soft != resource.RLIM_INFINITY and used > 0.8 * soft
    except (ImportError, OSError, ValueError):
        return False


def _died(status: int | None) -> ReadError:
    if status is not None and os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig in (signal.SIGKILL, signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            return unreadable("读取此文件时解析库异常终止（多半是文件需要的内存超出上限或已损坏），已跳过该文件",
                              "the spreadsheet library aborted while reading this file (most likely it needs more "
                              "memory than allowed, or it is damaged): skipped", f"signal {name}")
    return unreadable("读取此文件时解析库异常退出（文件可能已损坏），已跳过该文件",
                      "the spreadsheet library exited while reading this file (probably damaged): skipped",
                      f"exit status {status}")


_exiting: list[int] = []


def _reap_later(pid: int) -> None:
    """Collect finished children without waiting: tearing down a forked copy takes ~8 ms."""
    _exiting.append(pid)
    for p in list(_exiting):
        try:
            done, _ = os.waitpid(p, os.WNOHANG)
        except ChildProcessError:
            done = p
        if done:
            _exiting.remove(p)


def _reap_all() -> None:
    for p in _exiting:
        _wait(p)
    _exiting.clear()


atexit.register(_reap_all)


def _wait(pid: int) -> int | None:
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
