"""Rounds against hostile uploads and crashes: refused in one line, nothing stored, nothing half-made."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import openpyxl
import pytest

from conftest import EX000
from test_hostile import HOSTILE
from taizhang.rounds import (Store, SubmissionRejected, create_round, download_for_department, get_round, merge_round,
                             round_status, submit)
from taizhang.rounds.submit import MAX_UPLOAD_BYTES


def stored_files(store: Store) -> set[str]:
    return {p.name for p in store.files_dir.rglob("*") if p.is_file()}


@pytest.fixture
def opened(tmp_path):
    store = Store.open(tmp_path / "data")
    master = tmp_path / "总台账.xlsx"
    shutil.copy(EX000, master)
    rnd = create_round(store, master, "2019年第二季度", date.today() + timedelta(days=7), split_by="责任单位")
    yield store, rnd
    store.close()


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_upload_refused_in_one_line(tmp_path, opened, case):
    store, rnd = opened
    make, words = HOSTILE[case]
    bad = make(tmp_path)
    before = stored_files(store)
    dept = rnd.department("市医保局")
    with pytest.raises(SubmissionRejected) as exc:
        submit(store, rnd.id, dept.id, bad, "报送.xlsx")
    assert exc.value.code == "unreadable"
    assert exc.value.zh.startswith("报送.xlsx：") and words in exc.value.zh and "\n" not in exc.value.zh
    assert stored_files(store) == before and list(store.tmp_dir.iterdir()) == []
    assert not round_status(store, rnd.id)[2].submitted


def test_upload_over_the_size_cap(tmp_path, opened):
    store, rnd = opened
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as fh:
        fh.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(SubmissionRejected) as exc:
        submit(store, rnd.id, rnd.departments[0].id, big, "大文件.xlsx")
    assert exc.value.code == "too-large" and exc.value.zh == "大文件.xlsx：文件过大（50.0 MB，上限 50 MB）"


def own_file_filled(store: Store, rnd, dept, path, progress: str):
    """The department's file with 推进情况 of its first row filled in."""
    wb = openpyxl.load_workbook(download_for_department(store, rnd.id, dept.id))
    wb["工作台账"]["G3"] = progress
    wb.save(path)
    return path


def test_client_names_never_become_paths(tmp_path, opened):
    store, rnd = opened
    dept = rnd.department("市医保局")
    own_file_filled(store, rnd, dept, tmp_path / "up.xlsx", "已完成。")
    sub = submit(store, rnd.id, dept.id, tmp_path / "up.xlsx", "..\\..\\..\\Windows\\win\n.ini.xlsx")
    assert sub.original_name == "win.ini.xlsx"
    assert store.file_path(sub.file).parent.parent == store.files_dir
    assert not (tmp_path / "Windows").exists() and not (store.data_dir.parent / "win.ini.xlsx").exists()


def test_crash_mid_merge_loses_nothing(tmp_path, opened):
    """Kill -9 a `taizhang round merge` while it works: the round is as before, and merges cleanly after."""
    store, rnd = opened
    dept = rnd.department("市医保局")
    submit(store, rnd.id, dept.id, own_file_filled(store, rnd, dept, tmp_path / "up.xlsx", "已完成追溯系统建设。"), "up.xlsx")
    files_before = stored_files(store)
    cmd = [sys.executable, "-c", "from taizhang.cli import main; main()", "round", "merge", str(rnd.id),
           "--data", str(store.data_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(store.tmp_dir.glob("work-*/报送/*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the merge finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    after = get_round(store, rnd.id)
    assert (after.state, after.merged_file) == ("open", None)
    assert stored_files(store) == files_before  # no merged master was stored, let alone referenced
    out = merge_round(store, rnd.id)
    assert out.applied == 1 and get_round(store, rnd.id).state == "merged"
