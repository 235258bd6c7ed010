"""Run a risky parse in a forked worker process, so that no input can take the whole run down.

calamine is Rust: a failed allocation aborts the process, a panic may escape as a BaseException,
and either would lose every other file's result in a folder or a merge. Parses run in a worker
process under a memory budget; what it yields comes back pickled, one item at a time, and a
worker that dies becomes one ReadError for that file (the next file gets a new worker).

One worker serves file after file: forked once, while the caller is still small, it costs a
fork per run rather than per file (bench/isolation.py measures the price); `reset()` ends it.
`spread` runs whole jobs (a file's validation, for `validate --jobs`) in several such workers at
once; inside a worker, `isolated` runs in-process, since the worker already is the isolation. Where fork
is missing (Windows) or unsafe (other threads are running: the add-in, a service), TAIZHANG_DEBUG
asks for tracebacks or TAIZHANG_ISOLATION=0 turns it off, the parse runs in-process, still
catching what a Rust panic raises.
"""

from __future__ import annotations

import atexit
import faulthandler
import gc
import os
import pickle
import signal
import sys
import threading
import time
from typing import Any, Callable, Iterator

from .filecheck import ReadError, unreadable
from .gc_pause import collector_paused

READ_BUDGET_MB = 3072  # address space a worker may add for one workbook; TAIZHANG_READ_MEMORY_MB changes it
READ_TIMEOUT_S = 600  # with no answer from the worker; TAIZHANG_READ_TIMEOUT changes it

Produce = Callable[..., Iterator[Any]]


