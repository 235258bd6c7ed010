"""The validate command end to end on real files: findings, formats, exit codes, languages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from taizhang.cli import app
from conftest import EX000, EX000_CSV, EX002, EX003, ROOT, write_ledger

runner = CliRunner()


def _json(args):
    result = runner.invoke(app, ["validate", *args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def test_000_example_has_exactly_the_two_rows_without_contact():
    code, doc = _json([str(EX000)])
    assert code == 1
    f = doc["files"][0]
    assert (f["sheet"], f["ledger_type"], f["header_row"], f["rows"], f["error"]) == ("工作台账", "reform-ledger", 2, 12, None)
    errors = [x for x in f["findings"] if x["severity"] == "error"]
    assert {x["row"] for x in errors} == {11, 13}
    assert {x["code"] for x in errors} == {"missing-contact", "missing-phone"}
    contact = next(x for x in errors if x["code"] == "missing-contact" and x["row"] == 11)
    assert contact == {"code": "missing-contact", "severity": "error", "sheet": "工作台账", "row": 11, "column": "联系人",
                       "cell": "H11", "value": None, "message": contact["message"]}
    assert "H11" in contact["message"] and "联系人" in contact["message"]
    assert doc["summary"] == {"files": 1, "errors": 4, "warnings": 0, "unreadable": 0}


@pytest.mark.parametrize("path", [EX002, EX003, EX000_CSV])
def test_real_ledgers_have_no_false_errors(path):
    code, doc = _json([str(path)])
    errors = [x for x in doc["files"][0]["findings"] if x["severity"] == "error"]
    if path == EX000_CSV:
        assert {x["row"] for x in errors} == {11, 13}
    else:
        assert errors == [] and code == 0


def test_folder_validates_every_spreadsheet_and_skips_lock_files(tmp_path, copy_example):
    copy_example(EX000)
    copy_example(EX003)
    (tmp_path / "~$000_dalian_2019_reform_ledger.xlsx").write_bytes(b"lock")
    (tmp_path / "readme.txt").write_text("not a ledger")
    code, doc = _json([str(tmp_path)])
    assert sorted(p["path"].rsplit("/", 1)[-1] for p in doc["files"]) == [EX000.name, EX003.name]
    assert code == 1


def _bad_ledger(tmp_path):
    return write_ledger(tmp_path / "bad.xlsx", [
        [1, "分类", "事项甲", "市卫生健康委", "成果", "13月底", "", "张三", "3905222"],
        [1, "分类", "事项乙", "市卫生计生委", "成果", "尽快", "", "王宏彦 丁向芳", "39052223"],
        [4, "分类", "", "市卫建委", "成果", "2月30日", "", "李四", "39052224"],
    ])


def test_field_and_structure_findings_on_a_bad_ledger(tmp_path):
    code, doc = _json([str(_bad_ledger(tmp_path))])
    got = {(x["code"], x["cell"]) for x in doc["files"][0]["findings"]}
    assert code == 1
    assert {("invalid-deadline", "F3"), ("invalid-phone", "I3"), ("duplicate-key", "A4"), ("renamed-unit", "D4"),
            ("unparsed-deadline", "F4"), ("contact-phone-mismatch", "I4"), ("key-sequence", "A5"),
            ("missing-value", "C5"), ("unknown-unit", "D5"), ("invalid-deadline", "F5")} <= got


def test_lang_en_and_strict_and_output_file(tmp_path):
    path = write_ledger(tmp_path / "warn.xlsx", [[1, "分类", "事项", "市卫生健康委", "成果", "尽快", "", "张三", "39052220"]])
    r = runner.invoke(app, ["validate", str(path), "--lang", "en"])
    assert r.exit_code == 0 and "No recognisable date" in r.stdout and "warning" in r.stdout
    assert runner.invoke(app, ["validate", str(path), "--strict"]).exit_code == 1
    out = tmp_path / "report.json"
    r = runner.invoke(app, ["validate", str(path), "--format", "json", "-o", str(out)])
    assert r.exit_code == 0 and r.stdout == "" and json.loads(out.read_text())["summary"]["warnings"] == 1


def test_text_report_groups_by_file_in_chinese(tmp_path):
    r = runner.invoke(app, ["validate", str(EX000), str(EX003)])
    lines = r.stdout.splitlines()
    assert lines[0].startswith(str(EX000)) and "reform-ledger" in lines[0]
    assert any("H11" in l and "错误" in l for l in lines)
    assert "共 2 个文件：4 个错误" in lines[-1]


def test_github_format(tmp_path):
    r = runner.invoke(app, ["validate", str(EX000), "--format", "github"])
    lines = r.stdout.splitlines()
    assert len(lines) == 4 and all(l.startswith("::error file=") for l in lines)
    assert "title=missing-contact 工作台账!H11::" in lines[0]


def test_junit_format_parses(tmp_path):
    from junitparser import JUnitXml

    out = tmp_path / "junit.xml"
    runner.invoke(app, ["validate", str(EX000), str(EX003), "--format", "junit", "-o", str(out)])
    xml = JUnitXml.fromfile(str(out))
    suites = list(xml)
    assert len(suites) == 2
    failed = [(s.name, c.name) for s in suites for c in s if c.result and any(r.type == c.name for r in c.result)]
    assert failed == [(str(EX000), "missing-contact"), (str(EX000), "missing-phone")]
    assert "H11" in next(c for c in suites[0] if c.name == "missing-contact").result[0].text


def test_sarif_has_cells_in_locations():
    r = runner.invoke(app, ["validate", str(EX000), "--format", "sarif"])
    doc = json.loads(r.stdout)
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    assert len(results) == 4
    assert results[0]["locations"][0]["logicalLocations"][0]["name"] == "工作台账!H11"


def test_usage_errors_exit_2():
    assert runner.invoke(app, ["validate", str(EX000), "--format", "xml"]).exit_code == 2
    r = runner.invoke(app, ["validate", str(EX000), "--type", "nope"])
    assert r.exit_code == 2 and "未知台账类型" in r.stdout


def test_rules_and_types_commands():
    r = runner.invoke(app, ["rules"])
    assert r.exit_code == 0 and "missing-contact" in r.stdout and "unreadable-file" in r.stdout
    r = runner.invoke(app, ["rules", "invalid-deadline"])
    assert all(w in r.stdout for w in ("做什么", "为什么", "示例", "应改为", "13月底"))
    r = runner.invoke(app, ["types"])
    assert all(t in r.stdout for t in ("reform-ledger", "key-tasks", "task-division"))


def test_help_does_not_import_pandas():
    """`taizhang --help` must start like typer alone: the heavy libraries load only in commands."""
    code = ("import sys\nfrom taizhang import cli\n"
            "try:\n    cli.app(['validate', '--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pandas', 'pandera', 'numpy', 'openpyxl', 'python_calamine') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out and "--format" in out


def test_console_script_runs_as_a_process():
    r = subprocess.run([sys.executable, str(ROOT / "cli.py"), "validate", str(EX003)], capture_output=True, text=True)
    assert r.returncode == 0 and "没有发现问题" in r.stdout and r.stderr == ""


def test_unknown_unit_in_a_002_shaped_ledger_suggests_the_known_name(tmp_path):
    path = write_ledger(tmp_path / "lishu.xlsx", [[1, "提升县级服务能力", "开展工作", "卫建局", "财政局"]],
                        title="梨树县2019年重点工作任务台帐", header=["序号", "重点任务", "具体工作", "牵头部门", "配合部门"])
    code, doc = _json([str(path)])
    (finding,) = doc["files"][0]["findings"]
    assert code == 1 and finding["code"] == "unknown-unit" and finding["cell"] == "D3"
    assert "卫健局" in finding["message"]


def test_renamed_unit_warns_only_after_the_rename(tmp_path):
    rows = [[1, "推进医联体", "市卫生计生委", "9月底"]]
    header = ["序号", "工作任务", "牵头部门", "时间进度"]
    later = write_ledger(tmp_path / "2019.xlsx", rows, title="2019年重点工作任务分工", header=header)
    earlier = write_ledger(tmp_path / "2017.xlsx", rows, title="2017年重点工作任务分工", header=header)
    assert [f["code"] for f in _json([str(later)])[1]["files"][0]["findings"]] == ["renamed-unit"]
    assert _json([str(earlier)])[1]["files"][0]["findings"] == []


def test_year_from_option_when_title_has_none(tmp_path):
    path = write_ledger(tmp_path / "noyear.xlsx", [[1, "推进医联体", "市编办", "9月底"]], title="工作任务分工",
                        header=["序号", "工作任务", "牵头部门", "时间进度"])
    assert [f["code"] for f in _json([str(path)])[1]["files"][0]["findings"]] == ["deadline-year-unknown"]
    assert _json([str(path), "--year", "2019"])[1]["files"][0]["findings"] == []


def test_an_internal_error_in_one_file_does_not_hide_the_others(tmp_path, monkeypatch):
    """A bug met on one file becomes that file's error (exit 2); the other files are still reported."""
    import taizhang.validator.structure as structure

    real = structure.check_keys

    def broken(ledger):
        if ledger.path.name == EX000.name:
            raise KeyError("boom")
        return real(ledger)

    monkeypatch.setattr("taizhang.validator.structure.check_keys", broken)
    code, doc = _json([str(EX000), str(EX003)])
    first, second = doc["files"]
    assert code == 2 and first["error"]["code"] == "internal-error" and "KeyError" in first["error"]["message"]
    assert second["error"] is None and second["rows"] == 40


