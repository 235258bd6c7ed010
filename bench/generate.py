"""Generate benchmark ledgers in the 000 seed's shape, with known faults, and merge submissions.

    python bench/generate.py                       # 2,000 / 20,000 / 100,000 rows + 50 submissions
    python bench/generate.py --sizes 2000 --submissions 0 --out /tmp/b

A ledger looks like examples/000_dalian_2019_reform_ledger.xlsx scaled up: the title in row 1
(merged across), the header in row 2, tasks of one to five sub-item rows whose task-level cells
(序号, 任务分类, 改革事项, 责任单位) are merged vertically, text taken from the seed notices, and
the noise real offices add (full-width digits, "5 月 31 日", mobiles, 0411- prefixes, phones typed
as numbers, Excel date cells). About 5% of the cells are faulty, spread over every finding kind
that can occur in one ledger, so validate does its full work; every injected fault is recorded in
manifest.json with the finding code it must produce (deadline-year-unknown is the one kind left
out: it needs a ledger without a year, and these have one in the title).

Submissions: a clean 2,000-row master and 50 copies of it as offices send them back, each
department having filled 推进情况 (and sometimes 联系人/联系电话) of its own tasks; among them a
conflict (two offices changing one cell differently), a locked-column edit, an inserted row and a
copy whose title row was deleted, so merge does the work it does in real life.
Everything is seeded: the same arguments give the same files.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from xlsxwrite import BODY_CENTRE, BODY_DATE, BODY_LEFT, BODY_TEXT, HEADER, TITLE, Formula, Sheet, write_xlsx  # noqa: E402

SOURCES = ROOT / "examples" / "sources"
DEFAULT_OUT = HERE / "out" / "data"  # bench/out/ is git-ignored
SIZES = (2_000, 20_000, 100_000)
FAULT_RATE = 0.05
VERSION = 2  # bump when the files change shape: bench/run.py regenerates inputs of another version
PEOPLE_RATIO = 8  # data rows per liaison (contact person)
YEAR = 2019
TITLE_TEXT = f"全面深化改革 {YEAR} 年卫生健康工作台账（基准测试）"
HEADER_ROW = ["序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况", "联系人", "联系电话"]
WIDTHS = [6, 24, 34, 14, 28, 22, 40, 10, 13]
CENTRED = {0, 3, 7}
TASK_COLS = (0, 1, 2, 3)  # merged over the task group, value in the top cell
K, CAT, TASK, UNITS, OUTPUT, DEADLINE, PROGRESS, CONTACT, PHONE = range(9)

# faults each column can carry: (finding code(s) the fault must produce, weight)
FAULTS: dict[int, list[tuple[tuple[str, ...], str, int]]] = {
    K: [(("duplicate-key",), "dup", 1), (("key-sequence",), "skip", 1)],
    TASK: [(("missing-value",), "blank", 1), (("formula-in-cell",), "formula", 1)],
    UNITS: [(("unknown-unit",), "unknown", 2), (("renamed-unit",), "renamed", 1), (("missing-unit",), "blank", 1)],
    OUTPUT: [(("missing-value",), "blank", 1)],
    DEADLINE: [(("invalid-deadline",), "invalid", 2), (("unparsed-deadline",), "unparsed", 1), (("missing-value",), "blank", 1)],
    PROGRESS: [(("formula-in-cell",), "formula", 1)],
    CONTACT: [(("missing-contact", "missing-phone"), "blank", 1), (("invalid-contact-name",), "not-a-name", 1),
              (("contact-phone-mismatch",), "two-names", 1)],
    PHONE: [(("missing-phone",), "blank", 1), (("invalid-phone",), "short", 2)],
}
# who sends submissions back: the 卫健委's divisions, the districts' health bureaus, its institutions
DEPARTMENTS = tuple(
    "办公室 规信处 体改处 医政医管处 妇幼处 疾控处 基层处 监督处 药政处 食品处 老龄处 财务处 科教处 人事处 法规处 宣传处 "
    "保健处 应急办 职业健康处 人口家庭处 中医药综合处 中医医疗处 中医药健康处 "
    "中山区卫生健康局 西岗区卫生健康局 沙河口区卫生健康局 甘井子区卫生健康局 旅顺口区卫生健康局 金普新区卫生健康局 "
    "普兰店区卫生健康局 瓦房店市卫生健康局 庄河市卫生健康局 长海县卫生健康局 高新区卫生健康局 长兴岛卫生健康局 "
    "市疾控中心 市卫生监督所 市中心医院 市友谊医院 市中医医院 市第二人民医院 市第三人民医院 市第五人民医院 "
    "市妇女儿童医疗中心 市急救中心 市血液中心 市卫生健康信息中心 市口腔医院 市第六人民医院 市第七人民医院".split())
ALL_CODES = sorted({c for faults in FAULTS.values() for codes, _, _ in faults for c in codes})

# Units: current names only for clean cells (the registry for reform-ledger is every built-in one)
UNITS_POOL = ["市卫生健康委", "市医保局", "市市场监管局", "市工信局", "市人社局", "市发展改革委", "市财政局", "市商务局",
              "市委组织部", "大连银保监局", "各区市县政府", "先导区管委会", "各区市县卫生健康行政部门"]
UNKNOWN_UNITS = ["市卫建委", "市规划局", "市科技局", "市卫生健康委员", "市医疗保障", "市财正局", "市人设局"]
RENAMED_UNITS = ["市卫生计生委", "市食药监局", "市工商局", "市经信委", "市质监局"]
BAD_DEADLINES = ["13月底", "2月30日", "6月31日前", "4月31日。", "14月底前完成"]
VAGUE_DEADLINES = ["尽快", "待定", "视情况而定", "适时", "按上级要求"]
NOT_NAMES = ["办公室", "综合处", "待定", "同上", "医政医管处"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "光盈斌新明锋荣克宏彦向芳伟静丽强磊军洋勇艳杰娟涛超秀霞平刚桂英华玉兰萍红建国文辉力敏海鹏飞宇晨浩然欣怡子涵佳琪"
TOPICS = ["互联网+医疗健康", "健康产业发展", "紧密型医疗联合体", "家庭医生签约服务", "三级公立医院绩效考核", "公立医院薪酬制度改革",
          "疫苗预防接种全程追溯", "短缺药品监测预警", "国家基本药物制度", "医疗卫生行业综合监管", "分级诊疗", "全科医生培养",
          "中医药健康养老服务", "县域医共体", "现代医院管理制度", "医用耗材集中采购", "医疗服务价格", "基本公共卫生服务",
          "职业健康", "卫生应急", "妇幼健康", "老龄健康服务", "健康扶贫", "医疗质量管理控制", "临床路径管理", "远程医疗",
          "电子健康档案", "药品集中采购和使用", "医保支付方式改革", "社会办医"]


# --------------------------------------------------------------------------------------------
# Text pools from the seeds
# --------------------------------------------------------------------------------------------


def _sentences() -> tuple[list[str], list[str], list[str]]:
    """(task texts, outputs, progress notes) harvested from the seed dumps."""
    tasks: list[str] = []
    for name in ("001_b99942453800901c.txt", "004_e4dd95c232bc7188.txt"):
        path = SOURCES / name
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = re.sub(r"[（(](?:责任单位|[^（）()]*(?:牵头|负责|配合))[^）)]*[）)]", "", line.strip())
            line = re.sub(r"^(?:\d+\.\s*|（[一二三四五六七八九十]+）)", "", line)
            for s in re.split(r"(?<=。)", line):
                s = s.strip()
                if 14 <= len(s) <= 120 and "--" not in s and not s.startswith(("一、", "二、", "三、", "四、", "五、", "六、")):
                    tasks.append(s)
    outputs, progress = [], []
    seed = SOURCES / "000_44bc7887b8a578e8.txt"
    if seed.exists():
        lines = seed.read_text(encoding="utf-8").split("\n")
        h = next((i for i, line in enumerate(lines) if line.startswith("序号\t")), None)
        for line in lines[h + 1:] if h is not None else []:
            cells = line.split("\t")
            if len(cells) == 9:
                if cells[2].strip():
                    tasks.append(cells[2].strip())
                outputs.append(cells[4].strip())
                progress.append(cells[6].strip())
    if not tasks:  # sources missing: still produce plausible text
        tasks = [f"推进{t}改革，完善相关配套政策。" for t in TOPICS]
    def keep(texts: list[str]) -> list[str]:
        return [t for t in texts if t and not re.fullmatch(r"[-\s]+", t)]  # markdown table artefacts

    return keep(tasks), keep(outputs), keep(progress)


@dataclass
class Texts:
    tasks: list[str]
    outputs: list[str]
    progress: list[str]


def _task_text(rng: random.Random, t: Texts) -> str:
    return "".join(rng.sample(t.tasks, rng.choice((1, 1, 2))))


def _output(rng: random.Random, t: Texts) -> str:
    topic = rng.choice(TOPICS)
    return rng.choice([
        lambda: rng.choice(t.outputs) if t.outputs else f"出台《大连市{topic}实施方案》。",
        lambda: f"出台《大连市{topic}实施方案》。",
        lambda: f"完成{topic}试点工作，形成可复制经验。",
        lambda: f"创建 {rng.randint(2, 30)} 所市级{topic}示范单位。",
        lambda: f"{topic}覆盖率达到 {rng.randint(50, 99)}%。",
        lambda: f"1.《大连市{topic}工作方案》。 2.《大连市{rng.choice(TOPICS)}考核办法》。",
    ])()


def _deadline(rng: random.Random) -> object:
    m, m2, d = rng.randint(1, 12), rng.randint(1, 12), rng.randint(1, 28)
    choice = rng.random()
    if choice < 0.02:
        import datetime as dt
        return dt.date(YEAR, m, d)  # an Excel date cell
    return rng.choice([
        f"{m}月底", f"{m}月底。", f"{m} 月 {d} 日。", f"{m}月{d}日前", f"{YEAR}年{m}月底前", f"{YEAR}年底", "年底前",
        f"{m}月中旬", "上半年", "三季度", "持续推进", "持续实施", "长期", f"{m}月底出方案。 {max(m, m2)}月底完成考核工作。",
        f"1.已完成。 2.{m}月底前正式启动，12月底前总结评估。", f"{YEAR}年{m}月底前起草方案； 12月前选取区市县进行试点。",
        f"{str(m).translate(_FULL)}月底",
    ])


_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _progress(rng: random.Random, t: Texts) -> str:
    topic = rng.choice(TOPICS)
    return rng.choice([
        lambda: rng.choice(t.progress) if t.progress else "正在制定。",
        lambda: "正在制定。", lambda: "正在制定方案。", lambda: "按计划推进。",
        lambda: f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日已组织召开{topic}推进会，部署相关工作。",
        lambda: f"已完成{topic}前期调研，目前正在结合历史数据进行测算，完成进度约 {rng.randint(10, 95)}%。",
        lambda: "",
    ])()


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(rng: random.Random) -> object:
    n = f"3905{rng.randint(0, 9999):04d}"
    r = rng.random()
    if r < 0.06:
        return f"139{rng.randint(0, 99999999):08d}"
    if r < 0.12:
        return f"0411-{n}"
    if r < 0.15:
        return n.translate(_FULL)
    if r < 0.20:
        return int(n)  # typed into a General cell: Excel stores a number
    return n


def _units(rng: random.Random) -> str:
    k = rng.choice((1, 1, 1, 2, 3))
    return "、".join(rng.sample(UNITS_POOL, k))


# --------------------------------------------------------------------------------------------
# Ledgers
# --------------------------------------------------------------------------------------------


@dataclass
class Built:
    rows: list[list[object]]  # data rows, None in merged-covered cells
    groups: list[tuple[int, int]]  # (first, last) 0-based data row of each task
    faults: list[dict] = field(default_factory=list)


def build_rows(n_rows: int, rng: random.Random, fault_rate: float, texts: Texts) -> Built:
    """n_rows data rows in task groups, with faults injected at `fault_rate` per cell."""
    rows: list[list[object]] = []
    groups: list[tuple[int, int]] = []
    faults: list[dict] = []
    # the liaisons: each answers for several sub-items, as in the seed (马新光, 王宏彦 twice in 12
    # rows), and writes their number the same way every time
    people = [(_name(rng), _phone(rng)) for _ in range(max(30, n_rows // PEOPLE_RATIO))]
    key = 0
    while len(rows) < n_rows:
        size = min(rng.choices((1, 2, 3, 4, 5), (30, 30, 20, 15, 5))[0], n_rows - len(rows))
        first = len(rows)
        key += 1
        task_key = key
        top = [task_key, f"《中共大连市委全面深化改革委员会 {YEAR} 年工作要点》大委办发〔{YEAR}〕14 号第五项深化社会事业改革第 {key} 条",
               _task_text(rng, texts), _units(rng)]
        for col in (K, TASK, UNITS):
            if rng.random() < fault_rate:
                codes, kind, value = _fault(col, rng, first, key)
                if col == K and kind == "dup" and key > 1:
                    key -= 1  # the next task carries on from the duplicated number
                    value = key
                elif col == K and kind == "skip":
                    key += 1
                    value = key
                elif col == K:
                    continue
                if isinstance(value, Formula):
                    value = Formula(value.text, top[CAT])
                top[col] = value
                faults.append({"row": first, "column": HEADER_ROW[col], "kind": kind, "codes": list(codes)})
        for i in range(size):
            row: list[object] = list(top) if i == 0 else [None, None, None, None]
            contact, phone = rng.choice(people)
            pair = rng.random() < 0.05
            if pair:  # two people, two numbers (valid)
                other, other_phone = rng.choice(people)
                contact = f"{contact} {other}"
                phone = f"{phone} {other_phone if not isinstance(other_phone, int) else str(other_phone)}"
            row += [_output(rng, texts), _deadline(rng), _progress(rng, texts), contact, phone]
            r = first + i
            contact_fault = pair  # a phone fault in a pair's cell would also be a count mismatch
            for col in (OUTPUT, DEADLINE, PROGRESS, CONTACT, PHONE):
                if rng.random() < fault_rate and not (col == PHONE and contact_fault):  # one per person
                    contact_fault = contact_fault or col == CONTACT
                    codes, kind, value = _fault(col, rng, r, key)
                    if col == CONTACT and kind == "blank":
                        row[PHONE] = None
                    if col == CONTACT and kind == "two-names":
                        row[PHONE] = f"3905{rng.randint(0, 9999):04d}"
                        value = f"{_name(rng)} {_name(rng)}"
                    if isinstance(value, Formula):  # saved by Excel with its value
                        value = Formula(value.text, str(row[OUTPUT] or "") or None)
                    row[col] = value
                    faults.append({"row": r, "column": HEADER_ROW[col], "kind": kind, "codes": list(codes)})
            rows.append(row)
        groups.append((first, len(rows) - 1))
    return Built(rows, groups, faults)


def _fault(col: int, rng: random.Random, r: int, key: int) -> tuple[tuple[str, ...], str, object]:
    options = FAULTS[col]
    codes, kind, _ = rng.choices(options, [w for _, _, w in options])[0]
    value: object = None
    if kind == "formula":
        value = Formula(f"E{r + 3}" if col == PROGRESS else f"B{r + 3}")
    elif kind == "unknown":
        value = rng.choice(UNKNOWN_UNITS)
    elif kind == "renamed":
        value = rng.choice(RENAMED_UNITS)
    elif kind == "invalid":
        value = rng.choice(BAD_DEADLINES)
    elif kind == "unparsed":
        value = rng.choice(VAGUE_DEADLINES)
    elif kind == "not-a-name":
        value = rng.choice(NOT_NAMES)
    elif kind == "short":
        value = f"3905{rng.randint(0, 999):03d}"
    return codes, kind, value


def expected_findings(built: Built, first_data_row: int = 3) -> set[tuple[str, str]]:
    """(finding code, A1 cell) that validate must report for the injected faults, and only those."""
    letters = {h: "ABCDEFGHI"[i] for i, h in enumerate(HEADER_ROW)}
    out = set()
    for f in built.faults:
        for code in f["codes"]:
            column = "联系电话" if code in ("missing-phone", "contact-phone-mismatch") else f["column"]
            out.add((code, f"{letters[column]}{f['row'] + first_data_row}"))
    return out


def _styles(n_cols: int) -> list[int]:
    return [BODY_TEXT if c == PHONE else BODY_CENTRE if c in CENTRED else BODY_LEFT for c in range(n_cols)]


def ledger_sheet(built: Built, title: str = TITLE_TEXT, with_title: bool = True) -> Sheet:
    """The data rows laid out as the 000 seed: title row, header row, merged task groups."""
    import datetime as dt

    offset = 3 if with_title else 2
    body_style = _styles(len(HEADER_ROW))
    rows: list[list[object]] = []
    styles: list[list[int]] = []
    if with_title:
        rows.append([title] + [None] * (len(HEADER_ROW) - 1))
        styles.append([TITLE] + [0] * (len(HEADER_ROW) - 1))
    rows.append(list(HEADER_ROW))
    styles.append([HEADER] * len(HEADER_ROW))
    heights = {1: 36.0, 2: 32.0} if with_title else {1: 32.0}
    epoch = dt.date(1899, 12, 30)
    for i, row in enumerate(built.rows):
        out, st = [], list(body_style)
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                v = (v - epoch).days  # Excel serial, shown as a date by style 6
                st[c] = BODY_DATE
            out.append(v)
        rows.append(out)
        styles.append(st)
        # wrapped lines the row needs: a CJK character is about 2 width units
        lines = max((-(-2 * len(v) // max(WIDTHS[c] - 2, 1)) for c, v in enumerate(row) if isinstance(v, str)), default=1)
        heights[i + offset] = float(min(14 * max(lines, 1) + 4, 150))
    merges = [f"A1:I1"] if with_title else []
    for first, last in built.groups:
        if last > first:
            for c in TASK_COLS:
                letter = "ABCD"[c]
                merges.append(f"{letter}{first + offset}:{letter}{last + offset}")
    return Sheet(name="工作台账", rows=rows, styles=styles, widths=WIDTHS, heights=heights, merges=merges,
                 freeze_row=offset)


def write_ledger(path: Path, built: Built, *, with_title: bool = True) -> None:
    sheet = ledger_sheet(built, with_title=with_title)
    write_xlsx(path, [sheet], title=TITLE_TEXT)


def fault_summary(built: Built) -> dict:
    cells = sum(1 for row in built.rows for c, v in enumerate(row)) - sum(
        (last - first) * len(TASK_COLS) for first, last in built.groups)  # covered cells are not cells
    by_code = Counter(code for f in built.faults for code in f["codes"])
    faulty_cells = sum(len(f["codes"]) if f["kind"] == "blank" and f["column"] == "联系人" else 1 for f in built.faults)
    return {"rows": len(built.rows), "tasks": len(built.groups), "cells": cells, "faulty_cells": faulty_cells,
            "fault_share": round(faulty_cells / max(cells, 1), 4), "faults_by_code": dict(sorted(by_code.items()))}


def generate_ledger(path: Path, n_rows: int, *, seed: int = 9, fault_rate: float = FAULT_RATE) -> dict:
    """Write one benchmark ledger; return its summary (rows, tasks, faults by expected code)."""
    texts = Texts(*_sentences())
    built = build_rows(n_rows, random.Random(seed * 1_000_003 + n_rows), fault_rate, texts)
    write_ledger(path, built)
    return {"file": path.name, **fault_summary(built)}


# --------------------------------------------------------------------------------------------
# Submissions
# --------------------------------------------------------------------------------------------


def generate_submissions(out_dir: Path, *, n: int = 50, rows: int = 2_000, seed: int = 9) -> dict:
    """A clean master and `n` departments' filled-in copies of it, in out_dir/master.xlsx and
    out_dir/submissions/."""
    texts = Texts(*_sentences())
    rng = random.Random(seed * 7 + rows)
    master = build_rows(rows, rng, 0.0, texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    sub_dir = out_dir / "submissions"
    sub_dir.mkdir(exist_ok=True)
    for old in sub_dir.glob("*.xlsx"):
        old.unlink()
    write_ledger(out_dir / "master.xlsx", master)
    departments = list(DEPARTMENTS[:n]) + [f"报送单位{i}" for i in range(len(DEPARTMENTS) + 1, n + 1)]
    departments = departments[:n]
    owner = {g: g % n for g in range(len(master.groups))}  # task group -> department
    stats = Counter()
    conflict_row = master.groups[0][0]  # departments 0 and 1 both edit this cell
    for d, dept in enumerate(departments):
        built = Built([list(r) for r in master.rows], list(master.groups))
        for g, (first, last) in enumerate(master.groups):
            if owner[g] != d:
                continue
            for r in range(first, last + 1):
                if rng.random() < 0.8:
                    built.rows[r][PROGRESS] = f"{dept}：{_progress(rng, texts) or '正在推进。'}（截至{rng.randint(6, 9)}月{rng.randint(1, 28)}日）"
                    stats["progress_edits"] += 1
                if rng.random() < 0.1:
                    built.rows[r][CONTACT], built.rows[r][PHONE] = _name(rng), f"3905{rng.randint(0, 9999):04d}"
                    stats["contact_edits"] += 2
        if d in (0, 1) and n > 1:
            built.rows[conflict_row][PROGRESS] = f"{dept}认为：{'已完成' if d == 0 else '未完成，需延期'}。"
            stats["conflicting_cells"] += d
        if d == 2 % n:  # a locked column: the deadline of one of its rows
            first, _ = master.groups[2 if len(master.groups) > 2 else 0]
            built.rows[first][DEADLINE] = "12月底前（申请延期）"
            stats["locked_edits"] += 1
        if d == 3 % n and n > 3:  # an inserted sub-item in its first task
            g = next(g for g in owner if owner[g] == d)
            first, last = built.groups[g]
            new = [None, None, None, None, f"{dept}新增：{_output(rng, texts)}", "12月底", "新增事项。", _name(rng), "39050000"]
            built.rows.insert(last + 1, new)
            built.groups = [(a + (a > last), b + (b >= last)) for a, b in built.groups]
            stats["inserted_rows"] += 1
        write_ledger(sub_dir / f"{dept}.xlsx", built, with_title=not (d == 4 % n and n > 4))
        if d == 4 % n and n > 4:
            stats["without_title_row"] += 1
    return {"master": "master.xlsx", "submissions": len(departments), "rows": rows, **dict(stats)}


# --------------------------------------------------------------------------------------------


def generate_all(out: Path, sizes=SIZES, submissions: int = 50, submission_rows: int = 2_000, seed: int = 9,
                 fault_rate: float = FAULT_RATE, verbose: bool = True) -> dict:
    """Write every benchmark input into `out` and a manifest.json describing them."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"version": VERSION, "seed": seed, "fault_rate": fault_rate, "year": YEAR, "ledgers": {}, "merge": None}
    for size in sizes:
        path = out / f"ledger_{size}.xlsx"
        info = generate_ledger(path, size, seed=seed, fault_rate=fault_rate)
        manifest["ledgers"][str(size)] = info
        if verbose:
            print(f"wrote {path}  {info['rows']} rows, {info['tasks']} tasks, "
                  f"{info['faulty_cells']} faulty cells ({info['fault_share']:.1%})")
    if submissions:
        manifest["merge"] = generate_submissions(out / "merge", n=submissions, rows=submission_rows, seed=seed)
        if verbose:
            print(f"wrote {out / 'merge'}: master.xlsx + {submissions} submissions of {submission_rows} rows")
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    ap.add_argument("--submissions", type=int, default=50)
    ap.add_argument("--submission-rows", type=int, default=2_000)
    ap.add_argument("--fault-rate", type=float, default=FAULT_RATE)
    ap.add_argument("--seed", type=int, default=9)
    a = ap.parse_args(argv)
    generate_all(a.out, a.sizes, a.submissions, a.submission_rows, a.seed, a.fault_rate)


if __name__ == "__main__":
    main()
