"""Collection rounds, headless, on real files: create, submit, fix, status, merge, history, next round, roll-up.

The ledger is the 000 example split by 责任单位 into 市卫生健康委 (master rows 3-14), 市市场监管局
and 市医保局 (both rows 10-13: in their files, rows 3-6). Every expected value below was worked out
from the seed before the code ran.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from conftest import EX000
from pgserver import db_url, postgres  # noqa: F401  (fixtures: every store test runs on SQLite and PostgreSQL)
from taizhang.rounds import (RoundError, Store, SubmissionRejected, TokenInvalid, cell_history, chase_list, chase_text,
                             follow_cell,
                             create_round, department_by_token, download_for_department, events, get_round,
                             merge_round, next_round, reissue_token, revoke_token, rollup_round, round_status,
                             set_allow_late, submit)
from taizhang.validator.reader import read_ledger

SHEET = "工作台账"
G10_SEED = ("目前，我委已组织专家、疫苗生产配送企业进行了研讨，起草了《大连市疫苗预防接种全程追溯系统建设方案》，"
            "并获得了省卫生健康委的支持，下一步我委将组织信息化专家对方案进一步论证。")
G10_ROUND1 = "追溯系统建设方案已通过专家论证，正在报审。"
G10_ROUND2 = "已完成追溯系统建设，在3个区市县试点。"


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def filled(src: Path, dst: Path, cells: dict[str, object]) -> Path:
    """A department's file as they send it back: opened in a spreadsheet program, typed into, saved."""
    wb = openpyxl.load_workbook(src)
    for ref, value in cells.items():
        wb[SHEET][ref] = value
    wb.save(dst)
    return dst


def cell(path: Path, ref: str):
    return openpyxl.load_workbook(path)[SHEET][ref].value


@pytest.fixture
def store(tmp_path, db_url):
    s = Store.open(tmp_path / "data", db_url)
    yield s
    s.close()


def new_round(store: Store, tmp_path: Path, due: date | None = None):
    master = tmp_path / "2019年卫生健康工作台账.xlsx"
    shutil.copy(EX000, master)
    return create_round(store, master, "2019年第二季度", due or date.today() + timedelta(days=7), by="体改处",
                        split_by="责任单位")


