"""The hidden `_taizhang` sheet: what a workbook says about itself.

Templates, split files and merged masters carry a small key/value sheet (column A the key,
column B the value) so that validate, merge and roll-up know the ledger type, its year and
registry, and, for split files, the master they came from and the row keys they hold. Reading
is in reader.py (one bulk read with calamine); writing is here, for openpyxl workbooks.
"""

from __future__ import annotations

from typing import Any, Mapping

META_SHEET = "_taizhang"

# Keys in use: type, version, year, registry, title (templates); master_hash, department, row_keys
# (JSON, continued in row_keys_2...), split_departments, editable_columns, split_by, master_file, split_at
# (split files, read by merge); roll-up workbooks store their counts for --previous.


# `type` values of workbooks taizhang writes as reports, not ledgers: a folder scan skips them.
OUTPUT_TYPES: Mapping[str, tuple[str, str]] = {"rollup": ("汇总表", "roll-up workbook")}


def write_metadata(workbook: Any, values: Mapping[str, object]) -> None:
    """Create or replace the hidden metadata sheet of an openpyxl workbook."""
    if META_SHEET in workbook.sheetnames:
        del workbook[META_SHEET]
    ws = workbook.create_sheet(META_SHEET)
    ws.append(["键 key", "值 value"])
    for key, value in values.items():
        if value is None:
            continue
        ws.append([str(key), value if isinstance(value, (int, float)) else str(value)])
    ws.sheet_state = "hidden"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 60
