"""The corpus of other kinds of ledger (tests/corpus/build_corpus.py, issue 20): exact findings on each.

Each case is built as a real .xlsx in a temp dir and validated as a user would (no --type, no
--units): the type or profile it is read as, and exactly the planted findings, nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "corpus"))
from build_corpus import CASES, build  # noqa: E402

from taizhang.validator.validate import Options, validate_file  # noqa: E402


def test_the_corpus_covers_twelve_ledgers_from_five_places():
    assert len(CASES) >= 12 and len({c.place for c in CASES}) >= 5
    assert all(c.source.startswith("http") and " — " in c.source for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_exact_findings(case, tmp_path):
    path = build(case, tmp_path / f"{case.name}.xlsx")
    result = validate_file(path, Options())
    assert result.error is None, result.error and result.error.message("zh")
    assert result.ledger_type == case.expected_type
    assert result.type_source == ("generic" if case.expected_type == "generic" else "detected")
    got = [(f.code, f.cell) for f in result.findings]
    assert sorted(got, key=_order) == sorted(case.expected, key=_order)


def _order(item: tuple[str, str]) -> tuple:
    code, cell = item
    letters = "".join(ch for ch in cell if ch.isalpha())
    return int(cell[len(letters):]), len(letters), letters, code
