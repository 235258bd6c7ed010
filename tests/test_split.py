"""Split: one workbook per department, the master's layout kept, metadata for merge."""

from __future__ import annotations

import hashlib
import json

import openpyxl
import pytest
from typer.testing import CliRunner

from taizhang.cli import app
from conftest import EX000, EX000_CSV, write_ledger
from taizhang.ledgerops.matching import content_hash, issued_keys
from taizhang.ledgerops.safe_write import OutputLocked
from taizhang.ledgerops.split import UNASSIGNED, SplitError, read_row_keys, split_ledger
from taizhang.ledgerops.xlsx_out import safe_filename
from taizhang.validator.reader import read_ledger

runner = CliRunner()


@pytest.fixture
def split000(tmp_path):
    return split_ledger(EX000, tmp_path / "分发")


def test_split_by_contact_puts_each_row_in_each_named_persons_file(split000):
    files = {f.department: f for f in split000.files}
    assert split000.by == "联系人"
    assert files["李光盈"].rows == [3]
    assert files["马新光"].rows == [5, 8]
    # "王宏彦 丁向芳" in H14: the row goes to both
    assert files["王宏彦"].rows == [12, 14]
    assert files["丁向芳"].rows == [14]
    # H11 and H13 have no contact
    assert files[UNASSIGNED].rows == [11, 13] == split000.unassigned
    assert list(files)[-1] == UNASSIGNED
    assert {f.path.name for f in split000.files} == {f"{d}.xlsx" for d in files}
    master = read_ledger(EX000)
    for f in split000.files:
        part = read_ledger(f.path)
        assert len(part) == len(f.rows)
        for pos, row in enumerate(f.rows):
            m = master.rows.index(row)
            for col in master.columns:  # every value, task-level ones included, as in the master
                assert part.values[col][pos] == master.values[col][m], (f.department, row, col)


def test_split_file_keeps_the_masters_layout(split000):
    master = openpyxl.load_workbook(EX000)["工作台账"]
    path = next(f.path for f in split000.files if f.department == UNASSIGNED)
    ws = openpyxl.load_workbook(path)["工作台账"]
    assert ws["A1"].value == master["A1"].value
    merged = {str(r) for r in ws.merged_cells.ranges}
    # rows 11 and 13 of task 4 (merged A10:A13 in the master): the task's cells merged over both,
    # its key and text carried down from the master's row 10
    assert {"A1:I1", "A3:A4", "B3:B4", "C3:C4", "D3:D4"} <= merged
    assert ws["A3"].value == 4 and ws["C3"].value == master["C10"].value
    assert ws["E3"].value == master["E11"].value and ws["E4"].value == master["E13"].value
    for letter, dim in master.column_dimensions.items():
        assert ws.column_dimensions[letter].width == dim.width
    assert ws["A2"].fill.fgColor.rgb == master["A2"].fill.fgColor.rgb
    assert ws.max_row == 4


def test_split_protects_locked_columns_and_unlocks_editable_ones(split000):
    ws = openpyxl.load_workbook(split000.files[0].path)["工作台账"]
    assert ws.protection.sheet
    assert not ws.protection.insertRows  # departments may insert rows
    assert ws["G3"].protection.locked is False
    assert ws["H3"].protection.locked is False and ws["I3"].protection.locked is False
    assert ws["E3"].protection.locked is True and ws["F3"].protection.locked is True


def test_split_metadata_names_master_rows_and_departments(split000):
    master = read_ledger(EX000)
    prints = issued_keys(master)
    wb = openpyxl.load_workbook(split000.files[0].path)
    assert wb["_taizhang"].sheet_state == "hidden"
    for f in split000.files:
        meta = read_ledger(f.path).metadata
        assert meta["type"] == "reform-ledger"
        assert meta["department"] == f.department
        assert meta["master_hash"] == content_hash(master)
        assert meta["year"] == "2019"
        assert read_row_keys(meta) == [prints[master.rows.index(r)] for r in f.rows]
        assert json.loads(meta["editable_columns"]) == ["推进情况", "联系人", "联系电话"]
        expected = json.loads(meta["split_departments"])
        assert UNASSIGNED not in expected and "丁向芳" in expected and len(expected) == 9


def test_row_keys_of_a_big_split_are_chunked_under_excels_cell_limit(tmp_path):
    rows = [[i, "分类", f"任务{i}", "市卫生健康委", f"成果{i}", "6月底", None, "张三", "39052220"] for i in range(1, 4501)]
    master = write_ledger(tmp_path / "big.xlsx", rows)
    result = split_ledger(master, tmp_path / "out")
    assert [f.department for f in result.files] == ["张三"]
    wb = openpyxl.load_workbook(result.files[0].path)
    meta = {r[0]: r[1] for r in wb["_taizhang"].iter_rows(values_only=True)}
    assert {"row_keys", "row_keys_2", "row_keys_5"} <= set(meta)
    assert all(len(str(v)) < 32767 for v in meta.values())
    assert len(read_row_keys(read_ledger(result.files[0].path).metadata)) == 4500


