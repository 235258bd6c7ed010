"""Twenty departments uploading at the same moment: every upload stored and validated, none lost.

Threads share one Store (as one service process does); processes each open their own (as several
service workers do). SQLite relies on WAL and the busy timeout, PostgreSQL on its own locking.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from conftest import seed_000_rows, write_ledger
from pgserver import db_url, postgres  # noqa: F401
from taizhang.rounds import Store, create_round, download_for_department, events, round_status, submit

NAMES = ["李光盈", "宋斌", "马新光", "刘春明", "彭永锋", "王荣新", "孙克", "王宏彦", "丁向芳", "张丽",
         "赵文博", "陈静", "杨帆", "黄磊", "周敏", "吴昊", "徐婷", "朱海涛", "高鹏", "林晓"]


def twenty_department_master(path: Path) -> Path:
    """Seed 000's sub-items as twenty one-row tasks, one contact (department) each."""
    seed, task = [], {}
    for r in seed_000_rows():  # a sub-item row leaves its task's cells blank (merged): fill them down
        task = {k: r[k] or task.get(k, "") for k in ("任务分类", "改革事项")} if r["序号"] else task
        if r.get("重要成果形式"):
            seed.append(dict(r, **task))
    rows = []
    for i, name in enumerate(NAMES):
        s = seed[i % len(seed)]
        rows.append([i + 1, s["任务分类"], s["改革事项"], "市卫生健康委", f"{s['重要成果形式']}（第{i + 1}项）", "6月底",
                     "正在推进。", name, f"390520{i:02d}"])
    return write_ledger(path, rows, title="全面深化改革 2019 年卫生健康工作台账")


def fill_in(store: Store, rnd, tmp: Path) -> list[tuple[int, Path, str]]:
    """Each department's file, downloaded and filled in: (department id, upload, expected progress text)."""
    out = []
    for d in rnd.departments:
        wb = openpyxl.load_workbook(download_for_department(store, rnd.id, d.id))
        text = f"已完成，{d.name}报送。"
        wb["工作台账"]["G3"] = text
        upload = tmp / f"upload-{d.id}.xlsx"
        wb.save(upload)
        out.append((d.id, upload, text))
    return out


def _submit_in_process(data: str, url: str | None, round_id: int, dept_id: int, upload: str) -> int:
    with Store.open(Path(data), url) as store:
        return submit(store, round_id, dept_id, Path(upload), f"{dept_id}.xlsx").id


def check_all_stored(store: Store, rnd, uploads, ids) -> None:
    assert len(set(ids)) == 20
    status = round_status(store, rnd.id)
    assert [s.submitted for s in status] == [True] * 20
    assert all(s.errors == 0 and s.submissions == 1 for s in status)
    assert sum(1 for e in events(store, rnd.id) if e.action == "submitted") == 20
    from taizhang.rounds import latest_submissions
    from taizhang.validator.reader import read_ledger

    latest = latest_submissions(store, rnd.id)
    for dept_id, _, text in uploads:  # the stored file is the one that department sent
        assert read_ledger(store.file_path(latest[dept_id].file)).values["推进情况"][0] == text


def test_twenty_departments_at_once_threads(tmp_path, db_url):
    store = Store.open(tmp_path / "data", db_url)
    rnd = create_round(store, twenty_department_master(tmp_path / "总台账.xlsx"), "并发", date.today() + timedelta(days=3))
    assert len(rnd.departments) == 20
    uploads = fill_in(store, rnd, tmp_path)
    start = threading.Barrier(20)

    def one(item):
        dept_id, upload, _ = item
        start.wait()
        return submit(store, rnd.id, dept_id, upload, upload.name).id

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(one, uploads))
    check_all_stored(store, rnd, uploads, ids)
    store.close()


def test_twenty_departments_at_once_processes(tmp_path):
    store = Store.open(tmp_path / "data")
    rnd = create_round(store, twenty_department_master(tmp_path / "总台账.xlsx"), "并发", date.today() + timedelta(days=3))
    uploads = fill_in(store, rnd, tmp_path)
    store.close()  # no pooled connection crosses the fork
    with ProcessPoolExecutor(10, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_submit_in_process, str(tmp_path / "data"), None, rnd.id, d, str(u)) for d, u, _ in uploads]
        ids = [f.result(timeout=300) for f in futures]
    store = Store.open(tmp_path / "data")
    check_all_stored(store, rnd, uploads, ids)
    store.close()


def _open_and_count(data: str, url: str | None) -> int:
    with Store.open(Path(data), url) as store, store.read() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM schema_version").scalar()


def test_many_workers_open_a_new_database_at_once(tmp_path, db_url):
    """Service workers starting together on an empty database: one creates the tables, none fails."""
    with ProcessPoolExecutor(6, mp_context=multiprocessing.get_context("fork")) as pool:
        counts = list(pool.map(_open_and_count, [str(tmp_path / "data")] * 6, [db_url] * 6))
    assert counts == [1] * 6


def test_round_errors_come_back_from_a_worker_process_whole():
    """A worker's RoundError reaches the caller as itself (it broke the process pool instead:
    the default pickling rebuilt it from its Chinese text alone and hid the worker's real error)."""
    import pickle

    from taizhang.ledgerops.errors import LedgerOpError
    from taizhang.rounds.errors import NotFound, SubmissionRejected, TokenInvalid

    for exc in (LedgerOpError("中文", "english"), NotFound("找不到轮次", "no such round"), TokenInvalid(),
                SubmissionRejected("rejected", "不是本单位的行", "not your rows", ["D7", "D9"])):
        back = pickle.loads(pickle.dumps(exc))
        assert type(back) is type(exc) and str(back) == str(exc)
        assert (back.message("zh"), back.message("en")) == (exc.message("zh"), exc.message("en"))
        assert getattr(back, "code", None) == getattr(exc, "code", None)
        assert getattr(back, "cells", None) == getattr(exc, "cells", None)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        with pytest.raises(NotFound) as raised:
            pool.submit(_raise_not_found).result()
    assert raised.value.message("en") == "no such round" and raised.value.code == "not-found"


def _raise_not_found() -> None:
    from taizhang.rounds.errors import NotFound

    raise NotFound("找不到轮次", "no such round")
