"""Templates generated from ledger types: structure, filled rows, the committed files, LibreOffice.

Every check opens a real .xlsx: the one build_template wrote, the committed one in templates/,
or the one LibreOffice saved after opening it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from conftest import EX000, ROOT
from taizhang.ledgerops.template import (
    FIRST_DATA_ROW, HEADER_ROW, MAX_PROMPT, TITLE_ROW, UNITS_NAME, UNITS_SHEET, TemplateError,
    build_template, builtin_template_path, registry_units, template_content,
)
from taizhang.validator.ledger_types import UNIT_ROLES, builtin_types
from taizhang.validator.metadata import META_SHEET
from taizhang.validator.reader import read_ledger
from taizhang.validator.units import Registry
from taizhang.validator.validate import Options, collect_paths, validate_file

import lo

TYPES = sorted(builtin_types())
TEMPLATES = ROOT / "templates"


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def _letter(ltype, name: str) -> str:
    return openpyxl.utils.get_column_letter([c.name for c in ltype.columns].index(name) + 1)


def _validations(ws) -> dict[str, object]:
    """Column letter -> its data validation (each template column has exactly one)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_col == rng.max_col, f"validation {rng} spans several columns"
            letter = openpyxl.utils.get_column_letter(rng.min_col)
            assert letter not in out, f"two validations on column {letter}"
            out[letter] = dv
    return out


def _named_list(wb) -> list[str]:
    """The names the unit dropdown offers: follow the defined name into the hidden sheet."""
    ref = wb.defined_names[UNITS_NAME].attr_text
    sheet, cells = ref.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


def _rows_000() -> tuple[object, list[dict[str, object]]]:
    """The 000 example as {column: value as written} rows (merged cells only in their top row)."""
    ledger = read_ledger(EX000)
    return ledger, [{name: ledger.raw[name][i] for name in ledger.columns} for i in range(len(ledger))]


# ------------------------------------------------------------------------------ structure


@pytest.mark.parametrize("name", TYPES)
def test_template_structure(tmp_path, name):
    ltype = builtin_types()[name]
    path = build_template(ltype, tmp_path / f"{name}.xlsx", year=2019)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [ltype.sheet, UNITS_SHEET, META_SHEET]
    assert wb[UNITS_SHEET].sheet_state == "hidden" and wb[META_SHEET].sheet_state == "hidden"
    ws = wb[ltype.sheet]

    # title and header, as the reader sees them
    assert ws.cell(TITLE_ROW, 1).value == f"2019 年{ltype.title}"
    assert [ws.cell(HEADER_ROW, i + 1).value for i in range(len(ltype.columns))] == [c.name for c in ltype.columns]
    ledger = read_ledger(path)
    assert (ledger.ledger_type.name, ledger.header_row, len(ledger)) == (name, HEADER_ROW, 0)
    assert ledger.metadata["type"] == name and ledger.metadata["year"] == "2019"
    assert ledger.metadata["version"] == str(ltype.version)

    # an input message on every column, within Excel's limit; dropdowns on unit columns only
    dvs = _validations(ws)
    assert sorted(dvs) == [_letter(ltype, c.name) for c in ltype.columns]
    for col in ltype.columns:
        dv = dvs[_letter(ltype, col.name)]
        assert dv.showInputMessage and dv.prompt and len(dv.prompt) <= MAX_PROMPT and dv.promptTitle == col.name
        assert str(dv.sqref).startswith(f"{_letter(ltype, col.name)}{FIRST_DATA_ROW}:")
        assert ("必填" in dv.prompt) == col.required
        if col.role in UNIT_ROLES:
            assert (dv.type, dv.formula1) == ("list", UNITS_NAME)
            assert dv.errorStyle == "information"  # several units per cell stay possible
        else:
            assert dv.type is None
        if col.role == "deadline":
            assert "6月底前" in dv.prompt and "持续推进" in dv.prompt

    # text columns, locked and editable columns, protection without a password
    for col in ltype.columns:
        dim = ws.column_dimensions[_letter(ltype, col.name)]
        assert (dim.number_format == "@") == (col.role in ("phone", "deadline")), col.name
        assert dim.protection.locked is (not col.editable), col.name
        header_width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in col.name)
        assert dim.width >= min(header_width + 2, 24), col.name
    assert ws.protection.sheet and ws.protection.password is None

    # print setup and view
    assert ws.page_setup.orientation == "landscape"
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.freeze_panes == f"A{FIRST_DATA_ROW}"


