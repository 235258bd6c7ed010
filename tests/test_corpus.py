"""The corpus of real-world layouts (tests/corpus/build_layouts.py): exact findings for every case.

Each case was written with its expected findings (code and cell) before the code ran on it. Here
every case is built as a real .xlsx in a temp dir and validated, read, rolled up (and, for the
merge case, merged): no false error, no missed planted fault, roll-up counts only task rows.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load():
    spec = importlib.util.spec_from_file_location("build_layouts", ROOT / "tests" / "corpus" / "build_layouts.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_layouts"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


LAYOUTS = _load()
CASES = LAYOUTS.cases()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    LAYOUTS.build_all(out)
    return out


def test_corpus_is_large_and_covers_the_issue():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    assert len({c.file for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_exact_findings(case, corpus):
    from taizhang.validator.validate import Options, validate_file

    result = validate_file(corpus / case.file, Options())
    assert result.error is None, result.error.message("zh")
    got = sorted((f.code, f.cell) for f in result.findings)
    assert got == sorted(case.expected)
    assert (result.sheet, result.ledger_type, result.year) == (case.sheet, case.ledger_type, case.year)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_columns_rows_and_rollup(case, corpus):
    from taizhang.ledgerops.rollup import rollup
    from taizhang.validator.reader import read_ledger

    ledger = read_ledger(corpus / case.file)
    for header, column in case.roles.items():
        assert ledger.columns[column].header == header.strip()
    kept = {m.name for m in ledger.unassigned.values()}
    assert set(case.unassigned) <= kept
    for row, cls in case.classes.items():
        assert ledger.skipped_rows.get(row) == cls, row
    assert not set(ledger.skipped_rows) & set(ledger.rows)
    assert len(set(ledger.task)) == case.tasks
    report = rollup(corpus / case.file, dt.date(2019, 7, 1))
    assert len(report.items) == case.items
    assert report.totals.items == case.items


def test_merge_same_date_in_another_form_is_unchanged(corpus, tmp_path):
    from taizhang.ledgerops.merge import merge_ledgers

    (case,) = [c for c in CASES if c.merge]
    sub = LAYOUTS.write_sheets(tmp_path / "体改处.xlsx", [case.merge["submission"]])
    result = merge_ledgers(corpus / case.file, [sub], tmp_path / "out.xlsx")
    assert [(a["cell"], a["new"]) for a in result.applied] == case.merge["applied"]
    assert [(r["cell"], r["new"]) for r in result.rejected] == case.merge["rejected"]


def test_split_keeps_section_headings_with_their_rows(corpus, tmp_path):
    import openpyxl

    from taizhang.ledgerops.split import split_ledger
    from taizhang.validator.reader import read_ledger

    split_ledger(corpus / "key_tasks_sections.xlsx", tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "县卫健局.xlsx").worksheets[0]
    column_a = [ws.cell(r, 1).value for r in range(3, ws.max_row + 1)]
    assert column_a == ["一、县级医院能力建设", "1", "2", "3", "4", "二、基层服务", "5", None]
    assert "A3:E3" in {str(m) for m in ws.merged_cells.ranges}
    ledger = read_ledger(tmp_path / "县卫健局.xlsx")
    assert ledger.skipped_rows == {3: "section", 8: "section"} and len(ledger) == 6
    # a department with no row under 一、 gets only the heading of its own section
    ws = openpyxl.load_workbook(tmp_path / "县医保局.xlsx").worksheets[0]
    assert [ws.cell(r, 1).value for r in range(3, ws.max_row + 1)] == ["二、基层服务", "5"]


def test_unknown_unit_suggestion_stays_in_the_ledgers_region(corpus):
    from taizhang.validator.validate import Options, validate_file

    (finding,) = validate_file(corpus / "suggestion_from_region.xlsx", Options()).findings
    # 卫健局 is 梨树县's (a county); this is a 大连市 ledger
    assert finding.message("zh") == "「市卫健局」不在单位名录中，是否为「市卫健委」？"


def test_sheet_option_still_picks_a_hidden_sheet(corpus):
    from taizhang.validator.validate import Options, validate_file

    result = validate_file(corpus / "hidden_archive.xlsx", Options(sheet="2018年台账（存档）"))
    assert (result.sheet, result.year) == ("2018年台账（存档）", 2018)
    assert [(f.code, f.cell) for f in result.findings] == [("unknown-unit", "D3")]