def test_readme_documents_every_code():
    from taizhang.validator.findings import FILE_ERRORS, RULES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [c for c in [*RULES, *FILE_ERRORS] if f"| `{c}` |" not in readme] == []


def test_unwritable_output_is_one_line_naming_the_target(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = runner.invoke(app, ["validate", str(EX003), "-o", str(blocker / "report.json")])
    assert r.exit_code == 2
    assert f"无法写入 {blocker / 'report.json'}" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(app, ["validate", str(EX003), "-o", str(tmp_path)])
    assert r.exit_code == 2 and "这是一个文件夹" in r.stderr


def test_merge_with_a_mistyped_submission_path_merges_nothing(tmp_path):
    out = tmp_path / "out.xlsx"
    r = runner.invoke(app, ["merge", str(EX000), str(tmp_path / "报送"), "-o", str(out)])
    assert r.exit_code == 2 and "找不到报送文件或文件夹" in r.stderr and not out.exists()


def test_rules_shows_a_readable_sample_message():
    r = runner.invoke(app, ["rules", "missing-contact"])
    assert "做什么: H13 未填写联系人（本行有任务或成果，须明确联系人）" in r.stdout and "{cell}" not in r.stdout
    r = runner.invoke(app, ["rules", "invalid-phone", "--lang", "en"])
    assert "What: '3905222' is not a valid phone number: wrong number of digits" in r.stdout


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_rule_renders_with_real_values(lang):
    """Each code, finding and file error alike, is documented with no placeholder left."""
    from taizhang.validator.findings import FILE_ERRORS, RULES

    for code in [*RULES, *FILE_ERRORS]:
        r = runner.invoke(app, ["rules", code, "--lang", lang])
        assert r.exit_code == 0, (code, r.output)
        labels = ("做什么", "为什么", "示例", "应改为") if lang == "zh" else ("What", "Why", "Example", "Instead")
        lines = r.stdout.splitlines()
        assert [line.split(":")[0].strip() for line in lines[1:]] == list(labels), (code, r.stdout)
        assert not any(mark in r.stdout for mark in ("{", "}", "〈", "〉", "<cell>", "<value>")), (code, r.stdout)


def test_a_missing_column_is_an_error_only_when_the_type_was_fixed(tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(EX000)
    wb.active.delete_cols(8, 2)  # 联系人, 联系电话
    path = tmp_path / "no-contacts.xlsx"
    wb.save(path)
    # detected: the columns the ledger has define what is checked
    code, doc = _json([str(path)])
    assert [f["code"] for f in doc["files"][0]["findings"] if f["code"] == "missing-column"] == []
    assert doc["files"][0]["type_source"] == "detected" and "只检查台账已有的列" in doc["files"][0]["type_reason"]
    # fixed with --type: a column the type has and the ledger lacks is missing
    code, doc = _json([str(path), "--type", "reform-ledger"])
    missing = [(f["code"], f["column"], f["cell"]) for f in doc["files"][0]["findings"] if f["code"] == "missing-column"]
    assert code == 1 and missing == [("missing-column", "联系人", "A2"), ("missing-column", "联系电话", "A2")]
    assert "由 --type 指定" in doc["files"][0]["type_reason"]
    # forcing the wrong type no longer hides every check
    code, doc = _json([str(EX003), "--type", "reform-ledger"])
    assert code == 1 and {f["column"] for f in doc["files"][0]["findings"]} == {"重要成果形式", "联系人", "联系电话"}


def test_an_input_is_never_the_output(tmp_path, copy_example):
    victim = copy_example(EX000)
    before = victim.read_bytes()
    r = runner.invoke(app, ["validate", str(victim), "-o", str(victim)])
    assert r.exit_code == 2 and "输出文件不能是输入文件" in r.stderr and victim.read_bytes() == before
    subs = tmp_path / "subs"
    subs.mkdir()
    sub = subs / "a.xlsx"
    sub.write_bytes(before)
    r = runner.invoke(app, ["merge", str(EX000), str(subs), "-o", str(sub)])
    assert r.exit_code == 2 and sub.read_bytes() == before


def test_another_ledger_is_not_merged_as_a_submission(tmp_path):
    out = tmp_path / "m.xlsx"
    r = runner.invoke(app, ["merge", str(EX000), str(EX003), "-o", str(out), "--accept-new-rows",
                            "--report", str(tmp_path / "r.json")])
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert r.exit_code == 1 and report["new_rows"] == [] and report["applied"] == []
    assert [s["reason"] for s in report["skipped"]] == ["wrong-ledger"]


def test_addin_build_to_a_file_path_respects_excel_locks(tmp_path):
    target = tmp_path / "my.xlam"
    assert runner.invoke(app, ["addin", "build", "-o", str(target)]).exit_code == 0 and target.is_file()
    (tmp_path / "~$my.xlam").write_bytes(b"lock")
    before = target.read_bytes()
    r = runner.invoke(app, ["addin", "build", "-o", str(target)])
    assert r.exit_code == 2 and "Excel" in r.stderr and target.read_bytes() == before


def test_jobs_gives_the_serial_report_in_the_same_order(tmp_path):
    """--jobs shares files out to processes; the report is the serial one, byte for byte,
    bad files included (their error travels back from the worker with its code and both texts)."""
    import shutil

    for i, src in enumerate([EX000, EX002, EX003, EX000_CSV, EX000]):
        shutil.copy(src, tmp_path / f"{i}-{src.name}")
    (tmp_path / "坏.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    serial = runner.invoke(app, ["validate", str(tmp_path), "--format", "json"])
    parallel = runner.invoke(app, ["validate", str(tmp_path), "--format", "json", "--jobs", "2"])
    assert serial.exit_code == parallel.exit_code == 2
    assert parallel.stdout == serial.stdout
    doc = json.loads(parallel.stdout)
    assert [f["error"]["code"] for f in doc["files"] if f["error"]] == ["unreadable-file"]
    en = runner.invoke(app, ["validate", str(tmp_path / "坏.xlsx"), str(tmp_path / f"0-{EX000.name}"), "-j", "2",
                             "--lang", "en"])
    serial_en = runner.invoke(app, ["validate", str(tmp_path / "坏.xlsx"), str(tmp_path / f"0-{EX000.name}"),
                                    "--lang", "en"])
    assert en.stdout == serial_en.stdout and "坏.xlsx: " in en.stdout
