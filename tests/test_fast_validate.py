"""The faster validate path (issue 18) against the slow one, on real files.

The whole read now runs in the isolation worker (the parent imports pandas and pandera
meanwhile, and scans formulas while the worker builds), and `--jobs` hands files one by one to
forked workers that are themselves the isolation. Each case compares with what the plain
in-process path (TAIZHANG_ISOLATION=0) or the serial run gives, and the fault cases check that a
worker's death still costs one file.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from capped import lines, run
from conftest import EX000, EX000_CSV, EX002, EX003

BENCH = Path(__file__).resolve().parent.parent / "bench"
XLS = EX000.with_suffix(".xls")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A 2,000-row bench ledger: merged tasks, formulas, and 14 kinds of injected faults."""
    sys.path.insert(0, str(BENCH))
    import generate

    path = tmp_path_factory.mktemp("gen") / "ledger_2000.xlsx"
    generate.generate_ledger(path, 2000)
    return path


@pytest.mark.parametrize("name", ["000.xlsx", "000.xls", "000.csv", "002", "003", "generated"])
def test_ledger_built_in_the_worker_equals_the_in_process_one(name, generated, monkeypatch):
    from taizhang.validator import isolate
    from taizhang.validator.reader import read_ledger

    path = {"000.xlsx": EX000, "000.xls": XLS, "000.csv": EX000_CSV, "002": EX002, "003": EX003,
            "generated": generated}[name]
    isolate.reset()
    worker = read_ledger(path)
    monkeypatch.setenv("TAIZHANG_ISOLATION", "0")
    here = read_ledger(path)
    assert worker == here  # every field: values, raw, origin, formulas, columns, type, skipped rows
    if name == "generated":
        assert len(worker) == 2000 and len(worker.formulas) > 100  # the formula scan ran in the parent


def test_validate_json_is_the_same_with_and_without_the_worker(generated, tmp_path):
    files = [EX000, EX002, EX003, XLS, EX000_CSV, generated]
    fast = run("validate", *files, "--format", "json", timeout=120)
    slow = run("validate", *files, "--format", "json", env={"TAIZHANG_ISOLATION": "0"}, timeout=120)
    assert fast.returncode == slow.returncode == 1 and fast.stderr == slow.stderr == b""
    assert fast.stdout == slow.stdout
    doc = json.loads(fast.stdout)
    assert [f["rows"] for f in doc["files"]] == [12, 79, 40, 12, 12, 2000]
    assert len(doc["files"][-1]["findings"]) == 605  # what bench/generate.py injected into the 2,000 rows


def test_jobs_2_gives_the_serial_report_on_a_folder_of_real_ledgers(generated, tmp_path):
    for i in range(6):
        shutil.copy(generated, tmp_path / f"{i}.xlsx")
    for i, src in enumerate([EX000, EX002, EX003, XLS, EX000_CSV]):
        shutil.copy(src, tmp_path / f"x{i}{src.suffix}")
    serial = run("validate", tmp_path, "--format", "json", timeout=180)
    parallel = run("validate", tmp_path, "--format", "json", "--jobs", "2", timeout=180)
    assert serial.returncode == parallel.returncode == 1
    assert parallel.stdout == serial.stdout
    assert [len(f["findings"]) for f in json.loads(serial.stdout)["files"][:6]] == [605] * 6


def test_jobs_2_a_file_beyond_the_read_budget_costs_only_its_own_result(tmp_path):
    """As the serial run: the worker reading the 5,000-row ledger dies under a 10 MB budget, the
    other files come back from a new worker, in order."""
    sys.path.insert(0, str(BENCH))
    import generate

    big = tmp_path / "5000.xlsx"
    generate.generate_ledger(big, 5000)
    env = {"TAIZHANG_READ_MEMORY_MB": "10"}
    parallel = run("validate", EX003, big, EX000, "--jobs", "2", env=env, timeout=120)
    serial = run("validate", EX003, big, EX000, env=env, timeout=120)
    assert parallel.returncode == serial.returncode == 2 and parallel.stderr == b""
    # where the allocation fails (in Rust: an abort; in Python: a MemoryError) varies from run to
    # run, and so does the wording of that one line; every other line is the serial run's
    big_line = [i for i, line in enumerate(lines(serial.stdout)) if line.startswith(f"{big}: ")]
    assert big_line == [i for i, line in enumerate(lines(parallel.stdout)) if line.startswith(f"{big}: ")]
    assert "内存超出上限" in lines(parallel.stdout)[big_line[0]]
    assert [line for line in lines(parallel.stdout) if not line.startswith(f"{big}: ")] == [
        line for line in lines(serial.stdout) if not line.startswith(f"{big}: ")]
    heads = [line for line in lines(parallel.stdout) if not line.startswith(" ")]
    assert "003_tianjin" in heads[0] and "40 行数据" in heads[0]
    assert heads[1].startswith(f"{big}: ")
    assert "000_dalian" in heads[2] and "12 行数据" in heads[2]
    assert heads[3] == "共 3 个文件：4 个错误，0 个警告，1 个文件无法读取"


