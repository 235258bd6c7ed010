"""A corpus of ledgers laid out the way offices really keep them, built from the seed texts.

Each case takes rows of the seeds (examples/sources, parsed by examples/build_examples.py) and
lays them out as one office would: headers with bracketed notes, 处室 wording, a combined
联系人/电话 column, section headings merged across, 合计 and 注： rows, unmerged filled-down tasks,
a hidden archive sheet, an instructions sheet first... Faults are planted on purpose, and every
case states the findings it must give (code and cell) — written here, by hand, before the code
ran on it. tests/test_corpus.py asserts them exactly.

    python tests/corpus/build_layouts.py OUT_DIR     # write every case as OUT_DIR/<name>.xlsx
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _seed_rows() -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    spec = importlib.util.spec_from_file_location("build_examples", ROOT / "examples" / "build_examples.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_examples", mod)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    src = ROOT / "examples" / "sources"
    return mod.load_000(src).rows, mod.load_002(src).rows, mod.load_003(src).rows


S000, S002, S003 = _seed_rows()

# --------------------------------------------------------------------------------------------- model

REFORM = ["序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况", "联系人", "联系电话"]
TITLE_2019 = "全面深化改革 2019 年卫生健康工作台账"
# seed 000, tasks 1-3: seven rows (1: two sub-items, 2: three, 3: two); with a title row and the
# header on row 2 they land on Excel rows 3-9
BASE = [list(r) for r in S000[:7]]


@dataclass
class Section:
    """A row that is not a task's: written in column A (merged across when `across`)."""

    text: str
    across: bool = True


@dataclass
class Plain:
    """A row written exactly as given (合计, 注：, 填报单位 lines), never merged."""

    cells: list[Any]


@dataclass
class Sheet:
    name: str
    grid: list[list[Any]]
    merges: list[str] = field(default_factory=list)
    hidden: bool = False


@dataclass
class Case:
    name: str
    covers: str  # the bullet this layout stands for
    sheets: list[Sheet]
    expected: list[tuple[str, str]]  # (finding code, cell), written by hand
    items: int  # rows roll-up must count (tasks and their sub-items, nothing else)
    tasks: int  # task groups
    active: int = 0
    filename: str = ""
    ledger_type: str = "reform-ledger"
    sheet: str = "工作台账"
    year: int | None = 2019
    roles: dict[str, str] = field(default_factory=dict)  # header as written -> the type column it serves
    classes: dict[int, str] = field(default_factory=dict)  # Excel row -> class (section, total, note ...)
    unassigned: list[str] = field(default_factory=list)  # headers kept and left alone
    merge: dict[str, Any] | None = None  # for the merge case: the submission and what merge must decide

    @property
    def file(self) -> str:
        return self.filename or f"{self.name}.xlsx"


def _letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def layout(rows: list[Any], header: list[str] = REFORM, *, title: str | None = TITLE_2019, name: str = "工作台账",
           task_cols: int = 4, merge_tasks: bool = True, header_rows: list[list[str]] | None = None,
           header_merges: list[str] = ()) -> Sheet:
    """A sheet: title row merged across (when given), the header, then the rows.

    Task groups (a row with a key starts one) have their first `task_cols` columns merged over
    the group's rows where those cells are blank, as ledgers are issued.
    """
    width = len(header)
    grid: list[list[Any]] = []
    merges: list[str] = list(header_merges)
    if title is not None:
        grid.append([title] + [""] * (width - 1))
        merges.append(f"A1:{_letter(width - 1)}1")
    for h in header_rows or [header]:
        grid.append(list(h) + [""] * (width - len(h)))
    groups: list[list[int]] = []
    for row in rows:
        r = len(grid)
        if isinstance(row, Section):
            grid.append([row.text] + [""] * (width - 1))
            if row.across:
                merges.append(f"A{r + 1}:{_letter(width - 1)}{r + 1}")
            groups.append([])
            continue
        if isinstance(row, Plain):
            grid.append(list(row.cells) + [""] * (width - len(row.cells)))
            groups.append([])
            continue
        cells = list(row) + [""] * (width - len(row))
        if cells[0] != "" or not groups:
            groups.append([r])
        else:
            groups[-1].append(r)
        grid.append(cells)
    if merge_tasks:
        for g in groups:
            if len(g) < 2:
                continue
            for c in range(task_cols):
                if all(grid[r][c] in ("", None) for r in g[1:]):
                    merges.append(f"{_letter(c)}{g[0] + 1}:{_letter(c)}{g[-1] + 1}")
    return Sheet(name, grid, merges)


