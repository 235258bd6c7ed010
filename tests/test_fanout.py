"""fanout.run_all with real forked workers: every job sees what it would see in a serial run
(the replayed part and the carried state, also after a job that grows it), a job's error comes
back as itself, a worker that dies is a WorkerDied naming its job, and no worker is left."""

from __future__ import annotations

import errno
import json
import os
import signal
import time
from pathlib import Path

import pytest

from taizhang.ledgerops.fanout import WorkerDied, run_all

JOBS = 14


def children() -> set[int]:
    me = os.getpid()
    found: set[int] = set()
    for task in os.listdir(f"/proc/{me}/task"):
        found |= {int(p) for p in Path(f"/proc/{me}/task/{task}/children").read_text().split()}
    return found


def serial_view(grow: set[int]) -> dict[int, list]:
    """What job j sees in a serial run: every job before it, and the growing ones among them."""
    return {j: [list(range(j)), sorted(g for g in grow if g < j)] for j in range(JOBS)}


@pytest.mark.parametrize("grow", [set(), {0}, {3}, {3, 4, 9}, {JOBS - 1}])
def test_every_job_sees_what_a_serial_run_shows_it(grow, tmp_path):
    history: list[int] = []  # what replay[j] reproduces
    grown: list[int] = []  # the carried state: only the jobs in `grow` add to it

    def job(j: int):
        def run() -> None:
            time.sleep(0.02)  # long enough for both workers to take jobs
            (tmp_path / f"{j}.json").write_text(json.dumps([list(history), list(grown), os.getpid()]))
            history.append(j)
            if j in grow:
                grown.append(j)
        return run

    before = children()
    run_all([job(j) for j in range(JOBS)], lambda: len(grown), 2, [lambda j=j: history.append(j) for j in range(JOBS)])
    seen = {j: json.loads((tmp_path / f"{j}.json").read_text()) for j in range(JOBS)}
    assert {j: v[:2] for j, v in seen.items()} == serial_view(grow)
    assert len({v[2] for v in seen.values()}) >= 3  # the parent and two workers wrote files
    assert children() <= before


def test_a_jobs_error_comes_back_as_itself_and_no_worker_is_left():
    def job(j: int):
        def run() -> None:
            time.sleep(0.02)
            if j == 6:
                raise OSError(errno.ENOSPC, "No space left on device", f"/out/{j}.xlsx")
        return run

    before = children()
    with pytest.raises(OSError) as caught:
        run_all([job(j) for j in range(JOBS)], lambda: 0, 2)
    assert (caught.value.errno, caught.value.filename) == (errno.ENOSPC, "/out/6.xlsx")
    assert children() <= before


def test_a_worker_that_dies_is_named_by_its_job():
    def job(j: int):
        def run() -> None:
            time.sleep(0.02)
            if j == 5:
                os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return run

    before = children()
    with pytest.raises(WorkerDied) as caught:
        run_all([job(j) for j in range(JOBS)], lambda: 0, 2)
    assert (caught.value.job, caught.value.status) == (5, -signal.SIGKILL)
    assert children() <= before
