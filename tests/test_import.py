"""taizhang import: notices (prose and Word tables) into ledgers, checked on the seeds.

Seeds 001 and 004 are prose notices; 002 and 003 are table dumps, rebuilt here as real .docx
tables (with vertically merged cells, as Word keeps them) and imported back into ledgers that must
equal the example workbooks cell for cell.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from conftest import EX002, EX003, EXAMPLES
from taizhang.ledgerops.importer import import_notice, report_text
from taizhang.ledgerops.notice import parse_notice, parse_units, proposed_deadlines, split_title, split_units
from taizhang.validator.filecheck import ReadError
from taizhang.validator.reader import read_ledger
from taizhang.validator.units import Registry

SOURCES = EXAMPLES / "sources"
SEED_001 = next(SOURCES.glob("001_*.txt"))
SEED_004 = next(SOURCES.glob("004_*.txt"))
REG = Registry.builtin()

# Seed 001, every task's 责任单位 as the notice writes them, split by hand.
GOV = ["各区市县政府", "先导区管委会"]
UNITS_001 = {
    1: ["市卫生计生委", *GOV], 2: ["市卫生计生委", *GOV],
    3: ["市人社局", "市卫生计生委", "市发展改革委", "市财政局"],
    4: ["市卫生计生委", "市财政局", "市人社局", *GOV],
    5: [*GOV, "市发展改革委", "市卫生计生委", "市财政局", "市人社局"],
    6: ["市发展改革委", "市人社局", "市卫生计生委"], 7: ["市财政局", "市发展改革委", "市卫生计生委"],
    8: ["市人社局", "市卫生计生委"], 9: ["市卫生计生委"], 10: ["市卫生计生委", "市委组织部"],
    11: ["市人社局", "市卫生计生委", "市财政局"], 12: ["市人社局", "市卫生计生委"], 13: ["市人社局", "市卫生计生委"],
    14: ["市卫生计生委"], 15: ["大连银保监局筹备组"], 16: ["市卫生计生委", "市人社局", "市食药监局"],
    17: ["市卫生计生委"], 18: ["市卫生计生委"], 19: ["市商务局", "市食药监局", "市卫生计生委", "市人社局"],
    20: ["市卫生计生委"], 21: ["市卫生计生委", "市工商局"], 22: ["市卫生计生委"], 23: ["市卫生计生委"],
    24: ["市卫生计生委", "市工商局", "市人社局", "市食药监局"], 25: ["市卫生计生委"],
    26: ["市卫生计生委", "市财政局", *GOV], 27: ["市卫生计生委"],
    28: ["市卫生计生委", "各区、市、县人民政府", "先导区管委会"],  # broken across lines in the seed
    29: ["市卫生计生委"], 30: ["市卫生计生委"], 31: ["市卫生计生委"], 32: ["市卫生计生委"],
    33: ["市卫生计生委", "市发展改革委"], 34: ["市卫生计生委"], 35: ["市卫生计生委", "市经信委"],
    36: ["市卫生计生委", "市人社局"],
}
SINGLE_SENTENCE_001 = {7, 13, 17, 19, 21, 24, 31, 32}  # no content beyond the title: 重要成果形式 is blank

# Seed 004: (lead, co) per task; 分别负责 gives several leads and no co-operating unit.
UNITS_004 = [
    (["规信处"], []),
    (["规信处"], ["体改处", "医政医管处", "妇幼处", "疾控处", "基层处", "监督处", "中医医疗处", "老龄处"]),
    (["体改处"], ["医政医管处", "规信处", "财务处", "科教处", "人事处"]),
    (["医政医管处"], ["体改处", "基层处"]),
    (["体改处", "药政处"], []),
    (["体改处"], ["监督处", "医政医管处", "规信处"]),
    (["基层处"], ["医政医管处", "体改处", "规信处", "科教处", "中医医疗处"]),
    (["体改处"], []),
    (["医政医管处"], ["体改处", "基层处"]),
    (["基层处"], []),
    (["医政医管处"], []),
    (["科教处"], []),
    (["保健处"], []),
    (["中医药综合处", "中医医疗处", "中医药健康处"], []),
    (["基层处", "食品处"], []),
    (["疾控处"], []),
    (["应急办"], []),
    (["职业健康处"], []),
    (["财务处", "疾控处", "医政医管处", "妇幼处"], []),
    (["财务处"], ["基层处"]),
    (["人口家庭处", "妇幼处"], []),
    (["老龄处"], ["医政医管处"]),
    (["法规处", "办公室"], []),
    (["宣传处"], []),
    (["医政医管处"], ["办公室"]),
    (["应急办", "科教处", "办公室", "财务处"], []),
]
SEPARATELY_004 = {5, 14, 15, 19, 21, 23, 26}


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_examples", EXAMPLES / "build_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_examples", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _column(ledger, name: str) -> list:
    return ledger.values[name]


# ============================================================================ seed 001


@pytest.fixture(scope="module")
def imported_001(tmp_path_factory):
    out = tmp_path_factory.mktemp("i001") / "001.xlsx"
    before = _digest(SEED_001)
    result = import_notice(SEED_001, out)
    assert _digest(SEED_001) == before  # the input is never modified
    return result, read_ledger(out)


def test_001_tasks_sections_and_type(imported_001):
    result, ledger = imported_001
    assert (result.tasks, result.sections, result.sub_items) == (36, 7, 0)
    assert result.ledger_type.name == "reform-ledger" and ledger.ledger_type.name == "reform-ledger"
    assert result.year == 2018  # from 大医改办〔2018〕5号: the title names no year
    assert ledger.metadata["year"] == "2018"
    assert ledger.title == "推进落实深化医改近期重点工作任务台账"
    assert _column(ledger, "序号") == [str(n) for n in range(1, 37)]
    categories = list(dict.fromkeys(_column(ledger, "任务分类")))
    assert categories == [
        "一、稳步推进分级诊疗制度建设", "二、建立健全现代医院管理制度建设", "三、不断完善全民医保制度",
        "四、大力推进药品供应保障制度建设", "五、切实加强综合监管制度建设", "六、提高医疗卫生服务体系建设质量",
        "七、筹推进相关领域改革",
    ]
    assert _column(ledger, "任务分类").count("六、提高医疗卫生服务体系建设质量") == 8  # tasks 25-32


def test_001_every_task_has_its_units_split(imported_001):
    result, ledger = imported_001
    assert _column(ledger, "责任单位") == ["、".join(UNITS_001[n]) for n in range(1, 37)]
    assert result.units_found == 13 and result.unknown_units == []
    # the registry knows every name, including the 2018 ones renamed in 2019 (not flagged in 2018)
    assert all(REG.resolve(name) for units in UNITS_001.values() for name in units)


def test_001_titles_contents_and_broken_lines(imported_001):
    _, ledger = imported_001
    tasks, outputs = _column(ledger, "改革事项"), _column(ledger, "重要成果形式")
    assert tasks[0] == "推进紧密型医疗联合体建设"
    # the line break inside 网络化布局 is joined, the unit clause is cut off
    assert outputs[0].startswith("继续抓好中山区医疗集团") and "网络化布局" in outputs[0]
    assert outputs[0].endswith("参与医疗联合体建设。") and "责任单位" not in outputs[0]
    assert "探索建立医疗保险谈判机制" in outputs[11]  # item 12, also broken across lines
    assert tasks[27] == "加强疾病预防控制体系建设" and outputs[27] == "改革完善疾病预防控制网络。"
    assert tasks[15] == "落实《国务院办公厅关于完善国家基本药物制度的意见》（国办发〔2018〕88号）"
    # the closing paragraph and the signature are not part of task 36
    assert "高度重视" not in outputs[35] and "2018年11月27日" not in outputs[35]
    assert {n for n in range(1, 37) if outputs[n - 1] is None} == SINGLE_SENTENCE_001
    assert not any("责任单位" in (t or "") + (o or "") for t, o in zip(tasks, outputs))


def test_001_deadline_proposed_from_text(imported_001):
    result, ledger = imported_001
    deadlines = _column(ledger, "完成时限及主要节点")
    assert deadlines[8] == "年底前"  # item 9: 年底前所有三级公立医院……完成章程制定工作
    assert sum(1 for d in deadlines if d) == 1 == result.proposed_deadlines


def test_001_validates_with_only_the_real_gaps(imported_001):
    result, _ = imported_001
    source, fill_in = result.split_findings()
    found = {(f.code, f.column, f.row - 2) for f in source}
    expected = {("missing-value", "完成时限及主要节点", n) for n in range(1, 37) if n != 9}
    expected |= {("missing-value", "重要成果形式", n) for n in SINGLE_SENTENCE_001}
    assert found == expected  # the notice states no deadline / no deliverable there
    assert {f.code for f in fill_in} == {"missing-contact", "missing-phone"} and len(fill_in) == 72
    assert not any(f.code in ("unknown-unit", "renamed-unit", "missing-unit") for f in result.validation.findings)


# ============================================================================ seed 004


@pytest.fixture(scope="module")
def imported_004(tmp_path_factory):
    out = tmp_path_factory.mktemp("i004") / "004.xlsx"
    result = import_notice(SEED_004, out)
    return result, read_ledger(out)


def test_004_tasks_leads_and_co_units(imported_004):
    result, ledger = imported_004
    assert (result.tasks, result.sections, result.sub_items) == (26, 6, 0)
    assert result.ledger_type.name == "key-tasks" and result.year == 2019
    assert ledger.title == "2019年全省卫生健康工作报告任务分解和责任分工方案"
    leads, cos = _column(ledger, "牵头部门"), _column(ledger, "配合部门")
    assert leads == ["、".join(lead) for lead, _ in UNITS_004]
    assert cos == ["、".join(co) or None for _, co in UNITS_004]
    assert result.unknown_units == [] and result.units_found == 23
    sections = _column(ledger, "任务分类")  # the 一、二、 headings land in the optional category column
    assert len(set(sections)) == 6 and sections[0].startswith("一、") and sections[-1].startswith("六、")
    assert _column(ledger, "重点任务")[2] == "加强现代医院管理制度建设"
    assert _column(ledger, "具体工作")[2].startswith("完善医疗质量管理控制体系")
    assert result.validation.findings == [] and result.validation.error is None


def test_004_separately_responsible_gives_several_leads():
    notice = parse_notice(SEED_004, REG)
    separately = {n for n, t in enumerate(notice.tasks, 1) if t.units.separately}
    assert separately == SEPARATELY_004
    assert all(len(notice.tasks[n - 1].units.lead) >= 2 and not notice.tasks[n - 1].units.co for n in separately)
    assert [t.section for t in notice.tasks].count("二、进一步推动医药卫生体制改革") == 4


def test_004_gb18030_reads_the_same(tmp_path):
    gbk = tmp_path / "分工方案.txt"
    gbk.write_bytes(SEED_004.read_text(encoding="utf-8").encode("gb18030"))
    a, b = parse_notice(SEED_004, REG), parse_notice(gbk, REG)
    assert b.encoding == "gb18030" and a.encoding == "utf-8-sig"
    assert [(t.title, t.units.lead, t.units.co) for t in a.tasks] == [(t.title, t.units.lead, t.units.co) for t in b.tasks]


# ============================================================================ seeds 002 / 003 as Word tables


def _docx_from_example(builder, ledger, path: Path, merge: bool = True) -> Path:
    """The seed as Word keeps it: 附件 line, title paragraph, table with vertical merges."""
    document = docx.Document()
    document.add_paragraph("附件：")
    document.add_paragraph(ledger.title)
    table = document.add_table(rows=len(ledger.rows) + 1, cols=len(ledger.header))
    for c, name in enumerate(ledger.header):
        table.cell(0, c).text = name
    for r, row in enumerate(ledger.rows, 1):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value  # "\n" becomes a line break inside the cell
    if merge:
        for c, first, last in builder.merge_blocks(ledger):
            table.cell(first + 1, c).merge(table.cell(last + 1, c))
    document.add_paragraph("")
    document.save(path)
    return path


@pytest.mark.parametrize("key, example", [("002", EX002), ("003", EX003)])
def test_docx_tables_import_equal_to_examples(tmp_path, key, example):
    builder = _load_builder()
    seed = getattr(builder, f"load_{key}")(SOURCES)
    source = _docx_from_example(builder, seed, tmp_path / f"{key}.docx")
    result = import_notice(source, tmp_path / f"{key}.xlsx")
    got, want = read_ledger(tmp_path / f"{key}.xlsx"), read_ledger(example)
    assert result.kind == "table" and got.ledger_type.name == want.ledger_type.name
    assert got.title == want.title
    assert len(got) == len(want) and got.task == want.task
    # equal in content: the template may carry an optional column the example lacks (任务分类), left empty
    assert {k: v for k, v in got.values.items() if k in want.values} == want.values
    assert all(v is None for k, col in got.values.items() if k not in want.values for v in col)
    assert result.tasks == len(set(want.task)) and result.sub_items == len(want) - len(set(want.task))
    assert result.validation.findings == []  # the examples validate clean, so must the imports
    assert result.unknown_units == []


def test_docx_table_without_merges_blank_key_means_sub_item(tmp_path):
    builder = _load_builder()
    seed = builder.load_002(SOURCES)
    source = _docx_from_example(builder, seed, tmp_path / "002.docx", merge=False)
    import_notice(source, tmp_path / "002.xlsx")
    got, want = read_ledger(tmp_path / "002.xlsx"), read_ledger(EX002)
    assert got.task == want.task  # 79 rows, 50 tasks: a blank 序号 continues the task
    assert got.values["重点任务"] == want.values["重点任务"]
    assert got.values["具体工作"] == want.values["具体工作"]


# ============================================================================ prose in Word


def test_docx_prose_reads_like_the_text(tmp_path):
    document = docx.Document()
    for line in SEED_001.read_text(encoding="utf-8").split("\n"):
        document.add_paragraph(line)
    path = tmp_path / "通知.docx"
    document.save(path)
    a, b = parse_notice(SEED_001, REG), parse_notice(path, REG)
    assert len(b.tasks) == 36 and len(b.sections) == 7 and b.year == 2018
    assert [(t.title, t.content, t.units.all) for t in a.tasks] == [(t.title, t.content, t.units.all) for t in b.tasks]


def test_docx_auto_numbered_paragraphs(tmp_path):
    """Word list numbering is not in the paragraph text; the importer renders it like Word."""
    document = docx.Document()
    document.add_paragraph("关于做好2019年重点工作的通知")
    document.add_paragraph("加强质量控制。开展巡查。（医政医管处负责）", style="List Number")
    document.add_paragraph("推进医联体建设。年底前覆盖所有县。（体改处牵头，基层处配合）", style="List Number")
    path = tmp_path / "auto.docx"
    document.save(path)
    notice = parse_notice(path, REG)
    assert [t.number for t in notice.tasks] == ["1", "2"]
    assert notice.tasks[1].units.lead == ["体改处"] and notice.tasks[1].units.co == ["基层处"]
    assert notice.tasks[1].deadlines == ["年底前"] and notice.year == 2019


def test_docx_task_over_several_paragraphs(tmp_path):
    """Authors put each sentence in its own paragraph; the clause closes the last one."""
    document = docx.Document()
    for text in ["关于2019年重点工作的通知", "一、医改", "1. 推进医联体建设。", "完善考核办法。",
                 "年底前实现全覆盖。（责任单位：市卫生健康委、市医保局）", "2. 开展试点。（责任单位：市财政局）",
                 "各单位要高度重视。", "2019年3月1日"]:
        document.add_paragraph(text)
    path = tmp_path / "paras.docx"
    document.save(path)
    notice = parse_notice(path, REG)
    first, second = notice.tasks
    assert first.content == "完善考核办法。年底前实现全覆盖。" and first.units.lead == ["市卫生健康委", "市医保局"]
    assert first.deadlines == ["年底前"] and second.units.lead == ["市财政局"]
    assert [text for _, text in notice.other][-2:] == ["各单位要高度重视。", "2019年3月1日"]


def test_docx_table_with_title_row_inside(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=4, cols=4)
    top = table.cell(0, 0).merge(table.cell(0, 3))
    top.text = "2018年重点任务分工表"
    for c, name in enumerate(["序号", "工作任务", "牵头单位", "完成时间"]):
        table.cell(1, c).text = name
    for r, row in enumerate([["1", "建立医联体。", "市卫生健康委", "2018年9月"],
                             ["2", "完善医保支付。", "市医保局", "持续推进"]], 2):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    path = tmp_path / "table.docx"
    document.save(path)
    result = import_notice(path, tmp_path / "table.xlsx")
    ledger = read_ledger(tmp_path / "table.xlsx")
    assert result.ledger_type.name == "task-division" and ledger.title == "2018年重点任务分工表"
    assert ledger.values["牵头部门"] == ["市卫生健康委", "市医保局"] and result.year == 2018
    assert ledger.values["时间进度"] == ["2018年9月", "持续推进"]
    assert [f for f in result.validation.findings if f.severity == "error"] == []


# ============================================================================ sub-items, unknown units


SUB_ITEMS = """关于印发2019年医改重点任务的通知

