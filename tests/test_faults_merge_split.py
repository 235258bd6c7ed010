"""Merge and split under real faults (issue 13): each case builds its hostile input from the 000
example, runs the real `taizhang` command in a subprocess under a memory cap and a timeout, and
asserts the exit code, the one line the user reads, and what is on disk afterwards."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.drawing.image import Image
from openpyxl.worksheet.datavalidation import DataValidation
from PIL import Image as PILImage

from conftest import EX000
from test_merge import edit  # a department's file opened, typed into and saved

TAIZHANG = str(Path(sys.executable).parent / "taizhang")
SHEET = "工作台账"
MEMORY_CAP = 3 << 30  # bytes of address space: a runaway parse dies instead of taking the machine
TIMEOUT = 240


def run(*args: object, env: dict[str, str] | None = None, timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """The real command, capped in memory and time; fails the test on a hang."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run([TAIZHANG, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=cap, env={**os.environ, **(env or {})})


def one_line(proc: subprocess.CompletedProcess) -> str:
    """The single line a refused command prints on stderr: no traceback, nothing on stdout."""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    return lines[0]


def digest(*paths: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    """Temporary files a write may leave: ours (.taizhang-*), and lock files."""
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith((".taizhang-", ".~taizhang.")))


def clean_master(tmp_path: Path, name: str = "总台账.xlsx") -> Path:
    """The 000 ledger with its two missing contacts filled in, so that it validates clean and a
    merge's exit code speaks only of the merge."""
    wb = openpyxl.load_workbook(EX000)
    ws = wb[SHEET]
    ws["H11"], ws["I11"], ws["H13"], ws["I13"] = "王荣新", 39052228, "孙克", 39052229
    wb.save(tmp_path / name)
    return tmp_path / name


def split_files(master: Path, folder: Path) -> dict[str, Path]:
    proc = run("split", master, "-o", folder)
    assert proc.returncode == 0, proc.stderr
    return {p.stem: p for p in folder.glob("*.xlsx")}


def values(path: Path, *refs: str, sheet: str = SHEET) -> list[object]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [ws[r].value for r in refs]


# ----------------------------------------------------------------------------- merge: formulas

FORMULA_G = '="已完成"&"方案"'  # 推进情况 of master row 3 (李光盈's)


def formula_master(tmp_path: Path) -> Path:
    """The 000 ledger with formulas in editable cells: one plain, and a column filled down as
    Excel saves it, one shared formula for I5:I7 (phones computed from a base number)."""
    wb = openpyxl.load_workbook(clean_master(tmp_path, "clean.xlsx"))
    ws = wb[SHEET]
    ws["G3"] = FORMULA_G
    ws["K5"] = 39052225
    for r in (5, 6, 7):
        ws[f"I{r}"] = f"=K{r}"
    ws["K6"], ws["K7"] = 39052224, 39052226
    shared = b'<f t="shared" si="0"/>'  # what Excel writes for a filled-down formula
    return save_patched(wb, tmp_path, {"xl/worksheets/sheet1.xml": [
        (b"<f>K5</f>", b'<f t="shared" ref="I5:I7" si="0">K5</f>'), (b"<f>K6</f>", shared), (b"<f>K7</f>", shared)]})


def save_patched(wb: openpyxl.Workbook, tmp_path: Path, patches: dict[str, list[tuple[bytes, bytes]]]) -> Path:
    """Save `wb` as 总台账.xlsx with parts rewritten: what Excel writes and openpyxl cannot."""
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    master = tmp_path / "总台账.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(master, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            for old, new in patches.get(name, []):
                data = data.replace(old, new)
            dst.writestr(name, data)
    return master


