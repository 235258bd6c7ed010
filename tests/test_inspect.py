"""`taizhang inspect`: what was read and why; a wrong guess fixed without code."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from conftest import EX000, write_ledger
from taizhang.cli import app

runner = CliRunner()
HEADER = ["序号", "改革事项", "主办处室（排第一位的为牵头）", "重要成果形式", "办结时限", "工作进展", "联络员", "联系电话", "责任领导"]
ROWS = [
    ["1", "推进分级诊疗", "体改处", "出台方案", "6月底", "", "王荣新", "39052266", "李局长"],
    ["", "", "", "开展考核", "9月底", "", "孙克", "39052232", ""],
    ["注：本表每月 25 日前报送。"],
]


def _ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "处室台账.xlsx", ROWS, header=HEADER, merges=["A3:A4", "B3:B4", "C3:C4"])


def test_inspect_text_names_sheet_columns_roles_and_row_classes(tmp_path):
    r = runner.invoke(app, ["inspect", str(_ledger(tmp_path))])
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "工作表：工作台账（活动工作表，即打开时显示的那张）" in out
    assert "类型：reform-ledger（自动识别）  表头：第 2 行  年份：2019（标题）" in out
    assert "  C  主办处室（排第一位的为牵头） → 责任单位 [units]  别名；忽略注释「排第一位的为牵头」" in out
    assert "  E  办结时限" in out and "→ 完成时限及主要节点 [deadline]  别名" in out
    # 联络员 is no name the type knows: left alone, and 联系人 is reported missing by validate
    assert "  G  联络员" in out and "未分配：保留，不校验" in out
    assert "  I  责任领导" in out and "（责任人/领导）" in out
    assert "行：共 1 项任务；任务 1，子项 1，注释/落款 1" in out
    assert "  3         任务\n  4         子项\n  5         注释/落款\n" in out


def test_inspect_json_and_english(tmp_path):
    path = _ledger(tmp_path)
    doc = json.loads(runner.invoke(app, ["inspect", str(path), "--format", "json"]).stdout)
    assert doc["sheet"] == "工作台账" and doc["sheet_reason"] == "active" and doc["header_row"] == 2
    col = {c["column"]: c for c in doc["columns"]}
    assert (col["C"]["serves"], col["C"]["how"], col["C"]["note"]) == ("责任单位", "alias", "排第一位的为牵头")
    assert [u["header"] for u in doc["unassigned"]] == ["联络员", "责任领导"]
    assert doc["rows"] == [{"row": 3, "class": "task"}, {"row": 4, "class": "sub-item"}, {"row": 5, "class": "note"}]
    en = runner.invoke(app, ["inspect", str(path), "--lang", "en"]).stdout
    assert "sheet: 工作台账 (the active sheet, shown on opening)" in en
    assert "rows: 1 task(s); task 1, sub-item 1, note 1" in en


def test_a_wrong_guess_is_fixed_in_the_taizhang_sheet(tmp_path):
    path = _ledger(tmp_path)
    before = runner.invoke(app, ["validate", str(path)]).stdout
    # detected, so nothing is "missing" (issue 20); the summary shows the column left unread
    assert "missing-column" not in before and "未用（保留，不校验）：G 联络员" in before
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("_taizhang")
    ws.append(["列:联络员", "联系人"])
    ws.sheet_state = "hidden"
    wb.save(path)
    doc = json.loads(runner.invoke(app, ["inspect", str(path), "--format", "json"]).stdout)
    col = {c["column"]: c for c in doc["columns"]}
    assert (col["G"]["header"], col["G"]["serves"], col["G"]["how"]) == ("联络员", "联系人", "setting")
    text = runner.invoke(app, ["inspect", str(path)]).stdout
    assert "  G  联络员                       → 联系人 [contact]  _taizhang 中的设置\n" in text
    after = runner.invoke(app, ["validate", str(path)])
    assert after.exit_code == 0 and "没有发现问题" in after.stdout


def test_a_wrong_guess_is_fixed_with_a_yaml_type(tmp_path):
    path = _ledger(tmp_path)
    yaml = tmp_path / "处室台账.yaml"
    yaml.write_text(
        "name: office-ledger\ntitle: 处室台账\ncolumns:\n"
        "  - {name: 序号, role: key, level: task, required: true}\n"
        "  - {name: 改革事项, role: task, level: task, required: true}\n"
        "  - {name: 主办处室, role: units, level: task, required: true}\n"
        "  - {name: 办结时限, role: deadline}\n"
        "  - {name: 联系人, aliases: [联络员], role: contact, editable: true}\n"
        "  - {name: 联系电话, role: phone, editable: true}\n", encoding="utf-8")
    doc = json.loads(runner.invoke(app, ["inspect", str(path), "--type", str(yaml), "--format", "json"]).stdout)
    col = {c["column"]: c for c in doc["columns"]}
    assert (col["G"]["serves"], col["G"]["how"]) == ("联系人", "alias")
    assert (col["C"]["serves"], col["C"]["how"], col["C"]["note"]) == ("主办处室", "exact", "排第一位的为牵头")
    assert runner.invoke(app, ["validate", str(path), "--type", str(yaml)]).exit_code == 0


def test_validate_text_opens_with_the_column_summary():
    lines = runner.invoke(app, ["validate", str(EX000)]).stdout.splitlines()
    assert lines[1] == "  列：A 序号 · B 任务分类 · C 改革事项 · D 责任单位 · E 重要成果形式 · F 完成时限及主要节点 · G 推进情况 · H 联系人 · I 联系电话"


def test_inspect_unreadable_file_is_one_clear_line(tmp_path):
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"not a workbook")
    r = runner.invoke(app, ["inspect", str(bad)])
    assert r.exit_code == 2 and str(bad) in r.output and "Traceback" not in r.output


def test_readme_shows_real_inspect_output(tmp_path, monkeypatch):
    import re
    import sys

    from test_corpus import LAYOUTS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"\$ taizhang inspect corpus-out/office_everything.xlsx\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    (case,) = [c for c in LAYOUTS.cases() if c.name == "office_everything"]
    LAYOUTS.build(case, Path("corpus-out"))
    assert runner.invoke(app, ["inspect", "corpus-out/office_everything.xlsx"]).stdout == shown
    assert sys.modules["build_layouts"] is LAYOUTS


def test_a_column_mapped_to_dash_is_left_alone(tmp_path):
    path = _ledger(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("_taizhang")
    ws.append(["列:工作进展", "-"])
    wb.save(path)
    doc = json.loads(runner.invoke(app, ["inspect", str(path), "--format", "json"]).stdout)
    assert "F" not in {c["column"] for c in doc["columns"]}
    assert {"column": "F", "header": "工作进展", "role": "progress", "note": None} in doc["unassigned"]
