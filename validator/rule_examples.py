"""Real examples of every finding, made by running the engine on small ledgers.

`taizhang rules CODE` shows what a finding says with real values, not with its template's
placeholders; the values come from the same checks that run on users' files, so the example
can never drift from what validate prints. Each sample ledger plants one fault per rule.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .findings import Finding

_HEADER = ["序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况", "联系人", "联系电话"]
_OK = ["体制改革", "制定医联体建设方案", "市卫生健康委", "实施方案", "6月底前", "正在制定", "王荣新", "39052266"]

# key, then the row with one column replaced: (column index in _OK, value)
_FAULTS: list[tuple[Any, dict[int, str]]] = [
    (1, {}),
    (2, {1: ""}),  # missing-value: 改革事项
    (3, {}),
    (3, {1: "完善分级诊疗制度"}),  # duplicate-key: another task (the same text would be a filled-down copy)
    (6, {}),  # key-sequence (5 expected after the second 3)
    (7, {4: "13月底"}),  # invalid-deadline
    (8, {4: "尽快"}),  # unparsed-deadline
    (9, {2: "市卫建委"}),  # unknown-unit
    (10, {2: "市卫生计生委"}),  # renamed-unit
    (11, {2: ""}),  # missing-unit
    (12, {6: "", 7: ""}),  # missing-contact, missing-phone
    (13, {7: "3905222"}),  # invalid-phone
    (14, {6: "王宏彦 丁向芳", 7: "39052221"}),  # contact-phone-mismatch
    (15, {6: "办公室"}),  # invalid-contact-name
    (16, {}),  # formula-in-cell, planted below
]
_FORMULA = "=CONCATENATE(H3,\"进展\")"
_PROJECT_HEADER = ["序号", "项目名称", "总投资（万元）", "责任单位", "计划完成时间"]
_PROJECT_ROWS = [[1, "设置超限检测点", "约500", "镇治超站", "2019年12月底"],
                 [2, "背街小巷改造", 800, "镇规划建设办", "2019年10月底"]]


def _grid(title: str, header: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    return [[title] + [""] * (len(header) - 1), header, *rows]


def _samples() -> list[tuple[list[list[Any]], str | None, dict[tuple[int, int], str]]]:
    rows = []
    for key, changes in _FAULTS:
        row = list(_OK)
        for i, v in changes.items():
            row[i] = v
        rows.append([key, *row])
    formula_row = 2 + len(rows)  # Excel row of the last sample row (title row 1, header row 2)
    no_year = [[1, *_OK[:4], "6月底", *_OK[5:]]]
    no_phone = [[1, *_OK[:-1]]]
    return [
        (_grid("2019年全面深化改革工作台账", _HEADER, rows), None, {(formula_row, 7): _FORMULA}),
        (_grid("全面深化改革工作台账", _HEADER, no_year), None, {}),  # deadline-year-unknown
        (_grid("2019年全面深化改革工作台账", _HEADER[:-1], no_phone), "reform-ledger", {}),  # missing-column
        # invalid-amount, and no-unit-registry: a town's units that no built-in registry lists
        (_grid("白地市镇2019年重点项目推进台账", _PROJECT_HEADER, _PROJECT_ROWS), None, {}),
    ]


@lru_cache(maxsize=1)
def example_findings() -> dict[str, Finding]:
    """The first finding of each code that the sample ledgers produce."""
    from .ledger_types import get_type
    from .reader import read_grid
    from .validate import Options, validate_ledger

    out: dict[str, Finding] = {}
    for grid, type_name, formulas in _samples():
        ltype = get_type(type_name) if type_name else None
        ledger = read_grid(grid, sheet="工作台账", path=Path("示例台账.xlsx"), ledger_type=ltype)
        if ledger is None:  # a sample the reader no longer understands: the test names the missing codes
            continue
        ledger.formulas = formulas
        findings, _ = validate_ledger(ledger, Options())
        for f in findings:
            out.setdefault(f.code, f)
    return out