def test_untouched_formulas_are_unchanged_and_an_edited_one_is_a_change(tmp_path):
    master = formula_master(tmp_path)
    files = split_files(master, tmp_path / "分发")
    box = tmp_path / "报送"
    box.mkdir()
    # 马新光 (rows 5, 8) and 刘春明 (row 6) send theirs back untouched, formulas and all;
    # 彭永锋 (row 7) replaces the phone formula with a typed number; 李光盈 edits the text formula
    shutil.copy(files["马新光"], box)
    shutil.copy(files["刘春明"], box)
    edit(files["彭永锋"], box / "彭永锋.xlsx", {"I3": "39052299"})
    edit(files["李光盈"], box / "李光盈.xlsx", {"G3": '="已完成"&"实施方案"'})
    before = digest(master, *box.iterdir())
    out = tmp_path / "合并.xlsx"
    proc = run("merge", master, box, "-o", out, "--report", tmp_path / "r.json")
    # the master's formulas are findings of their own (formula-in-cell): 0 or 1 as issue 17 decides, never 2
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert "已应用修改 2 处" in proc.stdout and "冲突 0 处" in proc.stdout
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert sorted((a["cell"], a["old"], a["new"]) for a in report["applied"]) == [
        ("G3", FORMULA_G, '="已完成"&"实施方案"'), ("I7", "=K7", "39052299")]
    ws = openpyxl.load_workbook(out)[SHEET]
    assert (ws["I5"].value, ws["I5"].data_type) == ("=K5", "f")
    assert (ws["I6"].value, ws["I6"].data_type) == ("=K6", "f")  # a shared formula, still itself
    assert ws["I7"].value == "39052299"
    assert digest(master, *box.iterdir()) == before


# ----------------------------------------------------------------------------- merge: one at a time

def test_second_merge_into_a_held_output_stops_with_one_line(tmp_path):
    master = clean_master(tmp_path)
    out = tmp_path / "合并.xlsx"
    shutil.copy(master, out)
    before = digest(out)
    held = os.open(tmp_path, os.O_RDONLY)  # another merge writing into this folder, as the OS sees it
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = run("merge", master, master, "-o", out, env={"TAIZHANG_LOCK_WAIT": "1"})
    finally:
        os.close(held)
    assert proc.returncode == 2
    assert one_line(proc) == f"{out}：另一个合并正在写入这个文件夹，等待 1 秒后仍未结束；请等它完成后再试，未写入任何内容。"
    assert digest(out) == before and leftovers(tmp_path) == []