def test_whole_round(store, tmp_path):
    master_before = sha(EX000)
    rnd = new_round(store, tmp_path)
    assert [d.name for d in rnd.departments] == ["市卫生健康委", "市市场监管局", "市医保局"]
    ybj, jgj, wjw = rnd.department("市医保局"), rnd.department("市市场监管局"), rnd.department("市卫生健康委")
    assert ybj.rows == [10, 11, 12, 13] and wjw.rows == list(range(3, 15))
    tokens = [d.token for d in rnd.departments]
    assert len(set(tokens)) == 3 and all(len(t) == 43 for t in tokens)
    with store.read() as conn:  # every text the database holds about departments
        stored = json.dumps([list(r) for r in conn.exec_driver_sql("SELECT * FROM departments")], default=str)
    assert not any(t in stored for t in tokens), "tokens are stored hashed only"

    # a department opens its link: only itself, only its rows
    opened, dept = department_by_token(store, ybj.token)
    assert (opened.id, dept.name, [d.name for d in opened.departments]) == (rnd.id, "市医保局", ["市医保局"])
    own = download_for_department(store, rnd.id, ybj.id)
    assert dept.file_name == "市医保局.xlsx"
    assert own.parent.parent.name == "files" and own.name == sha(own) + ".xlsx"
    got = read_ledger(own)
    assert len(got) == 4 and got.metadata["department"] == "市医保局"
    texts = [v for col in got.values.values() for v in col if v]
    assert not any("组建大连市卫生健康委员会" in v for v in texts)  # master row 3, 市卫生健康委's only
    assert cell(own, "G3") == G10_SEED

    # 市医保局: first upload with a bad phone, then fixed and uploaded again
    first = submit(store, rnd.id, ybj.id, filled(own, tmp_path / "a.xlsx", {"G3": G10_ROUND1, "H4": "张三", "I4": "3905"}),
                   "市医保局 报送.xlsx")
    assert (first.errors, first.rows) == (3, 4)
    bad = [f for f in first.findings if f["cell"] == "I4"]
    assert bad[0]["code"] == "invalid-phone" and bad[0]["message"] == "「3905」不是有效的电话号码：位数不对"
    fixed_file = filled(own, tmp_path / "b.xlsx", {"G3": G10_ROUND1, "H4": "张三", "I4": "39052000"})
    second = submit(store, rnd.id, ybj.id, fixed_file, "市医保局 报送（改）.xlsx")
    # what is left is the seed's own defect: master row 13 (file row 6) has no contact
    assert second.errors == 2 and {f["cell"] for f in second.findings} == {"H6", "I6"}
    assert second.sha256 == sha(fixed_file) and store.file_path(second.file).read_bytes() == fixed_file.read_bytes()

    # 市市场监管局: two progress cells, and a deadline it may not change
    jgj_file = download_for_department(store, rnd.id, jgj.id)
    submit(store, rnd.id, jgj.id, filled(jgj_file, tmp_path / "c.xlsx",
                                         {"G5": "已完成短缺药品信息直报培训。", "F5": "5月底", "G6": "已完成绩效考核。"}), "监管局.xlsx")

    # refused as a whole: another department's file, someone else's rows, a damaged file
    with pytest.raises(SubmissionRejected) as exc:
        submit(store, rnd.id, jgj.id, fixed_file, "市医保局.xlsx")
    assert exc.value.code == "wrong-department"
    assert exc.value.zh == "市医保局.xlsx：这是分发给「市医保局」的文件，请上传本处室（市市场监管局）的文件"
    whole = filled(EX000, tmp_path / "whole.xlsx", {"G3": "改了别人的行", "G12": "已完成短缺药品信息直报培训。"})
    with pytest.raises(SubmissionRejected) as exc:
        submit(store, rnd.id, jgj.id, whole, "全表.xlsx")
    assert exc.value.code == "other-rows" and exc.value.cells == ["G3"]
    assert "修改了不属于本处室（市市场监管局）的行（G3），整份文件未接收" in exc.value.zh
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(fixed_file.read_bytes()[:3000])
    with pytest.raises(SubmissionRejected) as exc:
        submit(store, rnd.id, jgj.id, broken, "../../etc/passwd.xlsx")
    assert exc.value.zh == "passwd.xlsx：文件已损坏：压缩包不完整或被截断"

    # the office's view
    status = {s.name: s for s in round_status(store, rnd.id)}
    assert (status["市医保局"].submitted, status["市医保局"].submissions, status["市医保局"].errors) == (True, 2, 2)
    assert status["市医保局"].original_name == "市医保局 报送（改）.xlsx"
    assert (status["市市场监管局"].submissions, status["市卫生健康委"].submitted) == (1, False)
    assert chase_list(store, rnd.id) == ["市卫生健康委"]
    due = rnd.due
    assert chase_text(store, rnd.id) == (f"《2019年第二季度》截止日期为{due.year}年{due.month}月{due.day}日，"
                                         "以下 1 个处室尚未报送，请抓紧报送：市卫生健康委。")

    # merge: three-way rules, nothing applied silently
    out = merge_round(store, rnd.id, by="体改处")
    assert {a["cell"] for a in out.report["applied"]} == {"G10", "H11", "I11", "G12", "G13"}
    assert [(r["cell"], r["source"]) for r in out.report["rejected"]] == [("F12", "市市场监管局.xlsx")]
    assert out.missing == ["市卫生健康委"] and sorted(out.merged_departments) == ["市医保局", "市市场监管局"]
    assert "未应用（锁定列）1 处" in out.summary_zh
    merged = store.file_path(out.merged_file)
    assert (cell(merged, "G10"), cell(merged, "I11"), cell(merged, "F12")) == (G10_ROUND1, "39052000", "6月底")
    assert sha(EX000) == master_before
    assert get_round(store, rnd.id).state == "merged"

    # who changed G10, when, from what
    (change,) = cell_history(store, cell="g10")
    assert (change.department, change.old, change.new, change.round_name) == ("市医保局", G10_SEED, G10_ROUND1, "2019年第二季度")
    assert change.file_sha256 == sha(fixed_file)
    assert [c.cell for c in cell_history(store, rnd.id, column="推进情况")] == ["G10", "G12", "G13"]
    assert [c.cell for c in cell_history(store, rnd.id, column="g")] == ["G10", "G12", "G13"]
    assert [c.cell for c in cell_history(store, rnd.id, row=11)] == ["H11", "I11"]

    # the event log: every state change, no cell contents
    log = events(store, rnd.id)
    assert [e.action for e in log] == ["round-created", "submitted", "submitted", "submitted", "submission-refused",
                                       "submission-refused", "submission-refused", "round-merged"]
    assert [e.actor for e in log][:3] == ["体改处", "市医保局", "市医保局"]
    dumped = json.dumps([e.to_dict() for e in log], ensure_ascii=False)
    assert G10_ROUND1 not in dumped and "39052000" not in dumped and "张三" not in dumped

    # the next round starts from the merged master; the old links stop working
    rnd2 = next_round(store, rnd.id, "2019年第三季度", date.today() + timedelta(days=30), by="体改处")
    assert get_round(store, rnd.id).state == "closed" and rnd2.previous_id == rnd.id and rnd2.ledger_id == rnd.id
    with pytest.raises(TokenInvalid):
        department_by_token(store, ybj.token)
    with pytest.raises(RoundError) as exc:
        next_round(store, rnd.id, "又一轮", date.today() + timedelta(days=30))
    assert exc.value.zh == "「2019年第二季度」已有下一轮「2019年第三季度」"
    ybj2 = rnd2.department("市医保局")
    own2 = download_for_department(store, rnd2.id, ybj2.id)
    assert cell(own2, "G3") == G10_ROUND1
    submit(store, rnd2.id, ybj2.id, filled(own2, tmp_path / "d.xlsx", {"G3": G10_ROUND2}), "三季度.xlsx")
    merge_round(store, rnd2.id, by="体改处")
    history = cell_history(store, ledger_id=rnd.ledger_id, cell="G10")
    assert [(c.round_name, c.old, c.new) for c in history] == [
        ("2019年第二季度", G10_SEED, G10_ROUND1), ("2019年第三季度", G10_ROUND1, G10_ROUND2)]

    # roll-up of round 2 against round 1
    roll = rollup_round(store, rnd2.id, as_of=date(2019, 7, 1), by="体改处")
    assert roll.report["previous"]["kind"] == "master"
    units = {u["unit"]: u for u in roll.report["by_unit"]}
    assert units["市医保局"]["change"]["done"] == 1
    assert openpyxl.load_workbook(store.file_path(roll.rollup_file)).sheetnames[0] == "汇总"