def base(**changes: Any) -> list[list[Any]]:
    """BASE with cells changed: changes like {"r1c8": "3905222"} (data row, 0-based column)."""
    rows = [list(r) for r in BASE]
    for where, value in changes.items():
        r, c = where[1:].split("c")
        rows[int(r)][int(c)] = value
    return rows


def reorder(rows: list[list[Any]], order: list[int], extra: dict[int, list[Any]] | None = None) -> list[list[Any]]:
    """Rows with their columns taken in `order` (REFORM indexes); `extra` inserts columns: {position: values}."""
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            out.append(row)
            continue
        cells = [row[c] for c in order]
        for pos, values in sorted((extra or {}).items()):
            cells.insert(pos, values[i])
        out.append(cells)
    return out


def _instructions() -> Sheet:
    return Sheet("填表说明", [["填表说明"], ["序号", "栏目", "填写要求"], ["1", "推进情况", "截至本月底的进展，100 字以内"],
                          ["2", "联系人", "具体经办人姓名"], ["3", "联系电话", "座机写 8 位号码"]])


# --------------------------------------------------------------------------------------------- cases


def cases() -> list[Case]:
    out: list[Case] = []
    add = out.append

    # 1 -- bracketed notes and line breaks in headers; a phone one digit short
    header = ["序号", "任务分类", "改革事项", "主办单位（排第一位的为牵头）", "重要成果形式", "办结时间（填写到日）",
              "工作进展\n（截至本月底）", "联系人", "联系电话(座机)"]
    add(Case("notes_in_headers", "headers with bracketed notes and line breaks",
             [layout(base(r1c8="3905222"), header)], [("invalid-phone", "I4")], items=7, tasks=3,
             roles={"主办单位（排第一位的为牵头）": "责任单位", "办结时间（填写到日）": "完成时限及主要节点",
                    "工作进展\n（截至本月底）": "推进情况", "联系电话(座机)": "联系电话"}))

    # 2 -- half-width brackets and 【】 notes; a deadline that cannot be (13月底)
    header = ["序号", "任务分类", "改革事项", "责任单位(主办)", "成果形式【必填】", "完成时限(截止时间)", "推进情况",
              "联系人", "联系电话（手机或座机）"]
    add(Case("half_width_notes", "full-width and half-width brackets",
             [layout(base(r2c5="13月底"), header)], [("invalid-deadline", "F5")], items=7, tasks=3,
             roles={"责任单位(主办)": "责任单位", "成果形式【必填】": "重要成果形式", "完成时限(截止时间)": "完成时限及主要节点"}))

    # 3 -- a 处室 ledger: 主办处室 / 协办处室 / 截止时间 / 落实进展, units from the province's office list
    header = ["序号", "改革事项", "主办处室", "协办处室", "重要成果形式", "截止时间", "落实进展", "联系人", "联系电话"]
    rows = reorder(base(), [0, 2, 3, 4, 5, 6, 7, 8], {3: ["规信处", "", "医政医管处", "", "", "财务处", "卷宗处"]})
    for r in rows:
        if r[2]:
            r[2] = "体改处"
    add(Case("office_chushi", "处室 wording; 协办处室 checked against the registry",
             [layout(rows, header, task_cols=3)], [("unknown-unit", "D9")], items=7, tasks=3,
             roles={"主办处室": "责任单位", "截止时间": "完成时限及主要节点", "落实进展": "推进情况", "协办处室": "协办处室"}))

    # 4 -- a 科室 ledger: 承办科室 / 办结时限 / 完成情况; a contact missing
    header = ["序号", "任务分类", "改革事项", "承办科室", "重要成果形式", "办结时限", "完成情况", "联系人", "联系电话"]
    add(Case("office_keshi", "科室 wording (承办科室, 办结时限, 完成情况)",
             [layout(base(r4c7=""), header)], [("missing-contact", "H7")], items=7, tasks=3,
             roles={"承办科室": "责任单位", "办结时限": "完成时限及主要节点", "完成情况": "推进情况"}))

    # 5 -- a department ledger: 责任部门 / 牵头部门 words; an unknown unit
    header = ["序号", "任务分类", "改革事项", "牵头部门", "重要成果形式", "完成时间", "进展情况", "联系人", "联系电话"]
    add(Case("department_words", "department-level wording (牵头部门)",
             [layout(base(r5c3="市卫建委"), header)], [("unknown-unit", "D8")], items=7, tasks=3,
             roles={"牵头部门": "责任单位", "完成时间": "完成时限及主要节点"}))

    # 6 -- 联系人/电话 in one column: 「王荣新 39052266」; one number short
    header = REFORM[:7] + ["联系人/电话"]
    rows = [r[:7] + [f"{r[7]} {r[8]}"] for r in base()]
    rows[3][7] = "刘春明 3905224"
    add(Case("contact_phone_combined", "one column holding name and number (联系人/电话)",
             [layout(rows, header)], [("invalid-phone", "H6")], items=7, tasks=3,
             roles={"联系人/电话": "联系人"}))

    # 7 -- 联络人及手机 with mobiles; a name missing before the number
    header = REFORM[:7] + ["联络人及手机"]
    mobiles = ["13804110001", "13804110002", "13904110003", "13904110004", "15004110005", "15004110006", "18604110007"]
    rows = [r[:7] + [f"{r[7]}，{m}"] for r, m in zip(base(), mobiles)]
    rows[6][7] = "18604110007"
    add(Case("liaison_mobile_combined", "联络人及手机 in one column",
             [layout(rows, header)], [("missing-contact", "H9")], items=7, tasks=3, roles={"联络人及手机": "联系人"}))

    # 8 -- 责任领导 beside 联系人: the leader column does not steal the contact role
    header = REFORM[:7] + ["责任领导", "联系人", "联系电话"]
    rows = reorder(base(r6c7=""), list(range(9)), {7: ["李局长", "", "张副主任", "", "", "王处长", ""]})
    add(Case("leader_and_contact", "leader and contact columns side by side",
             [layout(rows, header)], [("missing-contact", "I9")], items=7, tasks=3,
             roles={"联系人": "联系人"}, unassigned=["责任领导"]))

    # 9 -- 责任人 and 联系人 both present: the exact 联系人 wins, 责任人 is left alone
    header = REFORM[:7] + ["责任人", "联系人", "联系电话"]
    rows = reorder(base(r0c8=""), list(range(9)), {7: ["宋斌"] * 7})
    add(Case("responsible_and_contact", "exact name beats alias (责任人 vs 联系人)",
             [layout(rows, header)], [("missing-phone", "J3")], items=7, tasks=3,
             roles={"联系人": "联系人"}, unassigned=["责任人"]))

    # 10 -- a 协办单位 column in a reform ledger: co-operating units are checked too
    header = REFORM[:4] + ["协办单位"] + REFORM[4:]
    rows = reorder(base(), list(range(9)), {4: ["市财政局", "", "市医保局、市人社局", "", "", "市财政局、市卫生管理局", ""]})
    add(Case("co_units_column", "a 协办单位 column in any ledger type is checked against the registry",
             [layout(rows, header, task_cols=5)], [("unknown-unit", "E8")], items=7, tasks=3,
             roles={"协办单位": "协办单位"}))

    # 11 -- two-row header: 责任单位 over 牵头 | 协办
    top = REFORM[:3] + ["责任单位", ""] + REFORM[4:]
    sub = ["", "", "", "牵头", "协办"] + [""] * 5
    rows = reorder(base(), list(range(9)), {4: ["市财政局", "", "", "", "", "市医保局", ""]})
    rows[2][3] = "市卫生计生委"
    merges = ["D2:E2"] + [f"{c}2:{c}3" for c in "ABCFGHIJ"]
    add(Case("two_row_units_header", "a two-row 责任单位 header (牵头 | 协办)",
             [layout(rows, top, header_rows=[top, sub], header_merges=merges, task_cols=5)],
             [("renamed-unit", "D6")], items=7, tasks=3, roles={"牵头": "责任单位", "协办": "协办"}))

    # 12 -- extra columns no type defines are kept, shown and left alone
    header = REFORM + ["是否完成", "备注"]
    rows = reorder(base(r1c5="尽快"), list(range(9)), {9: ["否", "是", "否", "否", "是", "否", "否"],
                                                      10: ["", "市委改革办督办", "", "", "", "", ""]})
    add(Case("extra_columns", "extra columns (是否完成, 备注) kept and left alone",
             [layout(rows, header)], [("unparsed-deadline", "F4")], items=7, tasks=3, unassigned=["是否完成", "备注"]))

    # 13 -- section heading rows merged across, between tasks
    rows = [Section("一、推进分级诊疗和健康产业")] + base()[:2] + [Section("二、推进公立医院综合改革")] + base()[2:]
    rows[5][8] = ""  # row 2 of task 2 (Excel 8) loses its phone
    add(Case("section_rows_merged", "section heading rows merged across the table",
             [layout(rows, REFORM)], [("missing-phone", "I8")], items=7, tasks=3,
             classes={3: "section", 6: "section"}))

    # 14 -- a section heading written in the key column without a merge (一 | heading text)
    rows = base()
    rows = [Plain(["一", "", "深化医疗卫生体制改革"])] + rows
    rows[1][3] = ""  # task 1 has no unit
    add(Case("section_in_key_column", "a section row: a Chinese numeral in 序号 and the heading beside it",
             [layout(rows, REFORM)], [("missing-unit", "D4")], items=7, tasks=3, classes={3: "section"}))

    # 15 -- 合计 row under the table
    rows = base(r3c7="办公室") + [Plain(["合计", "", "3 项任务", "", "7 项成果"])]
    add(Case("total_row", "a 合计 row", [layout(rows, REFORM)], [("invalid-contact-name", "H6")], items=7, tasks=3,
             classes={10: "total"}))

    # 16 -- 总计 merged across two columns, counting with a formula (no formula-in-cell on it)
    rows = base(r5c0="4") + [Plain(["总  计", "", "", "", "=COUNTA(E3:E9)"])]
    sheet = layout(rows, REFORM)
    sheet.merges.append("A10:B10")
    add(Case("grand_total_row", "a 总计 row (spaced, merged)", [sheet], [("key-sequence", "A8")], items=7, tasks=3,
             classes={10: "total"}))

    # 17 -- 注： footnotes under the table
    rows = base(r0c6="") + [Plain(["注：1.完成时限填写到日；2.推进情况截至每月 25 日。"]),
                            Plain(["注2：联系人须为具体经办人。"])]
    add(Case("footnotes", "注： footnote rows", [layout(rows, REFORM)], [], items=7, tasks=3,
             classes={10: "note", 11: "note"}))

    # 18 -- 填报单位 / 填报人 / 审核人 / 日期 line under the table
    rows = base(r6c8="0411-3905226") + [Plain([]), Plain(["填报单位：体改处", "", "", "填报人：王荣新", "", "审核人：马新光",
                                                         "", "日期：2019年6月27日"])]
    add(Case("signature_row", "填报单位 / 填报人 / 审核人 / 日期 row", [layout(rows, REFORM)], [("invalid-phone", "I9")],
             items=7, tasks=3, classes={10: "blank", 11: "note"}))

    # 19 -- blank rows between tasks
    rows = base()[:2] + [Plain([])] + base()[2:5] + [Plain([]), Plain([])] + base()[5:]
    rows[3][0] = "3"  # task 2 numbered 3: a gap
    rows[8][0] = "4"
    add(Case("blank_rows", "blank rows between tasks", [layout(rows, REFORM)], [("key-sequence", "A6")], items=7,
             tasks=3, classes={5: "blank", 9: "blank", 10: "blank"}))

    # 20 -- merged cells undone and filled down (取消合并 + 填充): one task, three sub-items
    rows = base()
    for r in range(1, 7):
        for c in range(4):
            if rows[r][c] == "":
                rows[r][c] = rows[r - 1][c]
    rows[4][7] = ""  # a sub-item of task 2 (Excel 7) without contact
    add(Case("filled_down", "tasks unmerged and filled down: 序号 2 on three rows is one task",
             [layout(rows, REFORM, merge_tasks=False)], [("missing-contact", "H7")], items=7, tasks=3))

    # 21 -- filled down, and a real duplicate key on another task
    rows = base()
    for r in range(1, 7):
        for c in range(4):
            if rows[r][c] == "":
                rows[r][c] = rows[r - 1][c]
    rows[5][0] = rows[6][0] = "2"  # task 3 numbered 2 again (its own text): duplicate
    add(Case("filled_down_duplicate", "filled-down copies are one task; a different task with the same key is not",
             [layout(rows, REFORM, merge_tasks=False)], [("duplicate-key", "A8")], items=7, tasks=3))

    # 22 -- last year's ledger kept as a hidden sheet before the active one
    old = layout([[c.replace("2019", "2018") for c in r] for r in base(r0c3="市卫建委")],
                 title="全面深化改革 2018 年卫生健康工作台账", name="2018年台账（存档）")
    old.hidden = True
    add(Case("hidden_archive", "a hidden archive sheet is never chosen over the visible one",
             [old, layout(base(r2c7="马新光 刘春明"), REFORM)], [("contact-phone-mismatch", "I5")], items=7, tasks=3,
             active=1))

    # 22b -- the hidden archive is the first tab and still marked active (a script hid it): passed over
    old = layout(base(), title="全面深化改革 2018 年卫生健康工作台账", name="2018年存档")
    old.hidden = True
    add(Case("hidden_archive_first_tab", "a hidden sheet is passed over even when marked active",
             [old, layout(base(r3c8=""), REFORM)], [("missing-phone", "I6")], items=7, tasks=3, active=0))

    # 23 -- the instructions sheet (填表说明) comes first
    add(Case("instructions_first", "填表说明 sheet before the ledger is skipped",
             [_instructions(), layout(base(r1c4=""), REFORM)], [("missing-value", "E4")], items=7, tasks=3))

    # 24 -- a visible older ledger and the active one: the active sheet wins
    older = layout(base(), title="全面深化改革 2019 年卫生健康工作台账（一季度）", name="一季度")
    add(Case("active_sheet", "the active sheet is chosen", [older, layout(base(r0c8="3905222"), REFORM, name="二季度")],
             [("invalid-phone", "I3")], items=7, tasks=3, active=1, sheet="二季度"))

    # 25 -- unit cells with role notes （牵头）（配合）(配合)（原市卫计委）
    rows = base(r0c3="市卫生健康委（牵头）、市财政局（配合）", r2c3="市卫生健康委(牵头)\n市医保局(配合)",
                r5c3="市卫生健康委（原市卫计委）、市人社局（配合）、市健康管理局")
    add(Case("unit_role_notes", "unit cells with role and history notes", [layout(rows, REFORM)],
             [("unknown-unit", "D8")], items=7, tasks=3))

    # 25b -- an unknown unit in a city ledger: the suggestion comes from the city's own registry
    add(Case("suggestion_from_region", "a suggestion comes from the ledger's own registry, never a county's",
             [layout(base(r2c3="市卫健局"), REFORM)], [("unknown-unit", "D5")], items=7, tasks=3))

    # 26 -- contacts written with a post or office; middle-dot names
    rows = base(r0c7="李光盈（医政处）", r1c7="宋斌 科长", r2c7="阿卜杜·热合曼", r3c7="刘春明处长", r4c7="主任")
    add(Case("contacts_with_posts", "contacts with post/office; middle-dot names", [layout(rows, REFORM)],
             [("invalid-contact-name", "H7")], items=7, tasks=3))

    # 27 -- no year in the title: from the sheet name
    add(Case("year_from_sheet", "the year from the sheet name",
             [layout(base(r0c3="市卫生计生委"), REFORM, title="全面深化改革卫生健康工作台账", name="2019年")],
             [("renamed-unit", "D3")], items=7, tasks=3, sheet="2019年"))

    # 28 -- no year in the title or sheet: from the file name
    add(Case("year_from_file", "the year from the file name",
             [layout(base(r2c3="市卫生计生委"), REFORM, title="卫生健康工作台账")], [("renamed-unit", "D5")],
             items=7, tasks=3, filename="2019年卫生健康工作台账.xlsx"))

    # 29 -- no year anywhere: deadlines without a year are reported
    add(Case("year_unknown", "no year in title, sheet or file name",
             [layout(base()[:2], REFORM, title="卫生健康工作台账")],
             [("deadline-year-unknown", "F3"), ("deadline-year-unknown", "F4")], items=2, tasks=1, year=None))

    # 30 -- a key-tasks ledger (seed 002) with 协办单位, a section row and 合计
    head = ["序号", "重点任务", "具体工作", "牵头单位", "协办单位（排名不分先后）"]
    rows = [Section("一、县级医院能力建设")] + [list(r) for r in S002[:4]] + [Section("二、基层服务")] + \
        [list(r) for r in S002[4:8]] + [Plain(["合计", "8"])]
    rows[7][4] = "县畜牧局"  # an unknown co-operating unit (Excel row 10)
    add(Case("key_tasks_sections", "key-tasks ledger with sections, 协办单位 with a note, a 合计 row",
             [layout(rows, head, title="梨树县深化医药卫生体制改革2019年重点工作任务台帐", name="重点任务", task_cols=2)],
             [("unknown-unit", "E10")], items=8, tasks=5, ledger_type="key-tasks", sheet="重点任务",
             roles={"牵头单位": "牵头部门", "协办单位（排名不分先后）": "配合部门"}, classes={3: "section", 8: "section", 13: "total"}))

    # 31 -- a task-division ledger (seed 003) with 办结时限 wording and a footnote
    head = ["序号", "工作任务", "牵头部门", "办结时限（填写到月）"]
    rows = [list(r) for r in S003[:6]] + [Plain(["注：持续实施的任务每季度报送进展。"])]
    rows[4][3] = "2017年13月"
    add(Case("task_division_notes", "task-division with a note in the deadline header and a footnote",
             [layout(rows, head, title="2017年重点工作任务分工及进度安排表", name="任务分工", task_cols=2)],
             [("invalid-deadline", "D7")], items=6, tasks=6, ledger_type="task-division", sheet="任务分工", year=2017,
             roles={"办结时限（填写到月）": "时间进度"}, classes={9: "note"}))

    # 32 -- everything at once: title, section, filled down, combined contact, 合计, 注, 填报人
    header = ["序号", "改革事项", "责任单位\n（牵头单位放首位）", "重要成果形式", "完成时限\n（填写到日）", "工作进展", "联系人及电话", "备注"]
    rows = reorder(base(), [0, 2, 3, 4, 5, 6, 7, 8], None)
    rows = [r[:6] + [f"{r[6]} {r[7]}", ""] for r in rows]
    for r in range(1, 7):
        for c in range(3):
            if rows[r][c] == "":
                rows[r][c] = rows[r - 1][c]
    rows[6][2] = "市卫生健康委（牵头）、市医保局（配合）"
    rows[6][4] = "2月30日"
    rows = [Section("一、医疗健康")] + rows[:2] + [Section("二、公立医院改革")] + rows[2:] + \
        [Plain(["合计", "3 项"]), Plain(["注：本表每月 25 日前报送。"]), Plain(["填报人：王荣新", "", "审核人：马新光"])]
    add(Case("office_everything", "many habits at once", [layout(rows, header, merge_tasks=False)],
             [("invalid-deadline", "E11")], items=7, tasks=3,
             roles={"联系人及电话": "联系人", "完成时限\n（填写到日）": "完成时限及主要节点"},
             classes={3: "section", 6: "section", 12: "total", 13: "note", 14: "note"}, unassigned=["备注"]))

    # 33 -- merge: a locked 9月30日 comes back as a date cell (WPS / LibreOffice); progress filled
    rows = base(r0c5="9月30日")
    sub = base(r0c5=dt.datetime(2019, 9, 30), r0c6="已报市政府审议。")
    add(Case("merge_date_form", "merge: the same date in another form is unchanged",
             [layout(rows, REFORM)], [], items=7, tasks=3,
             merge={"submission": layout(sub, REFORM), "applied": [("G3", "已报市政府审议。")], "rejected": []}))
    return out