def test_two_merges_into_the_master_at_once_keep_both_edits(tmp_path):
    master = clean_master(tmp_path)
    files = split_files(master, tmp_path / "分发")
    a = edit(files["李光盈"], tmp_path / "李光盈.xlsx", {"G3": "已出台实施方案。"})
    b = edit(files["马新光"], tmp_path / "马新光.xlsx", {"G3": "方案已报审。"})
    cap = lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))  # noqa: E731
    procs = [subprocess.Popen([TAIZHANG, "merge", str(master), str(sub), "-o", str(master), "--in-place"], preexec_fn=cap,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for sub in (a, b)]
    results = [(p.wait(timeout=TIMEOUT), p.stderr.read()) for p in procs]
    assert results == [(0, ""), (0, "")]
    assert values(master, "G3", "G5") == ["已出台实施方案。", "方案已报审。"]
    assert len(list(tmp_path.glob("总台账.备份-*.xlsx"))) == 2 and leftovers(tmp_path) == []


@pytest.mark.parametrize("lock_name, program", [("~$合并.xlsx", "Excel / WPS"), (".~lock.合并.xlsx#", "LibreOffice")])
def test_output_open_in_another_program_is_not_overwritten(tmp_path, lock_name, program):
    master = clean_master(tmp_path)
    out = tmp_path / "合并.xlsx"
    shutil.copy(master, out)
    (tmp_path / lock_name).write_text("someone,host", encoding="utf-8")
    before = digest(out, master)
    proc = run("merge", master, master, "-o", out)
    assert proc.returncode == 2
    flag = "~$" if program.startswith("Excel") else ".~lock"
    assert one_line(proc) == f"{out}：文件正在 {program} 中打开（旁边有 {flag} 锁定文件），请先关闭后再试；未写入任何内容。"
    assert digest(out, master) == before and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- merge: across rounds

def test_late_file_changing_a_cell_merged_since_it_was_issued_is_a_conflict(tmp_path):
    """Round 1 merges 王宏彦's G14 into the master. 丁向芳's file, issued before that, also
    changed G14: a conflict, 王宏彦's text stays. 王宏彦 then corrects his own: applied."""
    master = clean_master(tmp_path)
    files = split_files(master, tmp_path / "分发")
    wang = edit(files["王宏彦"], tmp_path / "王宏彦.xlsx", {"G4": "已起草，征求意见中。"})
    ding = edit(files["丁向芳"], tmp_path / "丁向芳.xlsx", {"G3": "已完成直报培训。"})
    assert run("merge", master, wang, "-o", master, "--in-place").returncode == 0
    proc = run("merge", master, ding, "-o", master, "--in-place", "--report", tmp_path / "r.json")
    assert proc.returncode == 1
    assert "冲突 1 处" in proc.stdout and "G14 推进情况：丁向芳.xlsx「已完成直报培训。」" in proc.stdout
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [(c["cell"], c["base"], c["reason"]) for c in report["conflicts"]] == [
        ("G14", "已起草，征求意见中。", "changed-since-issued")]
    assert values(master, "G14") == ["已起草，征求意见中。"]
    wang2 = edit(files["王宏彦"], tmp_path / "王宏彦.xlsx", {"G4": "已起草，报市政府审定。"})
    proc = run("merge", master, wang2, "-o", master, "--in-place")
    assert proc.returncode == 0 and "冲突 0 处" in proc.stdout
    assert values(master, "G14") == ["已起草，报市政府审定。"]


# ----------------------------------------------------------------------------- merge: everything else survives

X14_DROPDOWN = ('<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
                'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
                '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1">'
                '<x14:formula1><xm:f>选项!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>H3:H14</xm:sqref>'
                '</x14:dataValidation></x14:dataValidations></ext></extLst>')
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
TEXT_BOX = ('<twoCellAnchor><from><col>10</col><colOff>0</colOff><row>6</row><rowOff>0</rowOff></from>'
            '<to><col>13</col><colOff>0</colOff><row>9</row><rowOff>0</rowOff></to>'
            '<sp macro="" textlink=""><nvSpPr><cNvPr id="3" name="TextBox 2"/><cNvSpPr txBox="1"/></nvSpPr>'
            f'<spPr><a:xfrm {A}><a:off x="0" y="0"/><a:ext cx="1800000" cy="600000"/></a:xfrm>'
            f'<a:prstGeom {A} prst="rect"><a:avLst/></a:prstGeom></spPr>'
            f'<txBody><a:bodyPr {A}/><a:p {A}><a:r><a:rPr lang="zh-CN"/><a:t>填报说明：只改推进情况</a:t></a:r></a:p>'
            '</txBody></sp><clientData/></twoCellAnchor>')


def rich_master(tmp_path: Path) -> Path:
    """The 000 ledger as offices dress it: a picture (a red stamp), rich text, a text box, and a
    联系人 dropdown whose list is on another sheet (Excel 2010 keeps that in the sheet's extLst)."""
    PILImage.new("RGB", (60, 30), (200, 30, 30)).save(tmp_path / "stamp.png")
    wb = openpyxl.load_workbook(clean_master(tmp_path, "clean.xlsx"))
    ws = wb[SHEET]
    ws.add_image(Image(tmp_path / "stamp.png"), "K2")
    ws["E4"] = CellRichText(["创建 5 所", TextBlock(InlineFont(b=True, color="FFFF0000"), "市级"), "中医药健康养老服务示范单位。"])
    names = wb.create_sheet("选项")
    for i, v in enumerate(["李光盈", "宋斌", "马新光"], 1):
        names.cell(i, 1, v)
    ws.add_data_validation(DataValidation(type="list", formula1='"是,否"', sqref="J3:J14"))
    return save_patched(wb, tmp_path, {"xl/drawings/drawing1.xml": [(b"</wsDr>", TEXT_BOX.encode() + b"</wsDr>")],
                                       "xl/worksheets/sheet1.xml": [(b"</worksheet>", X14_DROPDOWN.encode() + b"</worksheet>")]})


def test_pictures_rich_text_and_dropdowns_survive_and_what_cannot_is_listed(tmp_path):
    master = rich_master(tmp_path)
    files = split_files(master, tmp_path / "分发")
    sub = edit(files["李光盈"], tmp_path / "李光盈.xlsx", {"G3": "已出台实施方案。"})
    out = tmp_path / "合并.xlsx"
    proc = run("merge", master, sub, "-o", out, "--report", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    assert "  总台账中无法保留到输出的内容：\n    工作台账：形状、文本框或箭头\n" in proc.stdout
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["not_kept"] == [{"what": "形状、文本框或箭头", "where": "工作台账", "count": 1}]
    with zipfile.ZipFile(out) as z:
        pictures = [n for n in z.namelist() if n.startswith("xl/media/")]
        assert len(pictures) == 1
        assert PILImage.open(z.open(pictures[0])).getpixel((5, 5)) == (200, 30, 30)
    wb = openpyxl.load_workbook(out, rich_text=True)
    ws = wb[SHEET]
    rich = ws["E4"].value
    assert isinstance(rich, CellRichText) and str(rich) == "创建 5 所市级中医药健康养老服务示范单位。"
    assert [(b.text, b.font.b) for b in rich if isinstance(b, TextBlock)] == [("市级", True)]
    dropdowns = sorted((dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation)
    assert dropdowns == [('"是,否"', "J3:J14"), ("选项!$A$1:$A$3", "H3:H14")]
    assert ws["G3"].value == "已出台实施方案。" and wb["选项"]["A2"].value == "宋斌"


# ----------------------------------------------------------------------------- merge: OUT and report together

def test_report_that_cannot_be_written_leaves_out_as_it_was(tmp_path):
    master = clean_master(tmp_path)
    files = split_files(master, tmp_path / "分发")
    sub = edit(files["李光盈"], tmp_path / "李光盈.xlsx", {"G3": "已出台实施方案。"})
    out = tmp_path / "合并.xlsx"
    shutil.copy(master, out)
    (tmp_path / "报告").write_text("a file where the report's folder should be", encoding="utf-8")
    before = digest(out, master, sub)
    proc = run("merge", master, sub, "-o", out, "--report", tmp_path / "报告" / "r.json")
    assert proc.returncode == 2
    assert one_line(proc).startswith(f"无法写入 {tmp_path / '报告' / 'r.json'}：")
    assert digest(out, master, sub) == before and leftovers(tmp_path) == []


def test_a_pipe_nobody_reads_as_output_is_refused_not_replaced(tmp_path):
    master = clean_master(tmp_path)
    fifo = tmp_path / "合并.xlsx"
    os.mkfifo(fifo)  # nobody reads it: opening it to write would hang, renaming over it would replace it
    report = tmp_path / "r.json"
    proc = run("merge", master, master, "-o", fifo, "--report", report, timeout=60)
    assert proc.returncode == 2
    assert one_line(proc) == f"无法写入 {fifo}：这是命名管道，但没有程序在读取它"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and not report.exists() and leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- split

def test_split_never_replaces_a_file_silently(tmp_path):
    master = clean_master(tmp_path)
    folder = tmp_path / "分发"
    files = split_files(master, folder)
    filled = edit(files["李光盈"], tmp_path / "x.xlsx", {"G3": "处室已填写。"})
    shutil.move(filled, files["李光盈"])
    before = folder_digest(folder)
    proc = run("split", master, "-o", folder)
    assert proc.returncode == 2
    assert one_line(proc).startswith(f"{folder}：已有同名文件 ")
    assert one_line(proc).endswith("未写入任何文件；请换一个文件夹或先移走这些文件（命令行加 --force 可覆盖，原文件先备份）。")
    assert folder_digest(folder) == before
    proc = run("split", master, "-o", folder, "--force")
    assert proc.returncode == 0, proc.stderr
    backups = sorted(folder.glob("李光盈.备份-*.xlsx"))
    assert len(backups) == 1 and values(backups[0], "G3") == ["处室已填写。"]
    assert values(files["李光盈"], "G3") == ["5 月 31 日完成提请市政府出台实施方案。"]
    assert "原有文件已备份为：李光盈.备份-" in proc.stdout and leftovers(folder) == []


def leaky_master(tmp_path: Path) -> Path:
    """A master with everyone's data in places a department's file must not carry."""
    wb = openpyxl.load_workbook(clean_master(tmp_path, "clean.xlsx"))
    ws = wb[SHEET]
    copy = wb.create_sheet("备份")  # a hidden full copy, phones included
    for row in ws.iter_rows(values_only=True):
        copy.append(row)
    copy.sheet_state = "hidden"
    secret = wb.create_sheet("通讯录")
    secret.append(["宋斌", "13900000001 私人手机"])
    secret.sheet_state = "veryHidden"
    lists = wb.create_sheet("选项")
    for i, v in enumerate(["已完成", "推进中", "未启动"], 1):
        lists.cell(i, 1, v)
    lists.sheet_state = "hidden"
    summary = wb.create_sheet("汇总")
    summary["A1"] = "宋斌 联系电话 39052227"
    from openpyxl.workbook.defined_name import DefinedName

    wb.defined_names["全部电话"] = DefinedName("全部电话", attr_text="备份!$I$3:$I$14")
    wb.defined_names["状态"] = DefinedName("状态", attr_text="选项!$A$1:$A$3")
    ws.add_data_validation(DataValidation(type="list", formula1="状态", sqref="J3:J14"))
    PILImage.new("RGB", (40, 20), (0, 0, 255)).save(tmp_path / "photo.png")
    ws.add_image(Image(tmp_path / "photo.png"), "K4")  # beside 宋斌's row
    master = tmp_path / "总台账.xlsx"
    wb.save(master)
    return master


def test_a_department_file_holds_its_rows_and_nothing_else(tmp_path):
    master = leaky_master(tmp_path)
    files = split_files(master, tmp_path / "分发")
    mine = files["李光盈"]  # row 3 only
    with zipfile.ZipFile(mine) as z:
        names = z.namelist()
        text = b"".join(z.read(n) for n in names if n.endswith((".xml", ".rels")))
    assert not [n for n in names if n.startswith(("xl/pivot", "xl/externalLinks", "xl/media", "xl/drawings"))]
    for other in ("39052227", "39052225", "13900000001", "私人手机", "全部电话", "宋斌 联系电话", "创建 5 所"):
        assert other.encode() not in text, other
    wb = openpyxl.load_workbook(mine)
    assert wb.sheetnames == [SHEET, "_taizhang"]
    assert [s.sheet_state for s in wb.worksheets] == ["visible", "hidden"]  # only our metadata is hidden
    assert list(wb.defined_names) == []
    ws = wb[SHEET]
    assert [(dv.formula1, str(dv.sqref)) for dv in ws.data_validations.dataValidation] == [('"已完成,推进中,未启动"', "J3:J14")]
    assert [ws.cell(3, c).value for c in (7, 8, 9)] == ["5 月 31 日完成提请市政府出台实施方案。", "李光盈", "39052220"]
    assert ws.max_row == 3


def test_names_from_cells_are_safe_files_that_never_collide(tmp_path):
    wb = openpyxl.load_workbook(EX000)
    ws = wb[SHEET]
    contacts = {3: "CON", 4: "~$王", 5: "a:b", 6: "未指定", 7: "Ab", 8: "aB", 9: "COM1.", 10: "局" * 120}
    for row, name in contacts.items():
        ws[f"H{row}"] = name
    master = tmp_path / "总台账.xlsx"
    wb.save(master)
    folder = tmp_path / "分发"
    proc = run("split", master, "-o", folder)
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in folder.iterdir())
    long = "局" * 65 + ".xlsx"
    assert names == sorted(["_CON.xlsx", "王.xlsx", "a_b.xlsx", "未指定.xlsx", "Ab.xlsx", "aB-2.xlsx", "_COM1.xlsx",
                            long, "王宏彦.xlsx", "丁向芳.xlsx", "未指定-2.xlsx"])
    assert len(long.encode()) <= 200
    assert "13 行的「联系人」为空" not in proc.stdout and "已放入 未指定-2.xlsx" in proc.stdout
    # the department really called 未指定 and the rows naming no one stay apart
    assert values(folder / "未指定.xlsx", "G3") == values(master, "G6")
    unassigned = openpyxl.load_workbook(folder / "未指定-2.xlsx")[SHEET]
    assert [unassigned.cell(r, 5).value for r in (3, 4)] == values(master, "E11", "E13")
