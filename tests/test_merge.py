"""Merge: split the 000 example, edit the files as offices do, merge back; every case asserted."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from taizhang.cli import app
from conftest import EX000, EX002
from taizhang.ledgerops.merge import CONFLICT_SHEET, LOG_SHEET, MergeError, merge_ledgers
from taizhang.ledgerops.safe_write import OutputLocked
from taizhang.ledgerops.split import split_ledger
from lo import convert, pdf_text, to_pdf, to_png, assert_not_blank
from taizhang.validator.reader import read_ledger
from taizhang.validator.validate import Options, validate_file

runner = CliRunner()
SHEET = "工作台账"
FORMULA = '="培训"&"完成"'


def sha(path: Path) -> bytes:
    return hashlib.sha256(Path(path).read_bytes()).digest()


def edit(src: Path, dst: Path, cells: dict[str, object] | None = None, change=None) -> Path:
    """Open a split file with openpyxl as an office would, change it, save it under `dst`."""
    wb = openpyxl.load_workbook(src)
    ws = wb[SHEET]
    if change:
        change(ws)
    for ref, value in (cells or {}).items():
        ws[ref] = value
    wb.save(dst)
    return dst


def swap_rows(ws, a: int, b: int) -> None:
    for col in range(1, ws.max_column + 1):
        ca, cb = ws.cell(a, col), ws.cell(b, col)
        ca.value, cb.value = cb.value, ca.value


def delete_title(ws) -> None:
    ws.unmerge_cells("A1:I1")
    ws.delete_rows(1)


# The colours a user sees in Excel, as ARGB: written here, not imported from the code under test.
APPLIED_FILL = "FFC6EFCE"  # light green: a change taken from a submission
CONFLICT_FILL = "FFF8CBAD"  # orange: two submissions disagree
INVALID_FILL = "FFFFC7CE"  # light red: applied, but the value fails validation


def fill_of(cell) -> str:
    """The solid fill's ARGB as stored in the workbook ("" for no fill)."""
    return str(cell.fill.fgColor.rgb) if cell.fill and cell.fill.fill_type == "solid" else ""