# --------------------------------------------------------------------------------------------- writing


def write_sheets(path: Path, sheets: list[Sheet], active: int = 0) -> Path:
    """Write sheets to a real .xlsx (openpyxl), hidden and active sheets as given."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    wb.remove(wb.active)
    for s in sheets:
        ws = wb.create_sheet(s.name)
        for row in s.grid:
            ws.append([None if v == "" else v for v in row])
        for rng in s.merges:
            ws.merge_cells(rng)
        for row in ws.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="center")
        _fit(ws, s)
        if s.hidden:
            ws.sheet_state = "hidden"
    wb.active = active
    for i, ws in enumerate(wb.worksheets):
        ws.sheet_view.tabSelected = i == active
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _fit(ws: Any, sheet: Sheet) -> None:
    """Column widths and row heights as an office would set them, so the sheet reads as printed."""
    from openpyxl.utils import get_column_letter

    rows = [r for r in sheet.grid[1:] if sum(1 for v in r if v not in ("", None)) > 1]
    width = max((len(r) for r in sheet.grid), default=0)
    widths = []
    for c in range(width):
        longest = max((len(str(r[c])) for r in rows if c < len(r) and r[c] not in ("", None)), default=4)
        widths.append(6 if longest <= 3 else min(36, max(10, longest * 0.9)))
        ws.column_dimensions[get_column_letter(c + 1)].width = widths[-1]
    for i, row in enumerate(sheet.grid, start=1):
        if sum(1 for v in row if v not in ("", None)) <= 1:
            ws.row_dimensions[i].height = 22  # a title, a heading or a footnote: one line across
            continue
        lines = max((len(str(v)) * 2 // max(int(widths[c]), 1) + 1 for c, v in enumerate(row) if v not in ("", None)),
                    default=1)
        ws.row_dimensions[i].height = min(15 * lines, 200)


def build(case: Case, out_dir: Path) -> Path:
    return write_sheets(Path(out_dir) / case.file, case.sheets, case.active)


def build_all(out_dir: Path) -> list[Path]:
    return [build(c, out_dir) for c in cases()]


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus-out")
    for p in build_all(target):
        print(p)
