"""Every kind of ledger (issue 20): fixed vs detected types, units init, and split / merge / roll-up
on each new built-in type, on real .xlsx files built from the corpus (tests/corpus/build_corpus.py)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from build_corpus import CASES, build  # noqa: E402

from taizhang.cli import app  # noqa: E402
from taizhang.ledgerops.merge import merge_ledgers  # noqa: E402
from taizhang.ledgerops.rollup import rollup  # noqa: E402
from taizhang.ledgerops.split import split_ledger  # noqa: E402
from taizhang.validator.reader import read_ledger  # noqa: E402

runner = CliRunner()
CASE = {c.name: c for c in CASES}
NEW_TYPES = {"rectification": "cixi_audit_rectification", "supervision": "baidishi_supervision",
             "livelihood": "mianyang_livelihood", "project-progress": "hanzhong_projects",
             "assigned-matters": "dazhou_assigned"}


def _json(args: list[str]) -> tuple[int, dict]:
    r = runner.invoke(app, ["validate", *args, "--format", "json"])
    return r.exit_code, json.loads(r.stdout)


def test_types_lists_each_type_on_one_line():
    r = runner.invoke(app, ["types"])
    lines = [ln for ln in r.stdout.splitlines() if ln and not ln.startswith("taizhang")]
    names = [ln.split()[0] for ln in lines]
    assert r.exit_code == 0 and sorted(names) == sorted(["assigned-matters", "key-tasks", "livelihood", "project-progress",
                                                         "rectification", "reform-ledger", "supervision", "task-division"])
    assert "rectification      问题整改台账：序号、存在问题、整改目标" in r.stdout
    r = runner.invoke(app, ["types", "livelihood"])
    assert "- 计划投资（万元） [amount]" in r.stdout


def test_a_missing_column_only_when_the_office_fixed_the_type(tmp_path):
    path = build(CASE["lucheng_supervision"], tmp_path / "督办.xlsx")
    _, doc = _json([str(path)])
    assert [f["code"] for f in doc["files"][0]["findings"] if f["code"] == "missing-column"] == []
    _, doc = _json([str(path), "--type", "supervision"])
    missing = [(f["column"], f["cell"]) for f in doc["files"][0]["findings"] if f["code"] == "missing-column"]
    assert missing == [("承办人", "A2"), ("联系电话", "A2")]


def test_the_report_says_which_profile_and_why(tmp_path):
    path = build(CASE["xiangyin_petitions_generic"], tmp_path / "清单.xlsx")
    r = runner.invoke(app, ["validate", str(path)])
    head = r.stdout.splitlines()[0]
    assert "类型 generic（自动识别：没有内置类型与表头相符，按各列的作用检查（序号、任务、责任单位、时限、责任人、进展））" in head
    r = runner.invoke(app, ["validate", str(path), "--lang", "en"])
    assert "detected: no built-in type fits the header" in r.stdout.splitlines()[0]


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_units_init_writes_a_registry_the_office_passes_with_units(tmp_path, suffix):
    ledger = build(CASE["cixi_audit_rectification"], tmp_path / "整改.xlsx")
    registry = tmp_path / f"单位名录{suffix}"
    r = runner.invoke(app, ["units", "init", str(ledger), "-o", str(registry)])
    assert r.exit_code == 0 and "4 个单位" in r.stdout and registry.exists()
    if suffix == ".csv":
        assert registry.read_text(encoding="utf-8-sig").splitlines() == [
            "名称,别名,更名为,更名日期", "逍林镇,,,", "胜山镇,,,", "市水务集团,,,", "附海镇,,,"]
    _, doc = _json([str(ledger), "--units", str(registry)])
    assert [(f["code"], f["cell"]) for f in doc["files"][0]["findings"]] == [("invalid-deadline", "G4"),
                                                                           ("missing-value", "F5")]
    # with the office's registry, a unit it does not list is an error on its cell again
    wb = openpyxl.load_workbook(ledger)
    wb.active["E6"] = "附海镇政府"
    wb.save(ledger)
    _, doc = _json([str(ledger), "--units", str(registry)])
    assert ("unknown-unit", "E6") in [(f["code"], f["cell"]) for f in doc["files"][0]["findings"]]


def test_units_init_refuses_a_spreadsheet_as_output(tmp_path):
    ledger = build(CASE["cixi_audit_rectification"], tmp_path / "整改.xlsx")
    before = ledger.read_bytes()
    r = runner.invoke(app, ["units", "init", str(ledger), "-o", str(ledger)])
    assert r.exit_code == 2 and ledger.read_bytes() == before


@pytest.mark.parametrize("type_name", [*sorted(NEW_TYPES), "generic"])
def test_split_merge_and_rollup_work_on_each_new_type(tmp_path, type_name):
    case = CASE[NEW_TYPES.get(type_name, "xiangyin_petitions_generic")]
    master = build(case, tmp_path / "总台账.xlsx")
    assert read_ledger(master).ledger_type.name == type_name
    # split: one file per unit (a row naming two units goes to both), no row left out
    result = split_ledger(master, tmp_path / "分发")
    assert result.ledger_type == type_name and len(result.files) >= 2
    assert {r for f in result.files for r in f.rows} | set(result.unassigned) == {3, 4, 5, 6}
    # a department fills its progress cell and sends the file back
    sub = result.files[0]
    led = read_ledger(sub.path)
    assert led.ledger_type.name == type_name
    if type_name != "generic":  # the split file carries the master's type, used for the columns it has
        assert led.type_source == "template" and "拆分文件" in led.type_reason["zh"]
    progress = led.column_for_role("progress")
    wb = openpyxl.load_workbook(sub.path)
    ws = wb[led.sheet]
    cell = f"{progress.letter}{led.rows[0]}"
    ws[cell] = "已于9月30日完成，已验收"
    wb.save(sub.path)
    merged = merge_ledgers(master, [sub.path], tmp_path / "合并.xlsx")
    assert [a["value"] if "value" in a else a.get("new") for a in merged.applied] == ["已于9月30日完成，已验收"]
    out = read_ledger(tmp_path / "合并.xlsx")
    row = sub.rows[0]
    assert out.values[progress.name][out.rows.index(row)] == "已于9月30日完成，已验收"
    # roll-up of the merged master: every item counted once, the filled one done
    roll = rollup(tmp_path / "合并.xlsx", dt.date(2030, 1, 1))
    assert roll.ledger_type == type_name and len(roll.items) == 4
    done = [i for i in roll.items if i.status == "done"]
    assert row in [i.row for i in done]


def test_a_templates_type_is_fixed_so_a_deleted_column_is_missing(tmp_path):
    """The office fixed the type by issuing the template: deleting its 联系电话 column is reported."""
    from conftest import ROOT

    wb = openpyxl.load_workbook(ROOT / "templates" / "supervision.xlsx")
    ws = wb["督办台账"]
    ws.delete_cols(9)  # 联系电话
    for col, value in zip("ABCDEFGH", [1, "县政府常务会议", "推进背街小巷改造", "县住建局", None, "2020年6月底", None, "何平"]):
        ws[f"{col}3"] = value
    path = tmp_path / "督办.xlsx"
    wb.save(path)
    _, doc = _json([str(path), "--year", "2020"])
    result = doc["files"][0]
    assert result["type_source"] == "template" and "由工作簿的 _taizhang 工作表指定" in result["type_reason"]
    assert [(f["code"], f["column"]) for f in result["findings"] if f["code"] == "missing-column"] == [
        ("missing-column", "联系电话")]


def test_a_phone_column_with_nobody_beside_it_is_still_checked(tmp_path):
    import dataclasses

    case = dataclasses.replace(
        CASE["lucheng_supervision"], header=("序号", "督办事项", "承办单位", "办理时限", "联系电话"),
        rows=((1, "区政府督查通报事项整改", "市容环境卫生管理科", "2019年4月30日", "0577-88960001"),
              (2, "重要文件贯彻落实", "法制科", "2019年5月底", "0577-8896")))
    path = build(case, tmp_path / "督办.xlsx")
    _, doc = _json([str(path)])
    assert [(f["code"], f["cell"]) for f in doc["files"][0]["findings"]] == [("no-unit-registry", "C2"),
                                                                           ("invalid-phone", "E4")]