def issue(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A copy of the 000 master as 总台账.xlsx, and its split files by department (as issued)."""
    master = tmp_path / "总台账.xlsx"
    shutil.copy(EX000, master)
    return master, {s.department: s.path for s in split_ledger(master, tmp_path / "s").files}


def build_submissions(root: Path) -> tuple[Path, Path]:
    """The master and a folder of submissions covering every case of the issue."""
    master = root / "总台账.xlsx"
    shutil.copy(EX000, master)
    split = split_ledger(master, root / "分发")
    f = {s.department: s.path for s in split.files}
    box = root / "报送"
    box.mkdir()
    # master row 3; the same change also comes from the office's full copy below: applied once
    edit(f["李光盈"], box / "李光盈.xlsx", {"G3": "已出台实施方案。"})
    # rows 5 and 8; a row inserted above the edits, a locked-column edit (完成时限, master F5)
    edit(f["马新光"], box / "马新光.xlsx", {"G4": "方案已起草。", "F4": "5月底。", "G5": "方案已报审。"},
         change=lambda ws: ws.insert_rows(3))
    # row 9; the title row deleted, so the header is row 1 and the data starts at row 2
    edit(f["王荣新"], box / "王荣新.xlsx", {"G2": "已完成2019年1-6月测算。"}, change=delete_title)
    # row 6, saved as .xls by another spreadsheet program
    xls_src = edit(f["刘春明"], root / "刘春明.xlsx", {"G3": "已培训转岗医生 120 人。"})
    convert(xls_src, "xls", box)
    # rows 12 and 14, re-sorted (14 first); G14 also changed differently by 丁向芳: a conflict
    edit(f["王宏彦"], box / "王宏彦.xlsx", {"G3": "已起草，征求意见中。", "G4": "已完成直报培训。"},
         change=lambda ws: swap_rows(ws, 3, 4))
    edit(f["丁向芳"], box / "丁向芳.xlsx", {"G3": "已报市政府审定。"})
    # row 10: an invalid phone, applied and listed in findings
    edit(f["孙克"], box / "孙克.xlsx", {"I3": "3905"})
    # rows 11 and 13 had no contact; a new sub-item row inserted at the end of task 4
    def add_row(ws):
        ws.insert_rows(5)
        for ref, value in {"E5": "建立短缺药品监测哨点。", "F5": "9月底", "G5": "已启动。", "H5": "张三", "I5": "39052000"}.items():
            ws[ref] = value
    edit(f["未指定"], box / "未指定.xlsx", {"H3": "张三", "I3": "39052000", "H4": "李四", "I4": "39052001"},
         change=add_row)
    # submitted unchanged
    shutil.copy(f["宋斌"], box / "宋斌.xlsx")
    # the office's own full copy of the master: no split metadata; same G3 as 李光盈, a formula in G7
    edit(master, box / "全表-医政医管处.xlsx", {"G3": "已出台实施方案。", "G7": FORMULA})
    # what else lands in a mail folder
    (box / "readme.txt").write_text("各处室报送材料", encoding="utf-8")
    (box / "~$李光盈.xlsx").write_bytes(b"\x00lock")
    data = (box / "宋斌.xlsx").read_bytes()
    (box / "截断.xlsx").write_bytes(data[: len(data) // 2])
    shutil.copy(EX002, box / "梨树县台账.xlsx")
    return master, box


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    root = tmp_path_factory.mktemp("merge")
    master, box = build_submissions(root)
    before = sha(master)
    subs_before = {p.name: sha(p) for p in box.iterdir()}
    out, report = root / "合并.xlsx", root / "合并报告.json"
    calls = []
    result = merge_ledgers(master, [box], out, report=report, accept_new_rows=False,
                           progress=lambda done, total, path: calls.append((done, total)))
    return {"root": root, "master": master, "box": box, "out": out, "report": report, "result": result,
            "doc": json.loads(report.read_text(encoding="utf-8")), "before": before, "subs_before": subs_before,
            "calls": calls}


def by_cell(entries):
    return {e["cell"]: e for e in entries}


def test_every_edit_lands_in_its_master_row(merged):
    applied = by_cell(merged["doc"]["applied"])
    assert applied["G3"]["new"] == "已出台实施方案。"
    # inserted row above the edits
    assert applied["G5"]["new"] == "方案已起草。" and applied["G8"]["new"] == "方案已报审。"
    assert applied["G5"]["source"] == "马新光.xlsx"
    # title row deleted
    assert applied["G9"]["new"] == "已完成2019年1-6月测算。" and applied["G9"]["source"] == "王荣新.xlsx"
    # saved as .xls
    assert applied["G6"]["new"] == "已培训转岗医生 120 人。" and applied["G6"]["source"] == "刘春明.xls"
    # re-sorted
    assert applied["G12"]["new"] == "已完成直报培训。" and applied["G12"]["source"] == "王宏彦.xlsx"
    assert applied["G12"]["old"].startswith("1. 3月15日")
    assert applied["H11"]["new"] == "张三" and applied["I13"]["new"] == "39052001"
    assert applied["H11"]["old"] is None
    assert set(applied) == {"G3", "G5", "G6", "G7", "G8", "G9", "G12", "I10", "H11", "I11", "H13", "I13"}
    out = read_ledger(merged["out"])
    assert out.rows == list(range(3, 15))  # no row added without --accept-new-rows
    assert out.values["推进情况"][out.rows.index(9)] == "已完成2019年1-6月测算。"
    assert out.values["联系人"][out.rows.index(13)] == "李四"


def test_same_change_from_two_submissions_is_applied_once(merged):
    g3 = [a for a in merged["doc"]["applied"] if a["cell"] == "G3"]
    assert len(g3) == 1
    assert g3[0]["sources"] == ["全表-医政医管处.xlsx", "李光盈.xlsx"]
    assert g3[0]["old"] == "5 月 31 日完成提请市政府出台实施方案。"


def test_locked_column_edit_is_rejected(merged):
    rejected = merged["doc"]["rejected"]
    assert rejected == [{"row": 5, "column": "完成时限及主要节点", "cell": "F5", "old": "4 月底。", "new": "5月底。",
                         "source": "马新光.xlsx", "reason": "locked-column"}]
    assert openpyxl.load_workbook(merged["out"])[SHEET]["F5"].value == "4 月底。"


def test_conflict_keeps_the_base_and_lists_every_proposal(merged):
    conflicts = merged["doc"]["conflicts"]
    assert len(conflicts) == 1
    c = conflicts[0]
    assert (c["row"], c["column"], c["base"]) == (14, "推进情况", "正在制定。")
    assert sorted((p["source"], p["value"]) for p in c["proposals"]) == [
        ("丁向芳.xlsx", "已报市政府审定。"), ("王宏彦.xlsx", "已起草，征求意见中。")]
    ws = openpyxl.load_workbook(merged["out"])[SHEET]
    assert ws["G14"].value == "正在制定。"
    assert fill_of(ws["G14"]) == CONFLICT_FILL
    assert "已报市政府审定。" in ws["G14"].comment.text and "已起草，征求意见中。" in ws["G14"].comment.text


def test_invalid_phone_is_applied_marked_and_in_findings(merged):
    applied = by_cell(merged["doc"]["applied"])
    assert applied["I10"]["new"] == "3905"
    found = [f for f in merged["doc"]["findings"] if f["cell"] == "I10"]
    assert [f["code"] for f in found] == ["invalid-phone"] and found[0]["changed"] is True
    ws = openpyxl.load_workbook(merged["out"])[SHEET]
    assert ws["I10"].value == "3905" and fill_of(ws["I10"]) == INVALID_FILL
    assert "孙克.xlsx" in ws["I10"].comment.text
    # the contacts 未指定 filled in fixed the master's two missing-contact errors
    assert not [f for f in merged["doc"]["findings"] if f["code"] in ("missing-contact", "missing-phone")]


def test_findings_are_what_validate_says_of_out(merged):
    fresh = validate_file(merged["out"], Options())
    assert fresh.error is None
    assert [(f.code, f.cell) for f in fresh.findings] == [(f["code"], f["cell"]) for f in merged["doc"]["findings"]]


def test_formula_arrives_as_text(merged):
    applied = by_cell(merged["doc"]["applied"])
    assert applied["G7"]["new"] == FORMULA and applied["G7"]["formula_as_text"] is True
    cell = openpyxl.load_workbook(merged["out"])[SHEET]["G7"]
    assert cell.value == FORMULA and cell.data_type == "s"
    out = read_ledger(merged["out"])
    assert out.values["推进情况"][out.rows.index(7)] == FORMULA
    assert not [k for k in out.formulas if k[0] == 7]


def test_new_row_is_listed_not_added(merged):
    new_rows = merged["doc"]["new_rows"]
    assert len(new_rows) == 1
    row = new_rows[0]
    assert row["source"] == "未指定.xlsx" and row["added"] is False and row["row"] is None
    assert row["task"] == "4"
    assert row["values"]["重要成果形式"] == "建立短缺药品监测哨点。" and row["values"]["联系人"] == "张三"


def test_skipped_files_and_ignored_lock_file(merged):
    skipped = {s["path"]: s for s in merged["doc"]["skipped"]}
    assert set(skipped) == {"readme.txt", "截断.xlsx", "梨树县台账.xlsx"}
    assert skipped["readme.txt"]["reason"] == "not-a-spreadsheet"
    assert skipped["截断.xlsx"]["reason"] == "unreadable-file" and "截断" in skipped["截断.xlsx"]["message"]
    assert skipped["梨树县台账.xlsx"]["reason"] == "wrong-ledger"
    assert "~$李光盈.xlsx" not in json.dumps(merged["doc"], ensure_ascii=False)
    assert len(merged["doc"]["merged"]) == 10
    assert merged["calls"][0] == (0, 12) and merged["calls"][-1] == (12, 12)


def test_missing_departments_from_split_metadata(merged):
    assert merged["doc"]["missing"] == ["彭永锋"]
    assert "彭永锋" not in merged["doc"]["merged"] and len(merged["doc"]["expected"]) == 9


def test_inputs_are_never_modified(merged):
    assert sha(merged["master"]) == merged["before"]
    assert {p.name: sha(p) for p in merged["box"].iterdir()} == merged["subs_before"]


def test_out_keeps_layout_and_colours_changes(merged):
    ws = openpyxl.load_workbook(merged["out"])[SHEET]
    master = openpyxl.load_workbook(merged["master"])[SHEET]
    assert {str(r) for r in ws.merged_cells.ranges} == {str(r) for r in master.merged_cells.ranges}
    for letter, dim in master.column_dimensions.items():
        assert ws.column_dimensions[letter].width == dim.width
    assert fill_of(ws["G3"]) == APPLIED_FILL and fill_of(ws["G8"]) == APPLIED_FILL
    assert fill_of(ws["G4"]) != APPLIED_FILL and ws["G4"].value == master["G4"].value
    assert fill_of(ws["F5"]) != APPLIED_FILL


def test_merge_log_and_conflict_sheets(merged):
    wb = openpyxl.load_workbook(merged["out"])
    assert wb.sheetnames[:3] == [SHEET, LOG_SHEET, CONFLICT_SHEET]
    log = list(wb[LOG_SHEET].iter_rows(values_only=True))
    assert log[0] == ("单元格", "列", "原值", "新值", "来源文件", "时间", "结果", "说明")
    g9 = [r for r in log if r[0] == "G9"]
    assert g9 and g9[0][1] == "推进情况" and g9[0][2].startswith("前期调研")
    assert g9[0][3:5] == ("已完成2019年1-6月测算。", "王荣新.xlsx")
    assert g9[0][5].startswith("20") and g9[0][6] == "已应用"
    results = [r[6] for r in log[1:]]
    assert results.count("冲突：保留原值") == 2 and results.count("未应用：锁定列") == 1
    assert results.count("跳过文件") == 3 and results.count("新增行：未添加") == 1
    conflicts = list(wb[CONFLICT_SHEET].iter_rows(values_only=True))
    assert len(conflicts) == 3 and {r[3] for r in conflicts[1:]} == {"王宏彦.xlsx", "丁向芳.xlsx"}
    assert all(r[0] == "G14" and r[2] == "正在制定。" for r in conflicts[1:])


def test_report_json_shape(merged):
    doc = merged["doc"]
    for key in ("applied", "rejected", "conflicts", "new_rows", "skipped", "findings"):
        assert isinstance(doc[key], list)
    assert set(doc["applied"][0]) >= {"row", "column", "old", "new", "source"}
    assert set(doc["skipped"][0]) == {"path", "reason", "message"}
    assert set(doc["findings"][0]) >= {"code", "severity", "sheet", "row", "column", "cell", "value", "message"}
    assert merged["result"].exit_code() == 1


def test_out_renders_in_libreoffice(merged, tmp_path):
    pdf = to_pdf(merged["out"], tmp_path)
    pages = to_png(pdf, tmp_path / "png")
    assert_not_blank(pages[0])
    text = pdf_text(pdf)
    assert "已出台实施方案" in text and "单元格" in text


def test_accept_new_rows_adds_the_row_to_its_task(merged, tmp_path):
    out = tmp_path / "合并-含新增.xlsx"
    result = merge_ledgers(merged["master"], [merged["box"]], out, accept_new_rows=True)
    doc = result.to_dict()
    row = doc["new_rows"][0]
    assert row["added"] is True and row["row"] == 14
    ws = openpyxl.load_workbook(out)[SHEET]
    # task 4's merged cells now cover the new row; the rows below moved down by one
    ranges = {str(r) for r in ws.merged_cells.ranges}
    assert {"A10:A14", "C10:C14", "D10:D14"} <= ranges
    assert ws["E14"].value == "建立短缺药品监测哨点。" and fill_of(ws["E14"]) == APPLIED_FILL
    assert doc["conflicts"][0]["row"] == 15 and doc["conflicts"][0]["cell"] == "G15"
    assert ws["A15"].value == 5
    out_ledger = read_ledger(out)
    assert out_ledger.values["序号"][out_ledger.rows.index(14)] == "4"
    assert out_ledger.task[out_ledger.rows.index(14)] == out_ledger.task[out_ledger.rows.index(13)]
    assert sha(merged["master"]) == merged["before"]


def test_new_task_with_an_unknown_key_goes_after_the_last_task(tmp_path):
    master = tmp_path / "m.xlsx"
    shutil.copy(EX000, master)
    full = edit(master, tmp_path / "full.xlsx", {"A15": 6, "B15": "新增分类", "C15": "新增改革事项", "D15": "市卫生健康委",
                                                 "E15": "新成果", "F15": "12月底", "H15": "张三", "I15": "39052000"})
    result = merge_ledgers(master, [full], tmp_path / "o.xlsx", accept_new_rows=True)
    assert [(r["task"], r["row"]) for r in result.new_rows] == [("6", 15)]
    out = read_ledger(tmp_path / "o.xlsx")
    assert out.values["改革事项"][-1] == "新增改革事项" and out.values["序号"][-1] == "6"


def test_unmerged_and_resorted_full_copy_still_matches_rows(tmp_path):
    master = tmp_path / "m.xlsx"
    shutil.copy(EX000, master)

    def unmerge_and_sort(ws):
        for rng in [str(r) for r in ws.merged_cells.ranges if r.min_row > 2]:
            ws.unmerge_cells(rng)
        rows = [[c.value for c in ws[r]] for r in range(3, 15)]
        rows.sort(key=lambda v: str(v[7] or ""))  # by contact, as an office might
        for r, values in enumerate(rows, 3):
            for c, v in enumerate(values, 1):
                ws.cell(r, c).value = v
        for r in range(3, 15):
            if ws.cell(r, 8).value == "宋斌":
                ws.cell(r, 7).value = "已创建 3 所示范单位。"
            if ws.cell(r, 8).value == "孙克":
                ws.cell(r, 7).value = "追溯系统方案已论证。"

    sub = edit(master, tmp_path / "sorted.xlsx", change=unmerge_and_sort)
    result = merge_ledgers(master, [sub], tmp_path / "o.xlsx")
    assert {(a["cell"], a["new"]) for a in result.applied} == {("G4", "已创建 3 所示范单位。"), ("G10", "追溯系统方案已论证。")}
    assert result.rejected == [] and result.conflicts == [] and result.new_rows == [] and result.dropped == []


def test_dropped_rows_are_a_warning_nothing_deleted(tmp_path):
    master = tmp_path / "m.xlsx"
    shutil.copy(EX000, master)
    part = split_ledger(master, tmp_path / "s").files
    wang = next(f.path for f in part if f.department == "王宏彦")
    sub = edit(wang, tmp_path / "王宏彦.xlsx", {"G3": "已完成。"}, change=lambda ws: ws.delete_rows(4))
    result = merge_ledgers(master, [sub], tmp_path / "o.xlsx")
    assert [(d["row"], d["key"]) for d in result.dropped] == [(14, "5")]
    assert not (result.rejected or result.conflicts or result.skipped)
    assert "报送中缺少的行（未删除）" in result.summary_text() and "第 14 行（王宏彦.xlsx）" in result.summary_text()
    assert read_ledger(tmp_path / "o.xlsx").rows == list(range(3, 15))


def test_clean_merge_exits_0_and_summary_is_chinese(tmp_path):
    master = tmp_path / "m.xlsx"
    shutil.copy(EX000, master)
    f = {s.department: s.path for s in split_ledger(master, tmp_path / "s").files}
    box = tmp_path / "box"
    box.mkdir()
    edit(f["未指定"], box / "未指定.xlsx", {"H3": "张三", "I3": "39052000", "H4": "李四", "I4": "39052001"})
    edit(f["李光盈"], box / "李光盈.xlsx", {"G3": "已出台。"})
    out = tmp_path / "o.xlsx"
    r = runner.invoke(app, ["merge", str(master), str(box), "-o", str(out), "--report", str(tmp_path / "r.json")])
    assert r.exit_code == 0, r.output
    assert "已应用修改 5 处" in r.stdout and "冲突 0 处" in r.stdout
    assert "未报送：" in r.stdout and "宋斌" in r.stdout
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["summary"]["errors"] == 0


def test_cli_exit_1_and_summary(merged, tmp_path):
    out = tmp_path / "o.xlsx"
    r = runner.invoke(app, ["merge", str(merged["master"]), str(merged["box"]), "-o", str(out)])
    assert r.exit_code == 1
    for text in ("已应用修改 12 处", "未应用（锁定列）1 处", "冲突 1 处", "新增行 1 行", "跳过 3 份",
                 "G14 推进情况", "readme.txt", "未报送：彭永锋", "--accept-new-rows"):
        assert text in r.stdout, text
    r = runner.invoke(app, ["merge", str(merged["master"]), str(merged["box"]), "-o", str(out), "--lang", "en"])
    assert r.exit_code == 1 and "applied 12" in r.stdout and "not submitted: 彭永锋" in r.stdout


def test_out_open_in_excel_exits_2_and_writes_nothing(merged, tmp_path):
    out, report = tmp_path / "合并结果.xlsx", tmp_path / "r.json"
    (tmp_path / "~$合并结果.xlsx").write_bytes(b"lock")
    r = runner.invoke(app, ["merge", str(merged["master"]), str(merged["box"]), "-o", str(out), "--report", str(report)])
    assert r.exit_code == 2 and "Excel" in r.stderr and "Traceback" not in r.output
    assert not out.exists() and not report.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["~$合并结果.xlsx"]
    with pytest.raises(OutputLocked):
        merge_ledgers(merged["master"], [merged["box"]], out)


def test_out_is_master_keeps_a_timestamped_backup(tmp_path):
    master, f = issue(tmp_path)
    original = sha(master)
    sub = edit(f["李光盈"], tmp_path / "李光盈.xlsx", {"G3": "已出台。"})
    result = merge_ledgers(master, [sub], master)
    assert result.backup is not None and result.backup.parent == tmp_path
    assert result.backup.name.startswith("总台账.备份-") and sha(result.backup) == original
    assert openpyxl.load_workbook(master)[SHEET]["G3"].value == "已出台。"
    # a second round into the same master: the log keeps the first round's records
    sub2 = edit(f["宋斌"], tmp_path / "宋斌.xlsx", {"G3": "已征创 2 所。"})
    merge_ledgers(master, [sub2], master)
    log = [r[0] for r in openpyxl.load_workbook(master)[LOG_SHEET].iter_rows(min_row=2, values_only=True)]
    assert log == ["G3", "G4"]
    assert len(list(tmp_path.glob("总台账.备份-*.xlsx"))) == 2


def test_unreadable_master_and_bad_out_exit_2(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    r = runner.invoke(app, ["merge", str(bad), str(tmp_path), "-o", str(tmp_path / "o.xlsx")])
    assert r.exit_code == 2 and "bad.xlsx" in r.stderr and not (tmp_path / "o.xlsx").exists()
    r = runner.invoke(app, ["merge", str(EX000), str(tmp_path), "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and ".xlsx" in r.stderr
    with pytest.raises(MergeError):
        merge_ledgers(EX000, [tmp_path], tmp_path / "o.txt")


def test_split_file_of_another_ledger_is_wrong_ledger(tmp_path):
    other = tmp_path / "2018.xlsx"

    def rewrite(ws):
        for r in range(3, 15):
            ws.cell(r, 5).value = f"2018 年成果 {r}"

    edit(EX000, other, change=rewrite)
    part = split_ledger(other, tmp_path / "s").files[0].path
    master = tmp_path / "m.xlsx"
    shutil.copy(EX000, master)
    result = merge_ledgers(master, [part], tmp_path / "o.xlsx")
    assert [(s["path"], s["reason"]) for s in result.skipped] == [(part.name, "wrong-ledger")]
    assert result.applied == [] and result.merged == []


def test_master_edited_since_split_still_merges_by_content(tmp_path):
    master = tmp_path / "m.xlsx"
    shutil.copy(EX000, master)
    f = {s.department: s.path for s in split_ledger(master, tmp_path / "s").files}
    sub = edit(f["马新光"], tmp_path / "马新光.xlsx", {"G4": "方案已报审。"})
    edit(EX000, master, {"E8": "出台我市加强三级公立医院绩效考核工作具体实施方案，并完成考核工作。"})  # a typo fixed
    result = merge_ledgers(master, [sub], tmp_path / "o.xlsx")
    assert [(a["cell"], a["new"]) for a in result.applied] == [("G8", "方案已报审。")]
    assert result.new_rows == [] and result.rejected == []


def test_late_submission_does_not_revert_an_earlier_round(tmp_path):
    """Round 1 merges 王宏彦 into the master; round 2 brings 丁向芳's file (row 14 too), who
    changed only the phone: G14 keeps 王宏彦's text, I14 takes 丁向芳's phone."""
    master = tmp_path / "总台账.xlsx"
    shutil.copy(EX000, master)
    f = {s.department: s.path for s in split_ledger(master, tmp_path / "s").files}
    wang = edit(f["王宏彦"], tmp_path / "王宏彦.xlsx", {"G4": "已起草，征求意见中。"})
    ding = edit(f["丁向芳"], tmp_path / "丁向芳.xlsx", {"I3": "39052223 39052288"})
    merge_ledgers(master, [wang], master)
    result = merge_ledgers(master, [ding], master)
    assert [(a["cell"], a["new"]) for a in result.applied] == [("I14", "39052223 39052288")]
    ws = openpyxl.load_workbook(master)[SHEET]
    assert ws["G14"].value == "已起草，征求意见中。" and ws["I14"].value == "39052223 39052288"
    # without split metadata (a plain copy of the issued file) the base is the master, but G14
    # holds the value from before 王宏彦's merged change: an old copy, so a conflict, not a revert
    plain = tmp_path / "plain.xlsx"
    wb = openpyxl.load_workbook(ding)
    del wb["_taizhang"]
    wb["工作台账"]["H3"] = "丁向芳"  # and one real edit beside it
    wb.save(plain)
    again = merge_ledgers(master, [plain], tmp_path / "o.xlsx")
    assert [(a["cell"], a["new"]) for a in again.applied] == [("H14", "丁向芳")]
    assert [(c["cell"], c["reason"], c["base"], c["proposals"]) for c in again.conflicts] == [
        ("G14", "changed-since-issued", "已起草，征求意见中。", [{"source": "plain.xlsx", "value": "正在制定。"}])]
    out = openpyxl.load_workbook(tmp_path / "o.xlsx")[SHEET]
    assert out["G14"].value == "已起草，征求意见中。" and out["H14"].value == "丁向芳"
    assert out["G14"].comment.text.startswith("冲突：分发后总台账中此格已有改动")


def test_exit_1_only_for_errors_this_merge_brought_in(tmp_path):
    """The 000 master already lacks two contacts: a clean merge of one filled-in cell exits 0,
    --strict still exits 1; an edit that writes a bad phone exits 1 either way."""
    master, f = issue(tmp_path)
    good = edit(f["李光盈"], tmp_path / "李光盈-好.xlsx", {"G3": "已出台。"})
    args = ["merge", str(master), str(good), "-o", str(tmp_path / "out.xlsx")]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "4 个错误" in r.output and "0 个在本次修改的单元格" in r.output
    assert runner.invoke(app, [*args, "--strict"]).exit_code == 1
    bad = edit(f["李光盈"], tmp_path / "李光盈-坏.xlsx", {"I3": "3905222"})
    r = runner.invoke(app, ["merge", str(master), str(bad), "-o", str(tmp_path / "out2.xlsx")])
    assert r.exit_code == 1 and "1 个在本次修改的单元格" in r.output


def test_merging_into_the_master_needs_in_place(tmp_path):
    master, f = issue(tmp_path)
    before = sha(master)
    sub = edit(f["李光盈"], tmp_path / "李光盈.xlsx", {"G3": "已出台。"})
    r = runner.invoke(app, ["merge", str(master), str(sub), "-o", str(master)])
    assert r.exit_code == 2 and "--in-place" in r.stderr and sha(master) == before
    r = runner.invoke(app, ["merge", str(master), str(sub), "-o", str(master), "--in-place"])
    assert r.exit_code == 0, r.output
    assert openpyxl.load_workbook(master)[SHEET]["G3"].value == "已出台。"
    assert [sha(p) for p in tmp_path.glob("总台账.备份-*.xlsx")] == [before]
