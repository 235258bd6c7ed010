"""The grid contract every spreadsheet client uses: a bulk read in, findings and a marks plan out."""

from __future__ import annotations

import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from taizhang.validator.grid import GridError, is_date_format, validate_grid
from taizhang.validator.marks import pack_addresses, plan_marks
from taizhang.validator.validate import Options, validate_file

from conftest import EX000


def _request(path, **extra):
    wb = CalamineWorkbook.from_path(str(path))
    values = wb.get_sheet_by_name("工作台账").to_python(skip_empty_area=False)
    rows = [["" if v is None else (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for v in r]
            for r in values]
    return {"sheet": "工作台账", "top_left": "A1", "values": rows, "file_name": path.name, **extra}


def test_grid_gives_the_same_findings_as_the_file():
    by_file = validate_file(EX000, Options())
    result, plan = validate_grid(_request(EX000), Options())
    assert [(f.code, f.cell) for f in result.findings] == [(f.code, f.cell) for f in by_file.findings]
    assert [(f.code, f.cell) for f in result.findings] == [
        ("missing-contact", "H11"), ("missing-phone", "I11"), ("missing-contact", "H13"), ("missing-phone", "I13")]
    assert plan.fills[0].color == "#FFC7CE" and plan.fills[0].addresses == ["H11:I11,H13:I13"]
    assert plan.notes[0] == ("H11", "H11 未填写联系人（本行有任务或成果，须明确联系人）")
    assert plan.to_dict()["report"]["links"][0] == {"row": 2, "cell": "H11", "target": "#'工作台账'!H11"}


def test_offset_grid_and_formulas_keep_excel_addresses():
    req = _request(EX000)
    req["values"] = [r[1:] for r in req["values"][1:]]  # used range starting at B2
    req["top_left"] = "B2"
    req["formulas"] = [[""] * len(r) for r in req["values"]]
    req["formulas"][2][6] = "=CONCAT(A1)"  # H4: 联系人
    result, _ = validate_grid(req, Options())
    assert ("formula-in-cell", "H4") in [(f.code, f.cell) for f in result.findings]
    assert ("missing-contact", "H11") in [(f.code, f.cell) for f in result.findings]


def test_date_serials_under_date_formats_are_dates():
    assert is_date_format('yyyy"年"m"月"d"日"') and is_date_format("m/d/yy") and is_date_format("[$-F800]dddd")
    assert not is_date_format("0.00") and not is_date_format("General") and not is_date_format('[h]:mm:ss')


def test_no_header_and_malformed_requests():
    result, plan = validate_grid({"sheet": "S", "values": [["a", "b"]]}, Options())
    assert plan is None and result.error.code == "header-not-found"
    with pytest.raises(GridError, match="values"):
        validate_grid({"sheet": "S"}, Options())
    with pytest.raises(GridError, match="number_formats"):
        validate_grid({"values": [[1]], "number_formats": []}, Options())


def test_addresses_are_packed_under_the_limit_and_cover_exactly_the_cells():
    cells = [f"{c}{r}" for r in range(3, 3000, 2) for c in "HI"] + ["C5", "C6", "C7", "AA10"]
    addresses = pack_addresses(cells)
    assert all(len(a) <= 255 for a in addresses)
    covered = set()
    for a in addresses:
        for area in a.split(","):
            first, _, last = area.partition(":")
            last = last or first
            c0, r0 = first.rstrip("0123456789"), int(first.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            c1, r1 = last.rstrip("0123456789"), int(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
            for col in {c0, c1}:
                covered.update(f"{col}{r}" for r in range(r0, r1 + 1))
    assert covered == set(cells)
    assert len(cells) / len(addresses) >= 20  # many cells a host call


def test_dates_as_xlwings_office_js_sends_them_and_as_python_objects():
    """Office.js payloads carry "…T00:00:00.000Z"; the add-in passes the datetimes COM gives it."""
    from taizhang.validator.grid import grid_from_request

    req = _request(EX000)
    req["values"][2][5] = "2019-06-30T00:00:00"  # 完成时限 of the first task as a date cell
    zulu = {**req, "values": [list(r) for r in req["values"]]}
    zulu["values"][2][5] = "2019-06-30T00:00:00.000Z"
    objects = {**req, "values": [list(r) for r in req["values"]]}
    objects["values"][2][5] = dt.datetime(2019, 6, 30)
    expected = [(f.code, f.cell) for f in validate_grid(req, Options())[0].findings]
    for variant in (req, zulu, objects):
        assert grid_from_request(variant)[0][2][5] == dt.date(2019, 6, 30)
        assert [(f.code, f.cell) for f in validate_grid(variant, Options())[0].findings] == expected
    with pytest.raises(GridError, match="不受支持（time）"):
        validate_grid({**req, "values": [[dt.time(8, 30)]]}, Options())
