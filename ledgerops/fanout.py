"""Run a list of jobs on several cores, with the result the same as running them one after another.

Split lays out and saves one workbook per department from a single loaded master: the jobs are
independent but for what one leaves to the next. The workbook's style tables (fonts, borders,
cell formats ...) only grow, and every later file carries what was added; the set of merged
ranges is emptied and refilled by each job, and its history decides the order of the ranges in
the next file. So the jobs run in forked workers that take them in order from a queue; a worker
first replays the cheap part (`replay`: the merged-range set) of the jobs others took, and
reports whether its job grew the carried state (`state()`).
The first job to grow it is run again here, in the parent, which has run nothing since the
fork and so is where a serial run would be (after replaying the cheap part of the jobs before
it); the jobs after it go to workers forked anew from there. When nothing grew (the usual case
after the first file) the workers' files stand.

Workers are forked (Linux only), die with the parent (PR_SET_PDEATHSIG: kill -9 of the parent
leaves no process behind) and are killed when the parent stops for any reason. A worker's
failure comes back as the same exception (an OSError keeps its errno and file name); a worker
that dies without a word becomes a WorkerDied naming the job it was on.
"""

from __future__ import annotations

import os
import pickle
import selectors
import signal
import struct
import sys
import threading
from typing import Any, Callable, Sequence

MAX_WORKERS = 4  # each worker's copy of the loaded master grows as it touches it: memory, not CPU, bounds this
_MAX_QUEUE = 16_000  # job numbers queued in one pipe (4 bytes each) before the workers start
_ERROR_BYTES = 3_000  # a pickled exception larger than this travels as its text only


class WorkerDied(RuntimeError):
    """A worker ended without reporting (killed, out of memory); `job` is the one it was running."""

    def __init__(self, job: int | None, status: int):
        self.job, self.status = job, status
        self.how = f"signal {-status}" if status < 0 else f"exit status {status}"
        super().__init__(f"worker ended with {self.how} while running job {job}")


def worker_count(jobs: int) -> int:
    """How many worker processes `jobs` jobs get: 1 (run here) on one core, without fork, or where
    another thread runs (the add-in, a service: forking then is unsafe), or with TAIZHANG_DEBUG
    (a traceback then comes whole from where it was raised)."""
    if (jobs < 2 or jobs > _MAX_QUEUE or not sys.platform.startswith("linux") or threading.active_count() != 1
            or os.environ.get("TAIZHANG_DEBUG")):
        return 1
    from ..validator.isolate import usable_cpus

    return max(1, min(usable_cpus(), jobs, MAX_WORKERS))


def run_all(jobs: Sequence[Callable[[], None]], state: Callable[[], Any], workers: int | None = None,
            replay: Sequence[Callable[[], None]] | None = None) -> None:
    """Run every job, with the effect of running them in order here.

    `state()` fingerprints what one job leaves behind for the next that could differ (equal
    before and after a job: the job changed nothing a later one depends on). `replay[j]`, if
    given, makes the cheap part of job j's changes that later jobs' results also depend on,
    in a worker that skips job j. Job 0 runs here first, since a first job usually sets up such
    state; the rest go to `workers` forked processes (default: `worker_count`). When job g
    changed the state, the workers stop once every job before g is done; g runs here, after
    the replay of the jobs before it, and the jobs after it go to new workers forked from there.
    """
    skip = replay or [_nothing] * len(jobs)
    if not jobs:
        return
    n = worker_count(len(jobs) - 1) if workers is None else workers
    jobs[0]()
    start = 1
    while start < len(jobs):
        if n <= 1 or len(jobs) - start < 2 or len(jobs) > _MAX_QUEUE:
            for job in jobs[start:]:
                job()
            return
        try:
            grew = _forked(jobs, skip, state, n, start)
        except _QueueFull:  # a pipe smaller than the queue (the user's pipe quota is spent)
            n = 1
            continue
        if grew is None:
            return
        for j in range(start, grew):  # here, as the serial run would be just before job `grew`
            skip[j]()
        jobs[grew]()
        start = grew + 1


def _nothing() -> None:
    pass


class _QueueFull(Exception):
    """The job numbers do not fit in the queue's pipe; nothing was started."""


def _forked(jobs: Sequence[Callable[[], None]], skip: Sequence[Callable[[], None]], state: Callable[[], Any],
            n: int, start: int) -> int | None:
    """Run jobs start, start + 1 ... in `n` forked workers; the first job that changed `state()`
    (once every job before it is done: the later ones are left to be run again), or None."""
    order = range(start, len(jobs))
    queue_r, queue_w = os.pipe()
    data = b"".join(struct.pack("<I", j) for j in order)
    try:
        os.set_blocking(queue_w, False)  # written before any reader exists: never wait for one
        written = os.write(queue_w, data)
    except BlockingIOError:
        written = 0
    finally:
        os.close(queue_w)  # an empty queue then reads as end of file
    if written < len(data):
        os.close(queue_r)
        raise _QueueFull
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    children: dict[int, int] = {}  # report pipe -> pid
    alive: set[int] = set()
    try:
        for _ in range(n):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # never returns
                os.close(r)
                for other in children:
                    os.close(other)
                _work(jobs, skip, start, queue_r, w, parent, state)
            os.close(w)
            children[r] = pid
            alive.add(pid)
        return _collect(children, alive, order)
    finally:
        os.close(queue_r)
        for pid in alive:  # after a failure or Ctrl-C: stop the rest, leave no process behind
            _end(pid)
        for r in children:
            os.close(r)


