"""Split on several cores (issue 18): the department files are laid out and saved by forked
workers. The files must be the ones a run on one core writes, byte for byte in every part but the
moments of writing; a failure in a worker must leave no file and no process behind, and so must
kill -9 of the command while its workers write; a machine with one core runs it as before."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from capped import lines, run
from conftest import EX000, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402

_MOMENT = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|\.\d+)?")


def parts(path: Path) -> dict[str, bytes]:
    """Every zip part of an .xlsx, with the moments of writing (docProps, split_at) masked."""
    with zipfile.ZipFile(path) as z:
        return {n: _MOMENT.sub(b"<moment>", z.read(n)) for n in z.namelist()}


def split(master: Path, out: Path, by: str | None, workers: int) -> dict[str, dict[str, bytes]]:
    from taizhang.ledgerops.split import split_ledger

    result = split_ledger(master, out, by, workers=workers)
    return {f.path.name: parts(f.path) for f in result.files}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "总台账.xlsx"
    generate.generate_ledger(path, 2000)
    return path


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("small") / "总台账.xlsx"
    generate.generate_ledger(path, 400)
    return path


@pytest.mark.parametrize("source, by", [("000", None), ("000", "责任单位"), ("generated", "责任单位"),
                                        ("small", "联系人")])
def test_files_from_several_workers_are_the_files_one_process_writes(source, by, generated, small, tmp_path):
    master = {"000": EX000, "generated": generated, "small": small}[source]
    one = split(master, tmp_path / "one", by, workers=1)
    for workers in (2, 3):
        several = split(master, tmp_path / f"w{workers}", by, workers=workers)
        assert list(several) == list(one)
        for name in one:
            assert several[name] == one[name], (workers, name, [p for p in one[name] if several[name][p] != one[name][p]])
    if by != "责任单位":
        # the cases that need a re-run: a later file adds a cell format that every file after it
        # carries (000 by contact: the tenth of 10 files; 400 rows by contact: the 19th of 77)
        counts = [one[name]["xl/styles.xml"].count(b"<xf ") for name in one]
        assert len(set(counts)) == 2 and counts[0] < counts[-1], counts
    sizes = {len(one[name]["xl/worksheets/sheet1.xml"]) for name in one}
    assert len(sizes) > 1  # different files, not one file written many times


def test_a_worker_that_cannot_write_leaves_no_file(small, tmp_path):
    """RLIMIT_FSIZE lets the first file (written before the workers start) through and stops a
    larger one in a worker (EFBIG, as a full disk would): the one line names that file, and the
    folder is left without any contact's file or temporary file."""
    master = small
    files = split(master, tmp_path / "probe", "联系人", 1)
    # the largest file written for each: the .xlsx, or openpyxl's temporary copy of a sheet's XML
    sizes = {name: max((tmp_path / "probe" / name).stat().st_size,
                       *(i.file_size for i in zipfile.ZipFile(tmp_path / "probe" / name).infolist()))
             for name in files}
    first = next(iter(sizes))
    limit = sizes[first] + 1
    too_big = {name for name, size in sizes.items() if size > limit}
    assert too_big and len(too_big) < len(sizes) - 1
    folder = tmp_path / "分发"
    done = run("split", master, "--by", "联系人", "-o", folder, fsize=limit, timeout=240)
    assert done.returncode == 2
    (line,) = lines(done.stderr)
    match = re.fullmatch(rf"无法写入 {re.escape(str(folder))}/(.+)：文件超出允许的大小", line)
    assert match and match.group(1) in too_big, line
    assert list(folder.iterdir()) == []



def test_the_first_file_failing_in_the_parent_is_one_line_and_no_file(tmp_path):
    """The first file is written by the command itself, before any worker: a write that fails
    there (EFBIG, as a full disk) is the same one line, with no traceback of openpyxl's
    half-written archive after it (its ZipFile used to print one when collected)."""
    folder = tmp_path / "分发"
    done = run("split", EX000, "-o", folder, fsize=3000, timeout=120)
    assert done.returncode == 2
    (line,) = lines(done.stderr)  # exactly one line: no "Exception ignored ... Traceback"
    assert re.fullmatch(rf"无法写入 {re.escape(str(folder))}/.+\.xlsx：文件超出允许的大小", line), line
    assert list(folder.iterdir()) == []

def _children(pid: int) -> set[int]:
    try:
        return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent's wait is missing


def _start_and_find_workers(master: Path, folder: Path) -> tuple[subprocess.Popen, set[int]]:
    """`taizhang split` started, once its writing workers run: the process and the workers' pids."""
    proc = subprocess.Popen([str(Path(sys.executable).with_name("taizhang")), "split", str(master),
                             "--by", "责任单位", "-o", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    reader = None
    workers: set[int] = set()
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        now = _children(proc.pid)
        if reader is None and now:
            reader = min(now)  # the reading worker comes first; the writing ones after the master is loaded
        workers = now - {reader}
        if workers:
            break
        time.sleep(0.01)
    assert workers, "no worker was started"
    return proc, workers


def test_kill_9_while_workers_write_leaves_no_process_and_no_file(generated, tmp_path):
    folder = tmp_path / "分发"
    proc, workers = _start_and_find_workers(generated, folder)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    end = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < end:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_worker_killed_while_writing_is_one_line_and_no_file(generated, tmp_path):
    """The out-of-memory killer takes a worker: the split stops, says so in one line naming the
    file that worker was writing (or the folder, between two files), and writes none of them."""
    folder = tmp_path / "分发"
    proc, workers = _start_and_find_workers(generated, folder)
    # at once: each worker has about 13 files to write, well under a second on a quiet machine
    for pid in sorted(workers):
        os.kill(pid, signal.SIGSTOP)  # held still, so the one killed cannot have finished meanwhile
    os.kill(min(workers), signal.SIGKILL)
    for pid in sorted(workers)[1:]:
        os.kill(pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 2 and out == b""
    (line,) = lines(err)
    # the file it was writing; the folder when it was killed between two files
    assert re.fullmatch(rf"{re.escape(str(folder))}(/.+\.xlsx)?：写入时工作进程意外结束（信号 9，可能是内存不足），未写入任何文件；请重试。",
                        line), line
    assert not any(_alive(p) for p in workers)
    assert not folder.exists() or list(folder.iterdir()) == []


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores to see the difference")
def test_one_core_runs_in_one_process():
    code = ("import os, sys; from taizhang.ledgerops.fanout import worker_count\n"
            "n = worker_count(26); os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); print(n, worker_count(26))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == [str(min(len(os.sched_getaffinity(0)), 4)), "1"], done.stderr
