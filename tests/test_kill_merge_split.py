"""kill -9 during merge and split of a 50,000-row master (issue 13): whenever the process dies,
the inputs are byte-identical, each output is either the file that was there or a complete new
one, and no temporary file is left behind.

Kills land at spread delays (reading, matching, laying out) and, watched through /proc, while
the outputs are being written (an unnamed O_TMPFILE is open in the output folder). The 50k
master is generated once per session (bench/generate.py)."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import EX000, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import generate  # noqa: E402

TAIZHANG = str(Path(sys.executable).parent / "taizhang")
MEMORY_CAP = 3 << 30
ROWS = 50_000
DELAYS = (0.3, 1.0, 2.0, 3.5, 5.5, 8.0, 12.0)  # seconds after start; then one kill while writing
WRITING_TIMEOUT = 900  # a loaded 2-core machine takes minutes to reach the write of a 50k ledger


@pytest.fixture(scope="session")
def big_master(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "总台账.xlsx"
    generate.generate_ledger(path, ROWS)
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start(*args: object) -> subprocess.Popen:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.Popen([TAIZHANG, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=cap)


def writing(proc: subprocess.Popen, folder: Path, count: int = 1) -> bool:
    """True once the process holds `count` temporary outputs open in `folder` (it is writing)."""
    prefix = str(folder.resolve()) + "/"
    try:
        fds = os.listdir(f"/proc/{proc.pid}/fd")
    except OSError:
        return False
    temps = 0
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{proc.pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix) and ("/#" in target or "/.taizhang-" in target):
            temps += 1
    return temps >= count


def kill_at(proc: subprocess.Popen, delay: float | None, folder: Path, count: int = 1) -> str:
    """kill -9 after `delay` seconds, or (delay None) once it is writing; what it was doing then."""
    begun = time.monotonic()
    while proc.poll() is None:
        elapsed = time.monotonic() - begun
        if delay is not None and elapsed >= delay:
            break
        if delay is None and (writing(proc, folder, count) or elapsed > WRITING_TIMEOUT):
            break
        time.sleep(0.02)
    state = "finished" if proc.poll() is not None else "killed"
    if state == "killed":
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return state


def complete_xlsx(path: Path, sheet_part: str = "xl/worksheets/sheet1.xml") -> bool:
    with zipfile.ZipFile(path) as z:
        return z.testzip() is None and sheet_part in z.namelist()


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".taizhang-", ".~taizhang.")))


def test_kill_9_during_merge_leaves_the_old_output_or_the_new_one(big_master, tmp_path):
    sub = tmp_path / "报送.xlsx"
    shutil.copy(big_master, sub)  # a department's full copy: read, matched and merged like any other
    out = tmp_path / "合并.xlsx"
    inputs = {p: sha(p) for p in (big_master, sub)}
    outcomes = []
    for delay in (*DELAYS, None):
        shutil.copy(EX000, out)  # the output of an earlier merge, to be replaced
        old = sha(out)
        proc = start("merge", big_master, sub, "-o", out)
        state = kill_at(proc, delay, tmp_path)
        assert {p: sha(p) for p in inputs} == inputs
        assert sha(out) == old or complete_xlsx(out), (delay, state)
        assert temporaries(tmp_path) == [], (delay, state)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["合并.xlsx", "报送.xlsx"]
        outcomes.append((delay, state, "old" if sha(out) == old else "new"))
    # the last kill came while OUT was being written: the old file is still there, whole
    assert outcomes[-1] == (None, "killed", "old"), outcomes


def test_kill_9_during_split_leaves_no_partial_files(big_master, tmp_path):
    folder = tmp_path / "分发"
    inputs = {big_master: sha(big_master)}
    outcomes = []
    for delay in (*DELAYS, None):
        shutil.rmtree(folder, ignore_errors=True)
        proc = start("split", big_master, "--by", "责任单位", "-o", folder)
        # while writing: kill once the third department's file is being written
        state = kill_at(proc, delay, folder, count=3)
        assert {p: sha(p) for p in inputs} == inputs
        left = sorted(folder.iterdir()) if folder.exists() else []
        assert temporaries(folder) == [] if folder.exists() else True
        assert all(complete_xlsx(p) for p in left), (delay, state)
        outcomes.append((delay, state, len(left)))
    # files are renamed into place only once all are written: a kill while writing leaves none
    assert outcomes[-1] == (None, "killed", 0), outcomes


def test_kill_9_while_submissions_are_read_on_two_cores_leaves_no_process_and_no_lock(tmp_path):
    """The readers (and the validator) merge forks die with it: none keeps the folder's lock,
    so the next merge into that folder starts at once."""
    from taizhang.ledgerops.split import split_ledger

    master = tmp_path / "总台账.xlsx"
    generate.generate_ledger(master, 2000)
    split_ledger(master, tmp_path / "分发", "责任单位")
    out = tmp_path / "合并" / "合并.xlsx"

    def ours() -> list[tuple[int, int]]:
        """(pid, parent pid) of every process whose command line names OUT."""
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.fsencode(out) in Path(f"/proc/{pid}/cmdline").read_bytes():
                    stat = Path(f"/proc/{pid}/stat").read_bytes()
                    found.append((int(pid), int(stat[stat.rindex(b")") + 2:].split()[1])))
            except OSError:
                continue
        return found

    proc = start("merge", master, tmp_path / "分发", "-o", out)
    begun = time.monotonic()
    while proc.poll() is None and time.monotonic() - begun < WRITING_TIMEOUT:
        if sum(parent == proc.pid for _, parent in ours()) >= 3:  # its reader, and readers of its own
            break
        time.sleep(0.01)
    assert proc.poll() is None, "finished before its readers were seen"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    deadline = time.monotonic() + 10
    while ours() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ours() == []
    again = subprocess.run([TAIZHANG, "merge", master, tmp_path / "分发", "-o", out], capture_output=True,
                           env={**os.environ, "TAIZHANG_LOCK_WAIT": "0"}, timeout=WRITING_TIMEOUT)
    assert again.returncode in (0, 1), again.stderr.decode()
    assert complete_xlsx(out)