def _collect(children: dict[int, int], alive: set[int], order: range) -> int | None:
    """Read the workers' reports until all have ended, or a job changed the state and every job
    before it is done; raise the first failure."""
    running: dict[int, int | None] = {r: None for r in children}  # pipe -> job being run
    todo = set(order)
    grew: list[int] = []
    buffers = {r: b"" for r in children}
    with selectors.DefaultSelector() as sel:
        for r in children:
            sel.register(r, selectors.EVENT_READ)
        while running:
            if grew and not any(j < min(grew) for j in todo):
                return min(grew)  # the workers still running are ended by the caller
            for key, _ in sel.select():
                r = key.fd
                chunk = os.read(r, 65536)
                if chunk:
                    buffers[r] += chunk
                    buffers[r] = _parse(buffers[r], r, running, todo, grew)
                    continue
                sel.unregister(r)
                job = running.pop(r)
                status = _wait(children[r])
                alive.discard(children[r])
                if job is not None or status != 0:
                    raise WorkerDied(job, status)
    if grew:
        return min(grew)
    if todo:  # every worker said it was done, yet jobs are left: never expected
        raise WorkerDied(min(todo), 0)
    return None


def _parse(buf: bytes, r: int, running: dict[int, int | None], todo: set[int], grew: list[int]) -> bytes:
    """Act on the complete records in `buf`; return what is left of an incomplete one."""
    while len(buf) >= 5:
        tag, value = buf[:1], struct.unpack("<I", buf[1:5])[0]
        if tag == b"E":
            if len(buf) < 5 + value:
                break
            raise _error(buf[5:5 + value])
        if tag == b"S":
            running[r] = value
        elif tag in (b"D", b"G"):
            running[r] = None
            todo.discard(value)
            if tag == b"G":
                grew.append(value)
        buf = buf[5:]
    return buf


def _work(jobs: Sequence[Callable[[], None]], skip: Sequence[Callable[[], None]], start: int, queue: int,
          report: int, parent: int, state: Callable[[], Any]) -> None:
    """A worker: take job numbers from the queue until it is empty, say what each did; never returns."""
    code = 1
    last = start - 1  # forked just after that job
    try:
        die_with_parent(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # the parent says what went wrong, in one line; a worker prints nothing
        while True:
            item = os.read(queue, 4)  # 4-byte reads of 4-byte records: a pipe hands each to one reader
            if not item:
                break
            j = struct.unpack("<I", item)[0]
            for k in range(last + 1, j):  # the jobs other workers took
                skip[k]()
            last = j
            before = state()
            _send(report, b"S", j)
            jobs[j]()
            _send(report, b"D" if state() == before else b"G", j)
        code = 0
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the parent raises it
        try:
            data = _pickled(exc)
            _send(report, b"E", len(data), data)
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers


def result_pool(workers: int) -> Any:
    """A ProcessPoolExecutor of `workers` forked processes that die with this one, for jobs that
    return results (merge reads its submissions and validates its output there); forked, they
    inherit the caller's data, nothing is pickled to them. Use where worker_count allows two."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_pool_worker,
                               initargs=(os.getpid(),))


def _pool_worker(parent: int) -> None:
    """A result_pool process: dies with `parent`, and ends its own reading worker when it ends
    (atexit does not run in pool processes; multiprocessing's finalizers do)."""
    from multiprocessing.util import Finalize

    from taizhang.validator.isolate import reset

    die_with_parent(parent)
    Finalize(None, reset, exitpriority=10)


def die_with_parent(parent: int) -> None:
    """Ask Linux to SIGKILL this process when its parent dies; exit now if it already has."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _send(fd: int, tag: bytes, value: int, data: bytes = b"") -> None:
    msg = tag + struct.pack("<I", value) + data
    while msg:
        msg = msg[os.write(fd, msg):]


def _pickled(exc: BaseException) -> bytes:
    """The exception as bytes the parent can turn back into it; its text where it would not survive."""
    if isinstance(exc, OSError):
        return pickle.dumps(("os", exc.errno, exc.strerror, exc.filename))
    try:
        data = pickle.dumps(("exc", exc))
        pickle.loads(data)  # some exceptions pickle but cannot be rebuilt (extra __init__ arguments)
        if len(data) <= _ERROR_BYTES:
            return data
    except Exception:  # noqa: BLE001
        pass
    return pickle.dumps(("text", type(exc).__name__, str(exc)[:500]))


def _error(data: bytes) -> BaseException:
    kind, *rest = pickle.loads(data)
    if kind == "os":
        errno_, strerror, filename = rest
        return OSError(errno_, strerror) if filename is None else OSError(errno_, strerror, filename)
    if kind == "exc":
        return rest[0]
    return RuntimeError(f"{rest[0]}: {rest[1]}")


def _wait(pid: int) -> int:
    """The worker's exit code, or minus the signal that ended it."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _end(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