def test_split_by_units_uses_the_registry_and_fills_task_values_without_merges(tmp_path):
    # task 1 has two sub-items; its task-level cells are blank on the second row (no merges)
    rows = [
        [1, "分类一", "任务一", "市卫生健康委", "成果甲", "6月底", None, "张三", "39052220"],
        [None, None, None, None, "成果乙", "9月底", None, "李四", "39052221"],
        [2, "分类二", "任务二", "市医保局、市卫生健康委", "成果丙", "12月底", None, "李四", "39052221"],
    ]
    master = write_ledger(tmp_path / "m.xlsx", rows)
    result = split_ledger(master, tmp_path / "out", by="责任单位")
    files = {f.department: f for f in result.files}
    assert files["市卫生健康委"].rows == [3, 4, 5] and files["市医保局"].rows == [5]
    by_person = split_ledger(master, tmp_path / "p", by="联系人")
    li = next(f for f in by_person.files if f.department == "李四")
    part = read_ledger(li.path)
    # the second sub-item of task 1 keeps its task's key and text in its own file
    assert part.values["序号"] == ["1", "2"] and part.values["改革事项"] == ["任务一", "任务二"]
    assert part.task == [0, 1]


def test_split_from_a_csv_master(tmp_path):
    result = split_ledger(EX000_CSV, tmp_path / "out")
    assert {f.department for f in result.files} >= {"李光盈", "王宏彦", UNASSIGNED}
    part = read_ledger(next(f.path for f in result.files if f.department == "王宏彦"))
    assert part.values["序号"] == ["4", "5"]


def test_safe_file_names():
    taken: set[str] = set()
    assert safe_filename('a/b\\c:d*e?f"g<h>i|j', ".xlsx", taken) == "a_b_c_d_e_f_g_h_i_j.xlsx"
    assert safe_filename("CON", ".xlsx", taken) == "_CON.xlsx"
    long = safe_filename("处" * 300, ".xlsx", taken)
    assert len(long) <= 100 and long.endswith(".xlsx")
    assert safe_filename("医政处", ".xlsx", taken) == "医政处.xlsx"
    assert safe_filename("医政处", ".xlsx", taken) == "医政处-2.xlsx"
    assert safe_filename(" . ", ".xlsx", taken) == "未命名.xlsx"


def test_split_names_with_forbidden_characters(tmp_path):
    rows = [[1, "分类", "任务", "市卫生健康委", "成果", "6月底", None, "医政/医管处", "39052220"]]
    master = write_ledger(tmp_path / "m.xlsx", rows)
    result = split_ledger(master, tmp_path / "out", by="任务分类")
    assert [f.path.name for f in result.files] == ["分类.xlsx"]
    rows[0][1] = 'A<B>:"C"|D?*'
    master = write_ledger(tmp_path / "m2.xlsx", rows)
    result = split_ledger(master, tmp_path / "out2", by="任务分类")
    assert result.files[0].path.name == "A_B___C__D__.xlsx" and result.files[0].path.exists()


def test_split_never_touches_the_master_and_refuses_a_locked_target(tmp_path, copy_example):
    master = copy_example(EX000)
    before = hashlib.sha256(master.read_bytes()).digest()
    out = tmp_path / "out"
    out.mkdir()
    (out / "~$宋斌.xlsx").write_bytes(b"lock")
    with pytest.raises(OutputLocked):
        split_ledger(master, out)
    assert [p.name for p in out.iterdir()] == ["~$宋斌.xlsx"]  # nothing written, not even the others
    split_ledger(master, tmp_path / "ok")
    assert hashlib.sha256(master.read_bytes()).digest() == before


def test_split_cli(tmp_path):
    r = runner.invoke(app, ["split", str(EX000), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "已按「联系人」分发 10 个文件" in r.stdout and "未指定.xlsx" in r.stdout
    r = runner.invoke(app, ["split", str(EX000), "--by", "责任单位", "-o", str(tmp_path / "u"), "--lang", "en"])
    assert r.exit_code == 0 and "Split by '责任单位' into 3 files" in r.stdout
    r = runner.invoke(app, ["split", str(EX000), "--by", "不存在", "-o", str(tmp_path / "x")])
    assert r.exit_code == 2 and "没有「不存在」列" in r.stderr and "Traceback" not in r.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    r = runner.invoke(app, ["split", str(bad), "-o", str(tmp_path / "y")])
    assert r.exit_code == 2 and "bad.xlsx" in r.stderr
    assert not (tmp_path / "y").exists()


def test_split_unknown_column_error_in_both_languages():
    with pytest.raises(SplitError) as exc:
        split_ledger(EX000, EX000.parent / "never", by="nope")
    assert "nope" in exc.value.message("zh") and "no column" in exc.value.message("en")
    assert not (EX000.parent / "never").exists()


def test_default_split_is_per_department_and_per_contact_inside_one(tmp_path):
    """Several lead units: a file per unit. All rows led by one department (the Dalian ledger):
    a file per contact person, who stands for an office inside it."""
    rows = [
        [1, "分类一", "任务一", "市卫生健康委", "成果甲", "6月底", None, "张三", "39052220"],
        [2, "分类二", "任务二", "市医保局、市卫生健康委", "成果丙", "12月底", None, "李四", "39052221"],
    ]
    several = split_ledger(write_ledger(tmp_path / "m.xlsx", rows), tmp_path / "a")
    assert several.by == "责任单位" and [f.department for f in several.files] == ["市卫生健康委", "市医保局"]
    one = split_ledger(EX000, tmp_path / "b")
    assert one.by == "联系人" and "李光盈" in {f.department for f in one.files}