def test_unit_dropdown_comes_from_hidden_sheet_beyond_inline_limit(tmp_path):
    path = build_template("reform-ledger", tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    names = _named_list(wb)
    expected = [u.name for u in Registry.builtin().units if not u.renamed_to]
    assert names == list(dict.fromkeys(expected))
    # the point of the hidden sheet: an inline list this long is refused by Excel
    assert len(",".join(names)) > 255
    assert "市卫生健康委" in names and "市卫生计生委" not in names  # renamed units are not offered
    assert all(wb[UNITS_SHEET].cell(i + 2, 2).value for i in range(len(names)))  # registry of each


def test_units_option_narrows_the_dropdown_and_is_recorded(tmp_path):
    path = build_template("reform-ledger", tmp_path / "t.xlsx", units="大连市", year=2019)
    names = _named_list(openpyxl.load_workbook(path))
    assert names == [u.name for u in registry_units("大连市")]
    assert "市卫生健康委" in names and "县医保局" not in names
    assert read_ledger(path).metadata["registry"] == "大连市"


def test_units_from_a_file(tmp_path):
    reg = tmp_path / "units.csv"
    reg.write_text("name,aliases\n甲处,\n乙处,乙\n", encoding="utf-8")
    path = build_template("key-tasks", tmp_path / "t.xlsx", units=str(reg))
    assert _named_list(openpyxl.load_workbook(path)) == ["甲处", "乙处"]
    assert "registry" not in read_ledger(path).metadata  # a file path would not resolve elsewhere


def test_password_protects_the_sheet(tmp_path):
    path = build_template("task-division", tmp_path / "t.xlsx", password="gaige2019")
    ws = openpyxl.load_workbook(path)["任务分工"]
    assert ws.protection.sheet
    assert ws.protection.password and ws.protection.password != "gaige2019"  # stored hashed


def test_output_is_deterministic(tmp_path):
    a = build_template("reform-ledger", tmp_path / "a.xlsx", year=2019, units="大连市")
    b = build_template("reform-ledger", tmp_path / "b.xlsx", year=2019, units="大连市")
    assert a.read_bytes() == b.read_bytes()
    c = build_template("reform-ledger", tmp_path / "c.xlsx", year=2020, units="大连市")
    assert template_content(a) != template_content(c)


def test_refuses_non_xlsx_and_a_file_open_in_excel(tmp_path):
    from taizhang.ledgerops.safe_write import OutputLocked

    with pytest.raises(TemplateError, match=r"\.xlsx"):
        build_template("reform-ledger", tmp_path / "t.xls")
    target = tmp_path / "t.xlsx"
    target.write_bytes(b"keep me")
    (tmp_path / "~$t.xlsx").write_bytes(b"")
    with pytest.raises(OutputLocked):
        build_template("reform-ledger", target)
    assert target.read_bytes() == b"keep me"


# ------------------------------------------------------------------------------ filled rows


def test_rows_sharing_a_key_merge_task_level_cells(tmp_path):
    rows = [
        {"序号": 1, "重点任务": "推进分级诊疗", "具体工作": "出台方案", "牵头单位": "县卫健局", "配合部门": "县医保局"},
        {"序号": 1, "重点任务": "推进分级诊疗", "具体工作": "开展考核", "牵头部门": "县卫健局"},
        {"序号": None, "具体工作": "总结评估", "牵头部门": None},
        {"序号": "2", "重点任务": "=SUM(A1)", "具体工作": "建立制度", "牵头部门": "县财政局"},
        {"序号": 2, "重点任务": "=SUM(A1)", "具体工作": "督导", "牵头部门": "县医保局"},  # differs: kept
    ]
    path = build_template("key-tasks", tmp_path / "t.xlsx", rows=rows, year=2019)
    ws = openpyxl.load_workbook(path)["重点任务"]
    merged = {str(m) for m in ws.merged_cells.ranges}
    # columns: A 序号, B 任务分类 (optional, empty here), C 重点任务, D 具体工作, E 牵头部门, F 配合部门
    assert {"A3:A5", "C3:C5", "E3:E5", "A6:A7", "C6:C7"} <= merged
    assert not any(m.startswith(("D", "F")) for m in merged)  # item-level columns are never merged
    assert "E6:E7" not in merged and (ws["E6"].value, ws["E7"].value) == ("县财政局", "县医保局")
    assert ws["C6"].data_type == "s" and ws["C6"].value == "=SUM(A1)"  # text, not a formula
    assert ws["A6"].value in (2, "2")
    assert [c.value for c in ws["F"][2:7]] == ["县医保局", None, None, None, None]

    ledger = read_ledger(path)
    assert ledger.rows == [3, 4, 5, 6, 7] and ledger.task == [0, 0, 0, 1, 1]
    assert ledger.values["牵头部门"] == ["县卫健局", "县卫健局", "县卫健局", "县财政局", "县医保局"]
    assert ledger.origin["重点任务"] == [3, 3, 3, 6, 6]
    # validations and styles reach below the data
    dvs = _validations(ws)
    assert str(dvs["E"].sqref) == f"E{FIRST_DATA_ROW}:E{7 + 1000}"


def test_row_values_are_written_as_offices_need_them(tmp_path):
    rows = [{"序号": 1.0, "改革事项": "事项", "责任单位": "市卫生健康委", "重要成果形式": "方案",
             "完成时限": 6.3, "联系人": "李光盈", "联系电话": 39052220, "推进情况": "  "}]
    path = build_template("reform-ledger", tmp_path / "t.xlsx", rows=rows)
    ws = openpyxl.load_workbook(path)["工作台账"]
    assert ws["A3"].value == 1 and isinstance(ws["A3"].value, int)
    assert ws["F3"].value == "6.3" and ws["F3"].number_format == "@"  # not the number 6.3
    assert ws["I3"].value == "39052220" and ws["I3"].number_format == "@"
    assert ws["G3"].value is None  # blank text is blank
    assert ws["G3"].protection.locked is False and ws["C3"].protection.locked is True
    assert ws.row_dimensions[3].height >= 15


def test_unknown_column_in_rows_is_refused(tmp_path):
    with pytest.raises(TemplateError, match="备注"):
        build_template("task-division", tmp_path / "t.xlsx", rows=[{"序号": 1, "备注": "x"}])
    assert not (tmp_path / "t.xlsx").exists()


def test_000_filled_into_the_template_has_the_same_findings(tmp_path):
    ledger, rows = _rows_000()
    path = build_template(ledger.ledger_type, tmp_path / "000.xlsx", rows=rows, title=ledger.title, year=2019)
    original = validate_file(EX000, Options())
    filled = validate_file(path, Options())
    assert original.error is None and filled.error is None
    assert filled.rows == original.rows == 12

    def key(result):
        return [(f.code, f.row - result.header_row, f.column) for f in result.findings]

    assert key(original), "the 000 example has known defects (H11, H13 without contact)"
    assert key(filled) == key(original)
    # the merged task groups come back the same
    again = read_ledger(path)
    assert again.task == ledger.task and again.values == ledger.values


# ------------------------------------------------------------------------------ committed templates


def test_committed_templates_are_current(tmp_path):
    stale = []
    for name in TYPES:
        committed = builtin_template_path(name)
        assert committed.exists(), f"{committed} is missing: run python templates/regenerate.py"
        fresh = build_template(name, tmp_path / f"{name}.xlsx")
        a, b = template_content(committed), template_content(fresh)
        if a != b:
            diff = [f"{sheet}.{k}" for sheet in b["sheets"] for k in b["sheets"][sheet]
                    if a["sheets"].get(sheet, {}).get(k) != b["sheets"][sheet][k]]
            stale.append(f"{committed.name}: {diff or 'names'}")
    assert not stale, "out of date (run python templates/regenerate.py): " + "; ".join(stale)


def test_regenerate_check_reports_a_stale_template(tmp_path):
    proc = subprocess.run([sys.executable, str(TEMPLATES / "regenerate.py"), "--check"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_committed_templates_validate():
    paths = collect_paths([TEMPLATES])
    assert {f"{n}.xlsx" for n in TYPES} <= {p.name for p in paths}
    for p in paths:
        result = validate_file(p, Options())
        assert result.error is None and result.findings == [], (p, result.error, result.findings)
        if p.stem in TYPES:
            assert result.ledger_type == p.stem
    proc = _cli("validate", str(TEMPLATES))
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ------------------------------------------------------------------------------ the CLI command


def test_template_command(tmp_path):
    out = tmp_path / "2019年工作台账.xlsx"
    proc = _cli("template", "reform-ledger", "-o", str(out), "--year", "2019", "--units", "大连市",
                "--title", "2019 年卫生健康工作台账")
    assert proc.returncode == 0, proc.stderr
    assert "已生成模板" in proc.stdout and str(out) in proc.stdout
    ledger = read_ledger(out)
    assert ledger.title == "2019 年卫生健康工作台账" and ledger.metadata["registry"] == "大连市"

    before = out.read_bytes()
    proc = _cli("template", "key-tasks", "-o", str(out))
    assert proc.returncode == 2 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_bytes() == before
    proc = _cli("template", "key-tasks", "-o", str(out), "--force", "--password", "pw")
    assert proc.returncode == 0 and "有密码" in proc.stdout
    assert read_ledger(out).ledger_type.name == "key-tasks"


@pytest.mark.parametrize("args, words", [
    (["no-such-type", "-o", "x.xlsx"], "未知台账类型"),
    (["reform-ledger", "-o", "x.csv"], ".xlsx"),
    (["reform-ledger", "-o", "x.xlsx", "--units", "没有.csv"], "找不到单位名录"),
])
def test_template_command_bad_input(tmp_path, args, words):
    proc = _cli("template", *args, cwd=tmp_path)
    assert proc.returncode == 2
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_template_command_refuses_a_file_open_in_excel(tmp_path):
    out = tmp_path / "台账.xlsx"
    (tmp_path / "~$台账.xlsx").write_bytes(b"")
    proc = _cli("template", "reform-ledger", "-o", str(out))
    assert proc.returncode == 2 and "Excel" in proc.stderr and not out.exists()


# ------------------------------------------------------------------------------ LibreOffice


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every committed template and the 000-filled one, opened by LibreOffice once: PDF, PNG, xlsx."""
    tmp = tmp_path_factory.mktemp("lo")
    src = tmp / "src"
    src.mkdir()
    files = [shutil.copy(builtin_template_path(n), src / f"{n}.xlsx") for n in TYPES]
    ledger, rows = _rows_000()
    files.append(build_template(ledger.ledger_type, src / "filled-000.xlsx", rows=rows, title=ledger.title,
                                year=2019, units="大连市"))
    files = [Path(f) for f in files]
    pdfs = lo.to_pdf(files, tmp / "pdf")
    pngs = {f.stem: lo.to_png(p, tmp / "png" / f.stem) for f, p in zip(files, pdfs)}
    xlsx = lo.to_xlsx(files, tmp / "roundtrip")
    return {f.stem: {"src": f, "pdf": p, "png": pngs[f.stem], "xlsx": x} for f, p, x in zip(files, pdfs, xlsx)}


@pytest.mark.parametrize("name", [*TYPES, "filled-000"])
def test_libreoffice_renders_readable_chinese(rendered, name):
    r = rendered[name]
    ltype = builtin_types()["reform-ledger" if name == "filled-000" else name]
    assert lo.pdf_pages(r["pdf"]) == len(r["png"]) == 1
    share = lo.assert_not_blank(r["png"][0])
    if name == "filled-000":
        assert share > 2 * min(lo.ink(rendered[n]["png"][0]) for n in TYPES)  # the rows are drawn
    fonts = lo.pdf_fonts(r["pdf"])
    assert any("WenQuanYi" in f or "CJK" in f or "Hei" in f for f in fonts), (
        f"no CJK font in the PDF ({fonts}): Chinese would show as boxes; install fonts-wqy-zenhei")
    text = "".join(lo.pdf_text(r["pdf"]).split())
    for col in ltype.columns:
        assert col.name in text, f"{col.name} not printed"
    if name == "filled-000":
        for word in ("李光盈", "市医保局", "39052299", "第1页"):
            assert word in text, word


@pytest.mark.parametrize("name", [*TYPES, "filled-000"])
def test_dropdowns_and_protection_survive_libreoffice(rendered, name):
    r = rendered[name]
    before, after = openpyxl.load_workbook(r["src"]), openpyxl.load_workbook(r["xlsx"])
    ltype = builtin_types()["reform-ledger" if name == "filled-000" else name]
    ws = after[ltype.sheet]

    assert after[UNITS_SHEET].sheet_state == "hidden" and after[META_SHEET].sheet_state == "hidden"
    assert _named_list(after) == _named_list(before)
    dvs_before, dvs_after = _validations(before[ltype.sheet]), _validations(ws)
    assert sorted(dvs_after) == sorted(dvs_before)
    for letter, dv in dvs_after.items():
        assert str(dv.sqref) == str(dvs_before[letter].sqref)
        assert dv.prompt == dvs_before[letter].prompt
        if dvs_before[letter].type == "list":
            assert dv.type == "list" and dv.formula1 == UNITS_NAME

    assert ws.protection.sheet
    for i, col in enumerate(ltype.columns, 1):
        letter = openpyxl.utils.get_column_letter(i)
        assert ws.column_dimensions[letter].protection.locked is (not col.editable), col.name
        if col.role in ("phone", "deadline"):
            assert ws.column_dimensions[letter].number_format == "@"
        if name == "filled-000":
            assert ws.cell(FIRST_DATA_ROW, i).protection.locked is (not col.editable), col.name
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"

    # what LibreOffice saved still reads and validates as before
    assert [(f.code, f.cell) for f in validate_file(r["xlsx"], Options()).findings] == \
           [(f.code, f.cell) for f in validate_file(r["src"], Options()).findings]