# ------------------------------------------------------------------ the mechanism (real forks)

def _job(what: str):
    if what == "abort":
        os.abort()
    if what == "hang":
        time.sleep(3600)
    if what == "refuse":
        from taizhang.validator.filecheck import ReadError

        raise ReadError("unreadable-file", "拒绝", "refused")
    yield f"{what} by {os.getpid()}"


def test_spread_keeps_the_order_and_a_crash_costs_one_job(monkeypatch):
    from taizhang.validator.filecheck import ReadError
    from taizhang.validator.isolate import spread

    monkeypatch.setenv("TAIZHANG_READ_TIMEOUT", "2")
    started = time.monotonic()
    got = spread(_job, [("a",), ("abort",), ("b",), ("hang",), ("refuse",), ("c",), ("d",)], 2)
    assert time.monotonic() - started < 20
    assert [g.split(" by ")[0] if isinstance(g, str) else type(g) for g in got] == [
        "a", ReadError, "b", ReadError, ReadError, "c", "d"]
    assert got[1].detail == "signal SIGABRT" and "解析库异常终止" in got[1].zh
    assert got[3].zh.startswith("读取此文件超时")
    assert got[4].zh == "拒绝"
    assert os.getpid() not in {int(g.split(" by ")[1]) for g in got if isinstance(g, str)}


def _slow(what: str):
    time.sleep(0.05)
    yield f"{what} by {os.getpid()}"


def test_spread_queues_the_next_job_and_keeps_the_last_ones_for_whoever_is_free():
    """While many jobs are left, a busy worker holds its next one; the last two go one at a time,
    so both workers take part and results keep their order."""
    from taizhang.validator.isolate import spread

    got = spread(_slow, [(str(i),) for i in range(12)], 2)
    assert [g.split(" by ")[0] for g in got] == [str(i) for i in range(12)]
    workers = [int(g.split(" by ")[1]) for g in got]
    assert len(set(workers)) == 2 and os.getpid() not in workers
    assert min(workers.count(w) for w in set(workers)) >= 5  # shared out, not run by one


def _ahead_then(value: str):
    from taizhang.validator.isolate import Ahead

    yield Ahead("sheet")
    time.sleep(0.3)
    yield value


def test_a_caller_leaving_after_an_ahead_item_leaves_no_answer_behind():
    """The worker goes on after an Ahead item; if the caller stops there, the next job must not
    receive the abandoned job's answer."""
    from taizhang.validator.isolate import isolated

    for item in isolated(_ahead_then, "first"):
        assert item == "sheet"
        break
    assert list(isolated(_ahead_then, "second")) == ["sheet", "second"]


def test_a_failing_meanwhile_leaves_the_worker_clean():
    from taizhang.validator.isolate import isolated

    def fails():
        raise KeyError("meanwhile")

    with pytest.raises(KeyError):
        list(isolated(_ahead_then, "lost", meanwhile=fails))
    assert list(isolated(_ahead_then, "next")) == ["sheet", "next"]


def _marks(flag: str):
    Path(flag).write_text("the worker is at work")
    yield "done"


def test_meanwhile_runs_while_the_worker_reads(tmp_path):
    """What makes validate faster on two cores: the caller's work overlaps the worker's. The
    caller's `meanwhile` waits for a mark the worker makes: run one after the other, it never comes."""
    from taizhang.validator.isolate import isolated

    flag = tmp_path / "flag"
    seen = []

    def meanwhile():
        deadline = time.monotonic() + 30
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(flag.exists())

    assert list(isolated(_marks, str(flag), meanwhile=meanwhile)) == ["done"]
    assert seen == [True]