class Ahead:
    """An item the worker sends without waiting for the caller to take it: the caller works on
    it (the formula scan of the sheet found) while the worker goes on (building the ledger)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _timeout() -> float:
    return float(os.environ.get("TAIZHANG_READ_TIMEOUT") or READ_TIMEOUT_S)


_IN_WORKER = False  # set in a worker: it already is the isolation, and never forks another


def _forkable() -> bool:
    return (hasattr(os, "fork") and not _IN_WORKER and threading.active_count() == 1
            and not os.environ.get("TAIZHANG_DEBUG") and os.environ.get("TAIZHANG_ISOLATION", "1") != "0")


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: a container's or taskset's share, not the
    machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def forks() -> bool:
    """Whether parses run in forked workers here (not on Windows, not with threads, not when
    TAIZHANG_ISOLATION=0 or TAIZHANG_DEBUG asks otherwise)."""
    return _forkable()


def _timed_out() -> ReadError:
    return unreadable("读取此文件超时，已跳过该文件（文件可能已损坏或异常复杂）",
                      "reading this file timed out: skipped (damaged or pathologically complex)",
                      f"no answer in {_timeout():.0f} s")


class _Worker:
    """A forked reader: runs `job` first if given (no pickling needed), then jobs sent to it."""

    def __init__(self, job: tuple[Produce, tuple] | None = None):
        from multiprocessing.connection import Pipe

        self.conn, theirs = Pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        self.pid = os.fork()
        if self.pid == 0:  # the worker: never returns into the caller's code
            self.conn.close()
            for other in _live:  # else a sibling would hold their pipes open: they would never see EOF
                other.conn.close()
            _serve(theirs, job)
        theirs.close()
        _live.add(self)
        self.owner = os.getpid()  # a process forked from the owner (a process pool) must not share it
        self.busy = False
        self.alive = True

    def ask(self, produce: Produce, args: tuple) -> bool:
        """Send a job; False when it cannot be pickled (a local function)."""
        data = _job_message(produce, args)
        if data is None:
            return False
        self.conn.send_bytes(data)
        return True

    def end(self, kill: bool = False) -> int | None:
        """Stop the worker and wait for it: its exit status."""
        self.release(kill)
        return self.reap()

    def release(self, kill: bool = False) -> None:
        """Let the worker go (or kill it) without waiting for it to exit."""
        self.alive = False
        _live.discard(self)
        if kill:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.conn.close()  # a live worker reads EOF and exits

    def reap(self) -> int | None:
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return None


def _job_message(produce: Produce, args: tuple, first_only: bool = False) -> bytes | None:
    """A job as the worker reads it, or None when it cannot be pickled (a local function)."""
    try:  # with the caller's folder and environment: relative paths and settings as it sees them
        return pickle.dumps((produce, args, os.getcwd(), dict(os.environ), first_only))
    except (pickle.PicklingError, AttributeError, TypeError):
        return None


_shared: _Worker | None = None
_live: set[_Worker] = set()  # this process's workers


def isolated(produce: Produce, *args: Any, meanwhile: Callable[[], Any] | None = None) -> Iterator[Any]:
    """Items of `produce(*args)`, computed in a worker process; a crash becomes a ReadError.

    `meanwhile` runs in the caller once the worker has its job (before the first item), so that
    on two cores the caller's own preparation (imports) overlaps the parse.
    """
    global _shared
    if not _forkable():
        if meanwhile is not None:
            meanwhile()
        for item in _guarded(produce, *args):
            yield item.value if type(item) is Ahead else item
        return
    if _shared is None or not _shared.alive or _shared.owner != os.getpid():
        _shared = _Worker()
    worker = _shared
    if worker.busy or not worker.ask(produce, args):  # nested use, or a job that cannot travel
        worker = _Worker((produce, args))
    worker.busy = True
    waiting = dead = False  # the worker waits for "next" / "stop"; the worker is gone
    running = True  # the worker is at work (the job sent, or after an Ahead item): a message is to come
    try:
        if meanwhile is not None:
            meanwhile()
        while True:
            try:
                if not worker.conn.poll(_timeout()):  # stuck: a deadlock, a pathological file
                    dead = True
                    worker.end(kill=True)
                    raise _timed_out()
                tag, value = worker.conn.recv()
            except (EOFError, OSError):
                dead = True
                raise _died(worker.end()) from None
            running = tag == "ahead"
            if running:
                yield value
            elif tag == "item":
                waiting = True
                yield value
                waiting = False
                try:
                    worker.conn.send("next")
                except OSError:
                    dead = True
                    raise _died(worker.end()) from None
            elif tag == "error":
                raise ReadError(*value)
            else:
                return
    finally:
        worker.busy = False
        if running and not dead:  # the caller gave up while the worker works on: its answer must not
            dead = True           # be left in the pipe for the next job
            worker.end(kill=True)
        if waiting and not dead:  # the caller stopped early (it found its ledger)
            try:
                worker.conn.send("stop")
            except OSError:
                dead = True
        if worker is not _shared and not dead:
            worker.end()
        elif dead and worker.alive:
            worker.end(kill=True)


QUEUE_AHEAD_MAX_BYTES = 16 << 10  # a job queued behind a running one never fills the pipe: sending it cannot block


def spread(produce: Produce, jobs: list[tuple], processes: int) -> list[Any]:
    """The first item of `produce(*args)` for each `args` of `jobs`, in order, computed by up to
    `processes` forked workers (call only when `forks()`).

    Jobs are handed out as workers come free, so a slow file never holds a queue up; while plenty
    are left, a busy worker already holds its next (small) job, so it never waits for this process
    to be scheduled between two files (on two cores that wait was ~10 ms a file). A job whose worker
    dies or gives no answer in time yields a ReadError in its place, the jobs queued behind it go to
    another worker, and the worker is replaced; a job that raises a ReadError yields it. Inside a
    worker `isolated` runs in-process: the worker already is the isolation, so a ledger is not
    pickled twice.
    """
    from collections import deque
    from multiprocessing.connection import wait

    results: list[Any] = [None] * len(jobs)
    todo = deque(range(len(jobs)))
    idle: list[_Worker] = []
    sent: dict[Any, tuple[_Worker, deque[int]]] = {}  # connection -> (worker, its jobs in order: the first runs)
    deadline: dict[Any, float] = {}  # connection -> when its running job times out

    def send(worker: _Worker, i: int, ahead: bool = False) -> bool:
        data = _job_message(produce, jobs[i], first_only=True)
        if data is None:
            raise TypeError(f"{produce!r} and its arguments must be picklable")
        if ahead and len(data) > QUEUE_AHEAD_MAX_BYTES:
            return False
        worker.conn.send_bytes(data)
        return True

    def drop(conn: Any) -> tuple[_Worker, int]:
        """Take a failed worker's jobs back: (the worker, the job it was running)."""
        worker, queue = sent.pop(conn)
        del deadline[conn]
        running = queue.popleft()
        todo.extendleft(reversed(queue))  # not started: another worker runs them
        return worker, running

    try:
        while todo or sent:
            while todo and len(sent) < processes:
                worker = idle.pop() if idle else _Worker()
                i = todo.popleft()
                send(worker, i)
                sent[worker.conn] = (worker, deque([i]))
                deadline[worker.conn] = time.monotonic() + _timeout()
            for worker, queue in sent.values():  # the last jobs go one at a time: no worker idles at the end
                if len(queue) == 1 and len(todo) > processes and send(worker, todo[0], ahead=True):
                    queue.append(todo.popleft())
            ready = wait(list(sent), timeout=max(0.0, min(deadline.values()) - time.monotonic()))
            for conn in list(sent):
                worker, queue = sent[conn]
                if conn not in ready:
                    if time.monotonic() >= deadline[conn]:  # stuck on a pathological file
                        worker, i = drop(conn)
                        worker.end(kill=True)
                        results[i] = _timed_out()
                    continue
                try:
                    tag, value = conn.recv()
                except (EOFError, OSError):
                    worker, i = drop(conn)
                    results[i] = _died(worker.end())
                    continue
                if tag == "ahead":  # the worker goes on with the same job
                    continue
                results[queue.popleft()] = ReadError(*value) if tag == "error" else value if tag == "item" else None
                if queue:
                    deadline[conn] = time.monotonic() + _timeout()
                else:
                    del sent[conn], deadline[conn]
                    idle.append(worker)
    finally:  # all are let go before any is waited for: they exit side by side
        for worker, _ in sent.values():
            worker.release(kill=True)
        for worker in idle:
            worker.release()
        for worker in [w for w, _ in sent.values()] + idle:
            worker.reap()
    return results


