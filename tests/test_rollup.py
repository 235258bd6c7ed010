"""Roll-up on real ledgers: statuses and the rules behind them, overdue items, per-unit counts,
the workbook (opened back, and rendered by LibreOffice), --previous, and the command."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from taizhang.cli import app
from conftest import EX000, EX002, EX003, write_ledger
from lo import assert_not_blank, pdf_fonts, pdf_pages, pdf_text, read_png, to_pdf, to_png
from taizhang.ledgerops.rollup import StatusRules, StatusRulesError, rollup
from taizhang.ledgerops.rollup_xlsx import SHEETS, write_rollup_xlsx
from taizhang.ledgerops.safe_write import write_atomic
from taizhang.validator.filecheck import ReadError

runner = CliRunner()
D0627, D0701 = dt.date(2019, 6, 27), dt.date(2019, 7, 1)
HEALTH, MARKET, INSURANCE = "市卫生健康委", "市市场监管局", "市医保局"


def _units(result) -> dict[str, dict[str, int]]:
    return {c.name: c.values() for c in result.by_unit}


def _counts(items, done, in_progress, not_started, ongoing, overdue) -> dict[str, int]:
    return dict(items=items, done=done, in_progress=in_progress, not_started=not_started, ongoing=ongoing,
                overdue=overdue)


# ---------------------------------------------------------------------- the issue's "done when"


def test_000_as_of_june_27_only_the_april_items_are_overdue():
    r = rollup(EX000, D0627)
    overdue = {i.row: i for i in r.items if i.is_overdue}
    assert set(overdue) == {5, 10}
    medical = overdue[5]  # 紧密型医疗联合体, due 4月底, 正在制定
    assert "紧密型医疗联合体" in medical.output and medical.progress == "正在制定。"
    assert (medical.first_overdue.date, medical.days_overdue) == (dt.date(2019, 4, 30), 58)
    # no item whose every milestone is 6月底 or later is overdue
    late = [i for i in r.items if i.milestones and all(d >= dt.date(2019, 6, 30) for d, _, _ in i.milestones)]
    assert {i.row for i in late} == {4, 6, 7, 8, 9, 11, 12, 13, 14}
    assert not any(i.is_overdue for i in late)
    assert _units(r) == {
        HEALTH: _counts(12, 1, 11, 0, 0, 2),
        MARKET: _counts(4, 0, 4, 0, 0, 1),
        INSURANCE: _counts(4, 0, 4, 0, 0, 1),
    }
    assert r.totals.values() == _counts(12, 1, 11, 0, 0, 2)


def test_000_as_of_july_1_the_june_items_not_done_are_overdue_too():
    r = rollup(EX000, D0701)
    june = {i.row for i in r.items if any(d == dt.date(2019, 6, 30) for d, _, _ in i.milestones)}
    assert june == {7, 9, 12, 13, 14}
    assert all(i.status != "done" for i in r.items if i.row in june)
    assert {i.row for i in r.items if i.is_overdue} == {5, 10} | june
    assert all(i.days_overdue == 1 for i in r.items if i.row in june)
    assert _units(r) == {
        HEALTH: _counts(12, 1, 11, 0, 0, 7),
        MARKET: _counts(4, 0, 4, 0, 0, 3),
        INSURANCE: _counts(4, 0, 4, 0, 0, 3),
    }
    # a milestone due on the as-of date itself is not overdue yet
    assert not any(i.is_overdue for i in rollup(EX000, dt.date(2019, 6, 30)).items if i.row in june)


def test_003_ongoing_items_are_never_overdue():
    r = rollup(EX003, dt.date(2030, 1, 1))
    ongoing = [i for i in r.items if i.status == "ongoing"]
    assert len(ongoing) == 12
    assert all(i.rule == "deadline-ongoing" and not i.is_overdue for i in ongoing)
    assert all(("持续实施" in i.deadline_text or "持续推进" in i.deadline_text) for i in ongoing)
    # every dated 2017 item is overdue by 2030; the ledger has no progress column to say otherwise
    dated = [i for i in r.items if i.status != "ongoing"]
    assert len(dated) == 28 and all(i.is_overdue and i.rule == "no-progress-column" for i in dated)
    units = _units(r)
    # 市卫生计生委市人力社保局 (no separator) counts for both units; 2017 keeps the old name
    both = next(i for i in r.items if i.units_text == "市卫生计生委市人力社保局" and i.status != "ongoing")
    assert both.units == ["市卫生计生委", "市人力社保局"]
    assert units["市卫生计生委"] == _counts(27, 0, 0, 17, 10, 17)
    assert units["市人力社保局"] == _counts(10, 0, 0, 8, 2, 8)
    assert units["市民政局"] == _counts(1, 0, 0, 1, 0, 1)
    assert sum(c["items"] for c in units.values()) == 40 + 3  # three rows name two units
    assert r.totals.values() == _counts(40, 0, 0, 28, 12, 28)
    # in 2017 itself only what was due before 10-15 is late
    mid = rollup(EX003, dt.date(2017, 10, 15))
    assert {i.first_overdue.date for i in mid.items if i.is_overdue} == {dt.date(2017, 7, 31), dt.date(2017, 9, 30)}


def test_json_has_the_issues_shape():
    doc = json.loads(json.dumps(rollup(EX000, D0627).to_dict(), ensure_ascii=False))
    assert doc["as_of"] == "2019-06-27"
    assert doc["by_unit"][0] == {"unit": HEALTH, "items": 12, "done": 1, "in_progress": 11, "not_started": 0,
                                 "ongoing": 0, "overdue": 2}
    first = doc["overdue"][0]
    assert {k: first[k] for k in ("row", "unit", "deadline", "days", "contact", "phone")} == {
        "row": 5, "unit": HEALTH, "deadline": "2019-04-30", "days": 58, "contact": "马新光", "phone": "39052225"}
    # row 10 has three responsible units: one entry each
    assert sorted(e["unit"] for e in doc["overdue"] if e["row"] == 10) == sorted([HEALTH, MARKET, INSURANCE])
    item3 = next(i for i in doc["items"] if i["row"] == 3)
    assert (item3["status"], item3["rule"], item3["evidence"]) == ("done", "done-on-date", "5月31日完成")
    assert [m["month"] for m in doc["by_month"]] == ["2019-04", "2019-05", "2019-06", "2019-07", "2019-09",
                                                    "2019-10", "2019-12"]
    assert doc["by_month"][0] == {"month": "2019-04", "milestones": 2, "done": 0, "overdue": 2, "not_due": 0,
                                  "ongoing": 0}


# ---------------------------------------------------------------------- status rules


@pytest.mark.parametrize("progress,status,rule", [
    (None, "not_started", "empty"),
    ("正在制定。", "in_progress", "in-progress-words"),
    ("已印发《实施方案》。", "done", "done-words"),
    ("已出台", "done", "done-words"),
    ("完成", "done", "done-words"),
    ("已于3月15日印发通知", "done", "done-words"),
    ("5 月 31 日完成提请市政府出台实施方案。", "done", "done-on-date"),
    ("尚未启动。", "not_started", "not-started-words"),
    ("无", "not_started", "not-started-words"),
    ("已启动第三方评估", "in_progress", "in-progress-words"),
    # done wording next to in-progress wording is not done: the item would vanish from the overdue list
    ("前期调研已完成，目前结合历史数据进行测算", "in_progress", "in-progress-words"),
    ("计划于9月底完成", "in_progress", "in-progress-words"),
    ("尚未完成", "in_progress", "in-progress-words"),
    ("通过培训加大培养力度。", "in_progress", "other-text"),
])
def test_progress_phrases(progress, status, rule):
    d = StatusRules.load().decide(status_text=None, progress_text=progress, deadline_state="dated", has_progress=True)
    assert (d.status, d.rule.id) == (status, rule)


def test_deadline_rules_come_first():
    rules = StatusRules.load()
    done = rules.decide(status_text=None, progress_text=None, deadline_state="done", has_progress=True)
    ongoing = rules.decide(status_text=None, progress_text="正在推进", deadline_state="ongoing", has_progress=True)
    missing = rules.decide(status_text=None, progress_text=None, deadline_state="dated", has_progress=False)
    assert (done.status, done.rule.id, done.source) == ("done", "deadline-done", "deadline")
    assert (ongoing.status, ongoing.rule.id) == ("ongoing", "deadline-ongoing")
    assert (missing.status, missing.rule.id) == ("not_started", "no-progress-column")


def test_a_milestone_done_in_the_deadline_text_is_not_overdue(tmp_path):
    path = write_ledger(tmp_path / "m.xlsx", [
        [1, "分类", "事项一", "市卫生健康委", "方案", "1.4月底前已完成方案。2.12月底前完成评估。", "正在推进评估", "张三", "39052220"],
        [2, "分类", "事项二", "市卫生健康委", "方案", "1.4月底前出方案。2.12月底前完成评估。", "正在推进评估", "李四", "39052221"],
    ])
    r = rollup(path, D0701)
    assert [i.is_overdue for i in r.items] == [False, True]
    assert r.items[1].first_overdue.date == dt.date(2019, 4, 30)


def test_the_status_column_decides_when_the_type_has_one(tmp_path):
    ltype = tmp_path / "with-status.yaml"
    ltype.write_text(
        "name: with-status\ntitle: 带状态列的台账\ncolumns:\n"
        "  - {name: 序号, role: key, level: task, required: true}\n"
        "  - {name: 工作任务, role: task, level: task, required: true}\n"
        "  - {name: 责任单位, role: units, level: task}\n"
        "  - {name: 完成时限, role: deadline}\n"
        "  - {name: 推进情况, role: progress}\n"
        "  - {name: 状态, role: status}\n", encoding="utf-8")
    path = write_ledger(tmp_path / "s.xlsx", [
        [1, "甲", "市卫生健康委", "4月底", "正在制定", "已完成"],
        [2, "乙", "市医保局", "4月底", "已印发", "进行中"],
        [3, "丙", "市医保局", "4月底", "正在制定", None],
    ], header=["序号", "工作任务", "责任单位", "完成时限", "推进情况", "状态"])
    r = rollup(path, D0701, ledger_type=str(ltype))
    assert [(i.status, i.source) for i in r.items] == [
        ("done", "status"), ("in_progress", "status"), ("in_progress", "progress")]
    assert [i.is_overdue for i in r.items] == [False, True, True]


def test_rules_are_data(tmp_path):
    custom = tmp_path / "rules.yaml"
    custom.write_text(
        "rules:\n"
        "  - {id: agreed, status: done, phrases: [按标准征创], label: 征创即完成}\n"
        "  - {id: rest, status: not_started, otherwise: true, label: 其余}\n"
        "  - {id: blank, status: not_started, empty: true, label: 空}\n", encoding="utf-8")
    r = rollup(EX000, D0627, rules=custom)
    row4 = next(i for i in r.items if i.row == 4)
    assert (row4.status, row4.rule, row4.rule_label, row4.evidence) == ("done", "agreed", "征创即完成", "按标准征创")
    assert r.rules_path == custom
    assert {i.status for i in r.items if i.row != 4} == {"not_started"}


@pytest.mark.parametrize("text,message", [
    ("rules: []\n", "非空的 rules 列表"),
    ("rules:\n  - {id: x, status: finished, otherwise: true}\n", "status「finished」无效"),
    ("rules:\n  - {id: x, status: done, patterns: ['(']}\n", "正则表达式"),
    ("rules:\n  - {id: x, status: done, empty: true, otherwise: true}\n", "有且只有一种命中条件"),
    ("rules: [\n", "不是有效的 YAML"),
])
def test_bad_rules_file_names_file_and_problem(tmp_path, text, message):
    path = tmp_path / "bad-rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StatusRulesError) as err:
        StatusRules.load(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_units_are_canonical_and_renames_followed(tmp_path):
    path = write_ledger(tmp_path / "r.xlsx", [
        [1, "分类", "事项", "市卫生计生委", "方案", "12月底", "正在推进", "张三", "39052220"],
        [2, "分类", "事项", "大连市卫生健康委员会、市医保局、市医保局", "方案", "12月底", "正在推进", "李四", "39052221"],
        [3, "分类", "事项", None, "方案", "12月底", "正在推进", "王五", "39052222"],
    ])
    r = rollup(path, D0627)
    assert [i.units for i in r.items] == [[HEALTH], [HEALTH, INSURANCE], ["（未填写责任单位）"]]
    assert _units(r)[HEALTH]["items"] == 2


def test_002_lead_units_without_deadlines():
    r = rollup(EX002, D0701)
    assert r.totals.items == 79 and r.totals.overdue == 0 and r.undated == 79
    assert _units(r)["县卫健局"]["items"] == 57
    assert not r.has_category and r.by_category == []


# ---------------------------------------------------------------------- the workbook


def _workbook(tmp_path, result, name="ROLLUP.xlsx") -> Path:
    out = tmp_path / name
    write_atomic(out, lambda tmp: write_rollup_xlsx(result, tmp))
    return out


def test_workbook_sheets_counts_links_and_print_setup(tmp_path, copy_example):
    master = copy_example(EX000)
    digest = hashlib.sha256(master.read_bytes()).hexdigest()
    out = _workbook(tmp_path, rollup(master, D0701))
    assert hashlib.sha256(master.read_bytes()).hexdigest() == digest  # the master is never modified
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [*SHEETS, "_taizhang"] and wb["_taizhang"].sheet_state == "hidden"

    summary = wb["汇总"]
    rows = {r[0]: r[1:8] for r in summary.iter_rows(min_row=5, values_only=True) if r[0]}
    assert rows[HEALTH] == (12, 1, 11, 0, 0, 7, pytest.approx(1 / 12))
    assert rows[MARKET][:6] == (4, 0, 4, 0, 0, 3)
    assert rows["合计（按事项）"][:6] == (12, 1, 11, 0, 0, 7)
    assert len(summary._charts) == 2
    titles = ["".join(run.t for p in c.title.tx.rich.p for run in p.r) for c in summary._charts]
    assert titles == ["各单位事项状态", "各单位逾期事项"]
    assert [len(c.series) for c in summary._charts] == [4, 1]
    overdue_rules = [r for cf in summary.conditional_formatting for r in cf.rules]
    assert any(r.operator == "greaterThan" and r.formula == ["0"] for r in overdue_rules)
    for ws in wb.worksheets[:4]:
        assert ws.page_setup.orientation == "landscape" and ws.print_title_rows
        assert ws.sheet_properties.pageSetUpPr.fitToPage

    late = wb["逾期清单"]
    body = [r for r in late.iter_rows(min_row=5, values_only=True) if r[0]]
    assert [r[0] for r in body] == ["第 5 行", "第 10 行", "第 7 行", "第 9 行", "第 12 行", "第 13 行", "第 14 行"]
    assert body[0][6] == 62 and body[0][8:] == ("马新光", "39052225")
    assert body[5][8:] == ("（未填写）", "（未填写）")  # row 13 has no contact: a gap to chase
    link = late["A5"].hyperlink
    assert link.target == master.name and link.location == "'工作台账'!A5"
    assert any(r.formula == ["30"] for cf in late.conditional_formatting for r in cf.rules)

    months = {r[0]: r[1:5] for r in wb["按月到期"].iter_rows(min_row=5, max_row=11, values_only=True)}
    assert months["2019-06"] == (5, 0, 5, 0) and months["2019-12"] == (4, 0, 0, 4)
    items = list(wb["逐项状态"].iter_rows(min_row=5, values_only=True))
    assert len(items) == 12
    assert items[0][6:9] == ("已完成", "写明某月某日完成：“5月31日完成”", "done-on-date")


def test_previous_rollup_workbook_json_and_master(tmp_path, copy_example):
    first = _workbook(tmp_path, rollup(EX000, D0627), "R0627.xlsx")
    later = rollup(EX000, D0701, previous=first)
    change = {c.name: c.change for c in later.by_unit}
    assert change[HEALTH] == {"items": 0, "done": 0, "in_progress": 0, "not_started": 0, "ongoing": 0, "overdue": 5}
    assert change[MARKET]["overdue"] == 2 and later.totals.change["overdue"] == 5
    assert later.previous.as_of == "2019-06-27" and later.previous.kind == "rollup"

    as_json = tmp_path / "R0627.json"
    as_json.write_text(json.dumps(rollup(EX000, D0627).to_dict(), ensure_ascii=False), encoding="utf-8")
    assert {c.name: c.change for c in rollup(EX000, D0701, previous=as_json).by_unit} == change

    # an updated master against the one issued: 紧密型医联体 now reported as issued
    updated = copy_example(EX000, "updated.xlsx")
    wb = openpyxl.load_workbook(updated)
    wb.active["G5"] = "已印发《紧密型医疗联合体试点建设方案》。"
    wb.save(updated)
    now = rollup(updated, D0627, previous=EX000)
    assert next(c for c in now.by_unit if c.name == HEALTH).change == {
        "items": 0, "done": 1, "in_progress": -1, "not_started": 0, "ongoing": 0, "overdue": -1}
    assert now.previous.kind == "master"

    wb = openpyxl.load_workbook(_workbook(tmp_path, later, "R0701.xlsx"))
    head = [c.value for c in wb["汇总"][4]]
    assert head[-3:] == ["较上次\n事项", "较上次\n已完成", "较上次\n逾期"]
    health = next(r for r in wb["汇总"].iter_rows(min_row=5, values_only=True) if r[0] == HEALTH)
    assert health[-3:] == (0, 0, 5)


def test_unreadable_inputs_name_the_file(tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook at all")
    with pytest.raises(ReadError) as err:
        rollup(junk, D0627)
    assert str(junk) in err.value.message("zh")
    bad = tmp_path / "prev.json"
    bad.write_text("{\"as_of\": 1}", encoding="utf-8")
    with pytest.raises(ReadError) as err:
        rollup(EX000, D0627, previous=bad)
    assert "上次汇总" in err.value.message("zh") and str(bad) in err.value.message("zh")
    assert "by_unit" in err.value.message("en")


def test_ledger_text_is_written_as_text_never_as_a_formula(tmp_path):
    master = tmp_path / "台账.csv"
    master.write_text(
        "2019 年工作台账\n序号,任务分类,改革事项,责任单位,重要成果形式,完成时限及主要节点,推进情况,联系人,联系电话\n"
        '1,分类,事项,市卫生健康委,方案,4月底,"=HYPERLINK(""http://x"",""点我"")",\x0b张三,39052220\n',
        encoding="utf-8")
    out = _workbook(tmp_path, rollup(master, D0627))
    wb = openpyxl.load_workbook(out)
    progress = wb["逐项状态"]["F5"]
    assert progress.value.startswith("=HYPERLINK") and progress.data_type == "s"
    assert wb["逾期清单"]["I5"].value == "张三"


# ---------------------------------------------------------------------- the command


def test_cli_writes_workbook_and_json_and_prints_a_summary(tmp_path):
    out, js = tmp_path / "汇总.xlsx", tmp_path / "汇总.json"
    result = runner.invoke(app, ["rollup", str(EX000), "--as-of", "2019-06-27", "-o", str(out), "--json", str(js)])
    assert result.exit_code == 0, result.output
    assert "共 12 项" in result.stdout and "逾期 2" in result.stdout and "第 5 行" in result.stdout
    assert "马新光 39052225" in result.stdout and "已写入" in result.stdout
    assert json.loads(js.read_text(encoding="utf-8"))["by_unit"][0]["overdue"] == 2
    assert openpyxl.load_workbook(out).sheetnames[0] == "汇总"
    en = runner.invoke(app, ["rollup", str(EX000), "--as-of", "2019/7/1", "--lang", "en"])
    assert en.exit_code == 0 and "7 overdue items" in en.stdout


def test_cli_errors_exit_2_with_one_message(tmp_path):
    out = tmp_path / "ROLLUP.xlsx"
    out.write_bytes(b"old")
    (tmp_path / "~$ROLLUP.xlsx").write_bytes(b"lock")
    locked = runner.invoke(app, ["rollup", str(EX000), "--as-of", "2019-06-27", "-o", str(out)])
    assert locked.exit_code == 2 and "Excel" in locked.stderr and out.read_bytes() == b"old"
    missing = runner.invoke(app, ["rollup", str(tmp_path / "无此文件.xlsx")])
    assert missing.exit_code == 2 and "无此文件.xlsx" in missing.stderr and "Traceback" not in missing.output
    bad_date = runner.invoke(app, ["rollup", str(EX000), "--as-of", "6月27日"])
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.stderr


def test_cli_refuses_to_write_over_an_input(copy_example):
    master = copy_example(EX000)
    before = master.read_bytes()
    result = runner.invoke(app, ["rollup", str(master), "-o", str(master)])
    assert result.exit_code == 2 and "输入文件" in result.stderr and master.read_bytes() == before


# ---------------------------------------------------------------------- what a person sees


def test_libreoffice_renders_the_rollup_with_charts_and_chinese(tmp_path):
    out = _workbook(tmp_path, rollup(EX000, D0701))
    pdf = to_pdf(out, tmp_path / "pdf")
    assert pdf_pages(pdf) >= 4  # 汇总 on one page, then the three lists
    text = pdf_text(pdf)
    for words in ("汇总", "逾期清单", "按月到期", "逐项状态", HEALTH, "马新光", "各单位逾期事项", "写明正在推进"):
        assert words in text
    assert any("WenQuanYi" in f or "WQY" in f.upper() for f in pdf_fonts(pdf))  # Chinese drawn, not boxes
    page = to_png(pdf, tmp_path / "png", dpi=30, first=1, last=1)[0]
    assert_not_blank(page)
    width, height, channels, pixels = read_png(page)
    assert width > height  # landscape

    def near(colour: tuple[int, int, int]) -> int:
        return sum(1 for i in range(0, len(pixels), channels)
                   if all(abs(pixels[i + k] - colour[k]) < 40 for k in range(3)))

    assert near((0xC0, 0x00, 0x00)) > 100  # the red overdue bars were drawn
    assert near((0x44, 0x72, 0xC4)) > 100  # the blue in-progress bars too