def test_mobile_numbers_checked_by_pattern_agree_with_a_full_parse(monkeypatch):
    """contacts._validate accepts a mobile by phonenumbers' own CN patterns without parsing it;
    on every 3-digit prefix of 1xx with random digits after it, the verdict, number and kind are
    those of the full parse (the pattern replaced by one that never matches)."""
    import random
    import re

    from taizhang.validator import contacts

    rnd = random.Random(18)
    numbers = [f"{p}{rnd.randrange(10 ** 8):08d}" for p in range(100, 200) for _ in range(150)]
    numbers += ["13912345678", "16101234567", "17400123456", "17951234567", "12012345678"]
    fast = [contacts._validate("原文", n, "mobile", "8", mobile=True) for n in numbers]
    never = re.compile("(?!)")
    monkeypatch.setattr(contacts, "_cn_mobile", lambda: (never, never))
    slow = [contacts._validate("原文", n, "mobile", "8", mobile=True) for n in numbers]
    assert fast == slow
    assert fast[-5][0].number == "+8613912345678" and fast[-5][1] is None
    assert fast[-1][1] is not None  # 120… is no mobile range


def test_read_first_reads_the_first_files_while_the_caller_imports(generated, tmp_path):
    """validate --jobs: the reading worker reads the first files during the imports; what it
    read is what read_ledger gives, a file it cannot read is its ReadError, a big file is left to
    the workers, and the time budget is kept."""
    from taizhang.validator import isolate
    from taizhang.validator.filecheck import ReadError
    from taizhang.validator.reader import EARLY_MAX_BYTES, read_first, read_ledger

    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    big = tmp_path / "big.xlsx"
    big.write_bytes(generated.read_bytes() + b"\0" * EARLY_MAX_BYTES)  # too big to read early (and not a ledger)
    paths = [EX000, bad, big, EX003, XLS]
    ran = []
    isolate.reset()
    got = read_first(paths, ledger_type=None, sheet=None, meanwhile=lambda: ran.append(1), seconds=60)
    assert ran == [1] and sorted(got) == [0, 1, 3, 4]
    assert all(isinstance(got[i], bytes) for i in (0, 3, 4))  # still pickled: the validating process unpickles
    assert [pickle.loads(got[i]) for i in (0, 3, 4)] == [read_ledger(EX000), read_ledger(EX003), read_ledger(XLS)]
    assert isinstance(got[1], ReadError) and got[1].code == "unreadable-file"
    assert read_first(paths, ledger_type=None, sheet=None, meanwhile=lambda: None, seconds=0) == {}


def test_jobs_0_counts_the_cpus_this_process_may_use(monkeypatch, tmp_path):
    """--jobs 0 is one process per CPU the process may run on (a container's or taskset's share):
    with one, the files are validated here, without forking."""
    from taizhang.validator import isolate
    from taizhang.validator.validate import Options, validate_files

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3})
    assert isolate.usable_cpus() == 1

    def no_fork(*args, **kwargs):
        raise AssertionError("forked workers on a one-CPU share")

    monkeypatch.setattr(isolate, "spread", no_fork)
    for i in range(3):
        shutil.copy(EX003, tmp_path / f"{i}.xlsx")
    results = validate_files(sorted(tmp_path.iterdir()), Options(), 0)
    assert [r.rows for r in results] == [40, 40, 40]


def test_threads_loading_the_engine_at_once_all_wait_for_it_whole():
    """The service validates in threads: a thread that finds another one importing pandera waits
    until the import is done (it used to go on with a half-imported module: "partially initialized
    module 'pandera.pandas' has no attribute 'Check'", a refused upload). Half the threads validate
    straight away as a round's upload does, half load the engine first as the add-in's grid path does."""
    code = """if True:
        import threading, time
        from pathlib import Path
        from taizhang.validator.reader import read_grid
        from taizhang.validator.validate import Options, load_engine, validate_ledger
        grid = [["序号", "改革事项", "责任单位", "完成时限", "联系人", "联系电话"],
                [1, "事项", "市发展改革委", "2019年13月底", "张三", "123"]]
        got = []
        def one(i):
            time.sleep(0.01 * i)  # arriving one after another while the first ones import
            try:
                if i % 2:
                    load_engine()
                found, _ = validate_ledger(read_grid(grid, sheet="s", path=Path("s.xlsx")), Options(year=2019))
                got.append(sorted(f.code for f in found))
            except Exception as exc:
                got.append(f"{type(exc).__name__}: {exc}")
        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        print(got)
    """
    for _ in range(3):  # a race: each fresh process is one more chance to lose it
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert eval(done.stdout) == [["invalid-deadline", "invalid-phone"]] * 12