def _serve(conn, job: tuple[Produce, tuple] | None) -> None:
    global _IN_WORKER
    _IN_WORKER = True
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # a Rust abort prints its own message and backtrace: the parent says one line
        # symbolising a backtrace allocates: out of memory, Rust's abort path then waits forever on
        # a lock it holds itself. Without the backtrace the worker simply dies.
        os.environ["RUST_BACKTRACE"] = os.environ["RUST_LIB_BACKTRACE"] = "0"
        faulthandler.disable()  # a crash of the worker is reported by the parent, in one line
        gc.freeze()  # what the caller had loaded stays out of the collector's passes over the grid
        _limit_memory()
        while True:
            first_only = False
            if job is None:
                produce, args, cwd, env, first_only = pickle.loads(conn.recv_bytes())
                os.chdir(cwd)
                os.environ.clear()
                os.environ.update(env, RUST_BACKTRACE="0", RUST_LIB_BACKTRACE="0")
            else:
                produce, args = job
            job = None
            with collector_paused():  # a parse makes no cycles; passes over the grid's lists cost ~8 %
                _run(conn, produce, args, first_only)
    except (EOFError, OSError):
        pass  # the parent is done (or gone)
    finally:
        os._exit(0)


def _run(conn, produce: Produce, args: tuple, first_only: bool = False) -> None:
    """Send the items of `produce(*args)`, each when the caller asks for the next; with
    `first_only` (spread's jobs) the first ends the job without waiting for the caller."""
    try:
        items = _guarded(produce, *args)
        for item in items:
            if type(item) is Ahead:
                conn.send(("ahead", item.value))
                continue
            conn.send(("item", item))
            if first_only or conn.recv() != "next":
                items.close()
                return
        conn.send(("end", None))
    except ReadError as exc:
        conn.send(("error", (exc.code, exc.zh, exc.en, exc.detail)))
    except (EOFError, OSError):
        raise
    except BaseException as exc:  # noqa: BLE001 - nothing may escape the worker
        from .libmessages import internal_error, translate

        if _near_limit():  # out of memory, calamine panics with unrelated words ("PyObject pointer is null")
            err = translate(MemoryError(str(exc)))
        else:
            err = internal_error(exc)  # _guarded let it through: not a library's verdict on the file
        conn.send(("error", (err.code, err.zh, err.en, err.detail)))


def _guarded(produce: Produce, *args: Any) -> Iterator[Any]:
    """`produce` in-process, with a Rust panic (a BaseException) turned into a ReadError."""
    try:
        yield from produce(*args)
    except (ReadError, KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except MemoryError:
        raise unreadable("文件需要的内存超出上限，已拒绝读取", "reading the file would need more memory than allowed: refused") from None
    except BaseException as exc:  # noqa: BLE001 - pyo3's PanicException derives from BaseException
        from .libmessages import from_library, translate

        if not from_library(exc):
            raise  # a bug of ours: an internal error, never dressed up as a damaged file
        if _near_limit():  # out of memory, calamine panics with unrelated words ("PyObject pointer is null")
            raise translate(MemoryError(str(exc))) from None
        raise translate(exc) from None


def _address_space() -> tuple[int, int, int]:
    """(bytes mapped now, soft limit, hard limit) of this process's address space."""
    import resource

    with open("/proc/self/statm") as fh:
        used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    return used, soft, hard


def _limit_memory() -> None:
    try:
        import resource

        used, soft, hard = _address_space()
        want = used + (int(os.environ.get("TAIZHANG_READ_MEMORY_MB") or READ_BUDGET_MB) << 20)
        if soft == resource.RLIM_INFINITY or want < soft:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
    except (ImportError, OSError, ValueError):
        pass


def _near_limit() -> bool:
    try:
        import resource

        used, soft, _ = _address_space()
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


def reset(wait: bool = True) -> None:
    """End the shared worker; the next parse forks a new one. The worker holds the code and
    settings as they were when it was forked: whoever changes them later (a test's monkeypatch
    of a limit) calls this first. With `wait` False the worker exits while the caller goes on;
    the next reset (at the latest the one at exit) waits for it."""
    global _shared
    if _shared is not None and _shared.alive and _shared.owner == os.getpid():
        _shared.release()
        _released.append(_shared)
    _shared = None
    while wait and _released:
        _released.pop().reap()


_released: list[_Worker] = []  # let go by reset(wait=False), not yet waited for


atexit.register(reset)