def test_due_date_and_late_files(store, tmp_path):
    rnd = new_round(store, tmp_path, due=date.today() - timedelta(days=1))
    ybj = rnd.department("市医保局")
    own = download_for_department(store, rnd.id, ybj.id)
    upload = filled(own, tmp_path / "late.xlsx", {"G3": G10_ROUND1})
    with pytest.raises(SubmissionRejected) as exc:
        submit(store, rnd.id, ybj.id, upload, "late.xlsx")
    d = rnd.due
    assert exc.value.zh == (f"《2019年第二季度》已于 {d.year}年{d.month}月{d.day}日截止，不再接收报送；"
                            "如需补报，请联系牵头处室开放补报")
    with pytest.raises(RoundError) as not_merged:
        next_round(store, rnd.id, "下一轮", date.today() + timedelta(days=30))
    assert not_merged.value.zh == "上一轮「2019年第二季度」尚未合并，不能从它开始下一轮"
    set_allow_late(store, rnd.id, True, by="体改处")
    assert submit(store, rnd.id, ybj.id, upload, "late.xlsx").late is True
    assert round_status(store, rnd.id)[2].late is True


def test_tokens_revoke_and_reissue(store, tmp_path):
    rnd = new_round(store, tmp_path)
    ybj = rnd.department("市医保局")
    revoke_token(store, rnd.id, ybj.id, by="体改处")
    with pytest.raises(TokenInvalid) as exc:
        department_by_token(store, ybj.token)
    assert exc.value.zh == "链接无效或已失效，请向牵头处室索取新的报送链接"
    fresh = reissue_token(store, rnd.id, ybj.id, by="体改处")
    assert fresh != ybj.token and department_by_token(store, fresh)[1].name == "市医保局"
    with pytest.raises(TokenInvalid):
        department_by_token(store, ybj.token)
    with pytest.raises(TokenInvalid):  # a token of another kind of string entirely
        department_by_token(store, "' OR 1=1 --")
    assert [e.action for e in events(store, rnd.id)][-2:] == ["token-revoked", "token-reissued"]


def test_store_reopens_and_keeps_everything(tmp_path, db_url):
    data = tmp_path / "data"
    with Store.open(data, db_url) as s:
        rnd = new_round(s, tmp_path)
    with Store.open(data, db_url) as s:
        again = get_round(s, rnd.id)
        assert [d.name for d in again.departments] == ["市卫生健康委", "市市场监管局", "市医保局"]
        assert again.master_name == "2019年卫生健康工作台账.xlsx"
        assert s.file_path(again.master_file).read_bytes() == EX000.read_bytes()


