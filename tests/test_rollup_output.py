"""The roll-up workbook stays what people have seen: every value, style, link, chart and print
setting compared with golden files written before the writer changed (openpyxl -> xlsxwriter).

Regenerate the golden files only for an intended change of the workbook:
    python tests/test_rollup_output.py
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import EX000, EX002, EX003  # noqa: E402
from xlsx_compare import differences, snapshot  # noqa: E402

GOLDEN = Path(__file__).parent / "data" / "golden"
CASES = {  # name: (master, as of, previous roll-up case or None)
    "rollup_000": (EX000, dt.date(2019, 9, 30), None),
    "rollup_000_previous": (EX000, dt.date(2019, 12, 31), "rollup_000"),
    "rollup_002": (EX002, dt.date(2019, 7, 1), None),
    "rollup_003": (EX003, dt.date(2017, 12, 31), None),
}


def make(name: str, folder: Path) -> Path:
    """Write case `name` into `folder` as the CLI does, the master copied in as 台账.xlsx."""
    from taizhang.ledgerops.rollup import rollup
    from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx
    from taizhang.ledgerops.safe_write import write_atomic

    master_src, as_of, previous = CASES[name]
    folder.mkdir(parents=True, exist_ok=True)
    master = folder / "台账.xlsx"
    shutil.copy(master_src, master)
    prev = make(previous, folder / "previous") if previous else None
    result = rollup(master, as_of, prev)
    out = folder / f"{name}.xlsx"
    write_atomic(out, lambda tmp: write_rollup_xlsx(result, tmp))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_rollup_workbook_matches_the_golden_file(tmp_path, name):
    out = make(name, tmp_path / "new")
    diffs = differences(snapshot(GOLDEN / f"{name}.xlsx", "台账.xlsx"), snapshot(out, "台账.xlsx"))
    assert not diffs, "\n".join(diffs)


if __name__ == "__main__":
    import tempfile

    GOLDEN.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            shutil.copy(make(case, Path(tmp) / case), GOLDEN / f"{case}.xlsx")
            print("wrote", GOLDEN / f"{case}.xlsx")