一、深化公立医院改革
（一）推进薪酬制度改革。扩大试点范围。（1）制定试点方案，6月底前完成；（2）开展效果评估，12月底前完成。（体改处牵头，财务处、人事处配合）
（二）加强绩效考核。
1. 制定考核办法，9月底前印发。（医政医管处负责）
2. 组织年度考核。（医政医管处负责，财务处配合）
（三）建设区域医疗中心。（体改处、规划科负责）
"""


def test_sub_items_inline_and_as_paragraphs(tmp_path):
    path = tmp_path / "subitems.txt"
    path.write_text(SUB_ITEMS, encoding="utf-8")
    notice = parse_notice(path, REG)
    assert [len(t.sub_items) for t in notice.tasks] == [2, 2, 0] and notice.sub_item_count == 4
    first, second, third = notice.tasks
    assert first.title == "推进薪酬制度改革" and first.content.startswith("扩大试点范围。")
    assert [s.text for s in first.sub_items] == ["制定试点方案，6月底前完成", "开展效果评估，12月底前完成。"]
    assert [s.deadlines for s in first.sub_items] == [["6月底前"], ["12月底前"]]
    assert (first.units.lead, first.units.co) == (["体改处"], ["财务处", "人事处"])
    # a task with no clause of its own answers with its sub-items' units
    assert (second.units.lead, second.units.co) == (["医政医管处"], ["财务处"])
    assert third.units.lead == ["体改处", "规划科"] and notice.unit_problems["规划科"][0].code == "unknown-unit"

    result = import_notice(path, tmp_path / "reform.xlsx", ledger_type="reform-ledger")
    ledger = read_ledger(tmp_path / "reform.xlsx")
    assert len(ledger) == 5 and ledger.task == [0, 0, 1, 1, 2]
    assert ledger.values["重要成果形式"][:2] == ["制定试点方案，6月底前完成", "开展效果评估，12月底前完成。"]
    assert ledger.values["完成时限及主要节点"][:3] == ["6月底前", "12月底前", "9月底前"]
    assert ledger.values["改革事项"][0] == "推进薪酬制度改革。扩大试点范围。"  # lead-in kept with the title
    assert ledger.values["任务分类"][0] == "一、深化公立医院改革"
    assert ledger.values["责任单位"][4] == "体改处、规划科"  # unknown unit kept as written ...
    unknown = [f for f in result.validation.findings if f.code == "unknown-unit"]
    assert [(f.cell, f.params["unit"]) for f in unknown] == [("D7", "规划科")]  # ... and reported
    assert result.unknown_units == ["规划科"]
    assert "规划科" in report_text(result)

    result = import_notice(path, tmp_path / "key.xlsx")
    assert result.ledger_type.name == "key-tasks"
    ledger = read_ledger(tmp_path / "key.xlsx")
    assert ledger.values["配合部门"][:4] == ["财务处、人事处", "财务处、人事处", None, "财务处"]



def test_circled_sub_items_inline(tmp_path):
    """①②③ inside a task's paragraph are its sub-items (ended `import` in an internal error:
    str.isdigit takes ① for a digit, int() does not)."""
    path = tmp_path / "circled.txt"
    path.write_text("关于印发2019年政务服务改革要点的通知\n\n一、深化“放管服”改革\n"
                    "（一）推进“一网通办”。①制定实施方案，6月底前完成；②开展试点，9月底前完成；③全面推广。"
                    "（市政务服务中心负责）\n", encoding="utf-8")
    (task,) = parse_notice(path, REG).tasks
    assert [s.text for s in task.sub_items] == ["制定实施方案，6月底前完成", "开展试点，9月底前完成", "全面推广。"]
    assert [s.deadlines for s in task.sub_items] == [["6月底前"], ["9月底前"], []]
    assert task.units.lead == ["市政务服务中心"]
    done = _run("import", str(path), "-o", str(tmp_path / "out.xlsx"))
    assert done.exit_code == 0, done.output
    assert "1 项任务，3 个子项" in done.output


# ============================================================================ unit clauses


@pytest.mark.parametrize("text, lead, co, separately", [
    ("(责任单位:市卫生计生委,各区市县政府、先导区管委会)", ["市卫生计生委", "各区市县政府", "先导区管委会"], [], False),
    ("（责任单位：市人社局、市卫生计生委）", ["市人社局", "市卫生计生委"], [], False),
    ("（规信处牵头，体改处、医政医管处配合）", ["规信处"], ["体改处", "医政医管处"], False),
    ("（体改处、药政处分别负责）", ["体改处", "药政处"], [], True),
    ("（疾控处负责）", ["疾控处"], [], False),
    ("（医政医管处负责，办公室配合）", ["医政医管处"], ["办公室"], False),
    ("(由体改处负责;财务处协助)", ["体改处"], ["财务处"], False),
    ("（牵头单位：市卫生健康委；配合单位：市财政局、市医保局）", ["市卫生健康委"], ["市财政局", "市医保局"], False),
    ("（体改处牵头，医政医管处、\n规信处配合）", ["体改处"], ["医政医管处", "规信处"], False),
])
def test_unit_clauses(text, lead, co, separately):
    body, units = split_units("推进改革。" + text, REG)
    assert body == "推进改革。"
    assert (units.lead, units.co, units.separately) == (lead, co, separately)


def test_clause_broken_across_lines_and_unclosed():
    body, units = split_units("加强疾病预防控制体系建设。(责任单位:市卫生计生委,各区、市、县人民政府<先导区管委会>>)", REG)
    assert units.lead == ["市卫生计生委", "各区、市、县人民政府", "先导区管委会"] and body.endswith("建设。")
    body, units = split_units("推进改革。（责任单位：市卫生健康委、市财政局", REG)
    assert units.lead == ["市卫生健康委", "市财政局"] and body == "推进改革。"
    # a trailing document number in brackets is not a unit clause
    body, units = split_units("落实《意见》（国办发〔2018〕88号）", REG)
    assert not units and body == "落实《意见》（国办发〔2018〕88号）"
    assert parse_units("市卫生计生委市人社局负责", REG).lead == ["市卫生计生委", "市人社局"]  # run together


def test_title_split_ignores_brackets_and_quotes():
    assert split_title("落实《意见》（国办发〔2018〕88号。）。推动使用。") == ("落实《意见》（国办发〔2018〕88号。）", "推动使用。")
    assert split_title("开展安宁疗护试点。") == ("开展安宁疗护试点", "")


def test_proposed_deadlines():
    assert proposed_deadlines("推进章程制定，年底前所有三级公立医院完成。", 2018) == ["年底前"]
    assert proposed_deadlines("2019年每个市选择一个县进行试点，2020年在全省铺开", 2019) == ["2019年", "2020年"]
    assert proposed_deadlines("落实《健康中国行动（2019-2030年）》，9月底前出台方案", 2019) == ["9月底前"]
    assert proposed_deadlines("创建5所示范单位，统一月度考核，每万人3名", 2019) == []
    assert proposed_deadlines("上半年完成调研，三季度出台，十二月底前总结", 2019) == ["上半年", "三季度", "十二月底前"]


# ============================================================================ command line


def _run(*args: str):
    from taizhang.cli import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_cli_import_prints_counts_and_findings(tmp_path):
    out = tmp_path / "台账.xlsx"
    res = _run("import", str(SEED_001), "-o", str(out))
    assert res.exit_code == 0, res.output
    assert "7 个分类，36 项任务，0 个子项" in res.output
    assert "单位 13 个：13 个在名录中，0 个未知" in res.output
    assert "35 处 错误  missing-value" in res.output and "联系人、联系电话 由各单位填报：36 行待填" in res.output
    assert read_ledger(out).ledger_type.name == "reform-ledger"

    res = _run("import", str(SEED_004), "-o", str(out), "--lang", "en")
    assert res.exit_code == 2 and "--force" in res.output  # an existing ledger is not overwritten
    res = _run("import", str(SEED_004), "-o", str(out), "--force", "--lang", "en")
    assert res.exit_code == 0 and "6 sections, 26 tasks, 0 sub-items" in res.output
    assert "0 error(s), 0 warning(s)" in res.output


def test_cli_import_refuses_locked_output_and_bad_input(tmp_path):
    out = tmp_path / "台账.xlsx"
    (tmp_path / "~$台账.xlsx").write_bytes(b"owner")
    res = _run("import", str(SEED_004), "-o", str(out))
    assert res.exit_code == 2 and "Excel" in res.output and not out.exists()

    empty = tmp_path / "空.txt"
    empty.write_text("各单位：\n请抓好落实。\n", encoding="utf-8")
    res = _run("import", str(empty), "-o", str(tmp_path / "x.xlsx"))
    assert res.exit_code == 2 and "找不到编号的任务" in res.output and "Traceback" not in res.output
    res = _run("import", str(EX002), "-o", str(tmp_path / "x.xlsx"))
    assert res.exit_code == 2 and "不是支持的通知文件" in res.output
    broken = tmp_path / "坏.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    res = _run("import", str(broken), "-o", str(tmp_path / "x.xlsx"))
    assert res.exit_code == 2 and "坏.docx" in res.output and "Traceback" not in res.output
    with pytest.raises(ReadError):
        parse_notice(tmp_path / "通知.pdf", REG)


# ============================================================================ what people see


def test_imported_ledger_renders_in_libreoffice(tmp_path, imported_004):
    from lo import assert_not_blank, pdf_text, to_pdf, to_png

    result, _ = imported_004
    pdf = to_pdf(result.output, tmp_path)
    assert_not_blank(to_png(pdf, tmp_path / "png")[0])
    text = pdf_text(pdf).replace(" ", "")
    assert "分工方案" in text and "规信处" in text and "重点任务" in text


def test_txt_notice_with_a_tab_table_imports_the_ledger_it_holds(tmp_path):
    """Seed 000 is the Dalian notice with its ledger pasted as tab-separated rows (blank lines
    between task groups, a ruled line under the table): the import equals the example ledger."""
    from conftest import EX000

    result = import_notice(next(SOURCES.glob("000_*.txt")), tmp_path / "000.xlsx")
    got, want = read_ledger(tmp_path / "000.xlsx"), read_ledger(EX000)
    assert result.kind == "table" and result.ledger_type.name == "reform-ledger"
    assert result.title == "全面深化改革 2019 年卫生健康工作台账" and result.year == 2019
    assert len(got) == 12 and got.task == want.task and got.values == want.values
    assert [(f.code, f.cell) for f in result.validation.findings] == [
        ("missing-contact", "H11"), ("missing-phone", "I11"), ("missing-contact", "H13"), ("missing-phone", "I13")]


def test_txt_space_aligned_table(tmp_path):
    src = tmp_path / "通知.txt"
    src.write_text("关于印发2017年重点工作任务分工的通知\n\n"
                   "序号  工作任务                      牵头部门        时间进度\n"
                   "1     实施医疗卫生服务体系规划      市卫生计生委    持续实施\n"
                   "2     推进分级诊疗                  市卫生计生委    2017年12月\n", encoding="utf-8")
    result = import_notice(src, tmp_path / "out.xlsx")
    got = read_ledger(tmp_path / "out.xlsx")
    assert result.kind == "table" and got.ledger_type.name == "task-division"
    assert got.values["工作任务"] == ["实施医疗卫生服务体系规划", "推进分级诊疗"]
    assert got.values["时间进度"] == ["持续实施", "2017年12月"]


def test_txt_tables_that_cannot_be_read_say_why(tmp_path):
    other = tmp_path / "名单.txt"
    other.write_text("关于报送名单的通知\n\n姓名\t年龄\t住址\n张三\t30\t大连\n李四\t40\t沈阳\n", encoding="utf-8")
    with pytest.raises(ReadError, match="第 3 行起的表格表头（姓名 | 年龄 | 住址）不是台账表头"):
        import_notice(other, tmp_path / "a.xlsx")
    with pytest.raises(ReadError, match="每个单元格各占一行"):  # seed 003 as scraped from the web
        import_notice(next(SOURCES.glob("003_*.txt")), tmp_path / "b.xlsx")
    assert not (tmp_path / "a.xlsx").exists() and not (tmp_path / "b.xlsx").exists()


@pytest.mark.parametrize("notice, ledger", [
    ("大连市卫生健康委员会办公室关于印发全面深化改革 2019 年卫生健康工作台账的通知", "全面深化改革 2019 年卫生健康工作台账"),
    ("关于推进落实深化医改近期重点工作任务的通知", "推进落实深化医改近期重点工作任务台账"),
    ("2019年全省卫生健康工作报告任务分解和责任分工方案", "2019年全省卫生健康工作报告任务分解和责任分工方案"),
])
def test_ledger_title_from_the_notice_title(notice, ledger):
    from taizhang.ledgerops.importer import _ledger_title

    assert _ledger_title(notice, None) == ledger