def test_added_row_recorded_cell_by_cell(store, tmp_path):
    """A sub-item a department adds to its task goes in only when the office accepts new rows, and
    then each of its cells is in the history as that department's."""
    rnd = new_round(store, tmp_path)
    ybj = rnd.department("市医保局")
    wb = openpyxl.load_workbook(download_for_department(store, rnd.id, ybj.id))
    ws = wb[SHEET]
    for ref, value in {"E7": "建立短缺药品监测哨点。", "F7": "9月底", "G7": "已启动。", "H7": "张三", "I7": "39052000"}.items():
        ws[ref] = value
    wb.save(tmp_path / "added.xlsx")
    submit(store, rnd.id, ybj.id, tmp_path / "added.xlsx", "added.xlsx")

    listed = merge_round(store, rnd.id)
    assert [(n["added"], n["task"]) for n in listed.report["new_rows"]] == [(False, "4")]
    assert cell_history(store, rnd.id) == []

    accepted = merge_round(store, rnd.id, accept_new_rows=True)
    assert [(n["added"], n["row"]) for n in accepted.report["new_rows"]] == [(True, 14)]
    merged = store.file_path(accepted.merged_file)
    assert (cell(merged, "E14"), cell(merged, "E15")) == ("建立短缺药品监测哨点。", cell(EX000, "E14"))  # row 14 moved down
    added = cell_history(store, rnd.id, row=14)
    assert [(c.cell, c.column, c.new, c.kind, c.department) for c in added] == [
        ("E14", "重要成果形式", "建立短缺药品监测哨点。", "new-row", "市医保局"),
        ("F14", "完成时限及主要节点", "9月底", "new-row", "市医保局"),
        ("G14", "推进情况", "已启动。", "new-row", "市医保局"),
        ("H14", "联系人", "张三", "new-row", "市医保局"),
        ("I14", "联系电话", "39052000", "new-row", "市医保局")]


def test_a_cell_followed_through_rounds_when_rows_are_added_above_it(store, tmp_path):
    """Master row 14 (王宏彦's sub-item) moves to 15 when round 1 adds a row above it and to 16 in
    round 2; its 推进情况 history is found from round 2's address through both rounds."""
    rnd = new_round(store, tmp_path)

    def add_row_and_edit(r, text: str, progress14: str, n: int) -> None:
        ybj, wjw = r.department("市医保局"), r.department("市卫生健康委")
        wb = openpyxl.load_workbook(download_for_department(store, r.id, ybj.id))
        ws = wb[SHEET]
        last = ws.max_row
        while not ws.cell(last, 5).value:  # the department's last sub-item
            last -= 1
        for col, value in zip("EFGHI", [text, "9月底", "已启动。", "张三", "39052000"]):
            ws[f"{col}{last + 1}"] = value
        wb.save(tmp_path / f"ybj{n}.xlsx")
        submit(store, r.id, ybj.id, tmp_path / f"ybj{n}.xlsx", "ybj.xlsx")
        own = download_for_department(store, r.id, wjw.id)
        row = next(i for i in range(3, 40) if cell(own, f"E{i}") == cell(EX000, "E14"))
        submit(store, r.id, wjw.id, filled(own, tmp_path / f"wjw{n}.xlsx", {f"G{row}": progress14}), "wjw.xlsx")
        merge_round(store, r.id, accept_new_rows=True)

    add_row_and_edit(rnd, "建立短缺药品监测哨点。", "短缺药品直报培训已完成。", 1)
    rnd2 = next_round(store, rnd.id, "2019年第三季度", date.today() + timedelta(days=30))
    add_row_and_edit(rnd2, "建立短缺药品储备制度。", "短缺药品直报已覆盖全部公立医院。", 2)
    merged2 = store.file_path(get_round(store, rnd2.id).merged_file)
    assert cell(merged2, "E16") == cell(EX000, "E14")

    followed = follow_cell(store, rnd2.id, "G16")
    assert [(c.round_name, c.cell, c.department, c.old, c.new) for c in followed] == [
        ("2019年第二季度", "G15", "市卫生健康委", cell(EX000, "G14"), "短缺药品直报培训已完成。"),
        ("2019年第三季度", "G16", "市卫生健康委", "短缺药品直报培训已完成。", "短缺药品直报已覆盖全部公立医院。")]
    # by address alone, round 1's G16 is another row: the follow is what finds it
    assert [c.round_name for c in cell_history(store, ledger_id=rnd.ledger_id, cell="G16")] == ["2019年第三季度"]
