"""The unit registry: built-ins cover every unit in the five seeds, splitting, renames, files.

The seed tests extract the unit cells from the seed dumps programmatically (table columns of the
ledgers 000 / 002 / 003, the parenthesised 责任单位 of the notices 001 / 004) so a unit added to a
seed, or an alias dropped from a registry, shows up here rather than as a false error for a user.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import seed_000_rows, seed_text
from taizhang.validator.findings import RULES, Finding, Problem
from taizhang.validator.units import Registry, RegistryError, Unit, builtin_names, normalize_name

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- seed extraction


def _fields(text: str, start_marker: str) -> list[str]:
    """Fields of the tab-indented table dumps (002, 003): a line starting with a tab opens a
    field; other non-blank lines continue the open field (multi-line cells)."""
    body = text[text.index(start_marker):]
    fields: list[str] = []
    for line in body.splitlines():
        if line.startswith("\t"):
            fields.append(line[1:].strip())
        elif line.strip() and fields:
            fields[-1] = (fields[-1] + "\n" + line.strip()).strip()
    return fields


def _records(text: str, width: int) -> list[list[str]]:
    fields = _fields(text, "\t序号")
    assert len(fields) % width == 0, "the dump should hold whole rows"
    return [fields[i:i + width] for i in range(width, len(fields), width)]  # skip the header


def unit_cells() -> dict[str, tuple[str, int, list[str]]]:
    """seed -> (built-in registry, ledger year, unit cell texts)."""
    cells_000 = [r["责任单位"] for r in seed_000_rows() if r["责任单位"]]
    text_001 = seed_text("001")
    cells_001 = [m.group(1) for m in re.finditer(r"[（(]\s*责任单位\s*[:：](.*?)[)）]", text_001, re.S)]
    cells_001 += re.findall(r"^(各区.*?)[:：]\s*$", text_001, re.M)  # the addressees
    cells_002 = [c for rec in _records(seed_text("002"), 5) for c in rec[3:5] if c]
    cells_003 = [rec[2] for rec in _records(seed_text("003"), 4) if rec[2]]
    cells_004 = re.findall(r"（([^（）]*(?:负责|牵头|配合))）", seed_text("004"))
    return {
        "000": ("大连市", 2019, cells_000),
        "001": ("大连市", 2018, cells_001),
        "002": ("梨树县", 2019, cells_002),
        "003": ("天津市", 2017, cells_003),
        "004": ("辽宁省卫生健康委", 2019, cells_004),
    }


CELLS = unit_cells()


def test_extraction_found_the_unit_cells():
    counts = {seed: len(cells) for seed, (_, _, cells) in CELLS.items()}
    assert counts["000"] == 5  # one 责任单位 per task
    assert counts["001"] == 37  # 36 tasks + the addressee line
    assert counts["003"] == 40
    assert counts["002"] >= 80
    assert counts["004"] >= 25


@pytest.mark.parametrize("seed", sorted(CELLS))
@pytest.mark.parametrize("which", ["own", "all"])
def test_every_seed_unit_resolves_without_findings(seed, which):
    registry_name, year, cells = CELLS[seed]
    registry = Registry.load(registry_name) if which == "own" else Registry.builtin()
    unknown = {}
    for cell in cells:
        names = registry.split(cell)
        assert names, cell
        for name in names:
            if registry.resolve(name) is None:
                unknown[name] = cell
        assert registry.check(cell, year) == [], cell
    assert not unknown


def test_seed_units_named_in_the_brief_are_found():
    names = {seed: {n for c in cells for n in Registry.builtin().split(c)} for seed, (_, _, cells) in CELLS.items()}
    assert {"市卫生计生委", "市食药监局", "市工商局", "各区市县政府", "先导区管委会", "市人社局",
            "市发展改革委", "市财政局", "市委组织部", "大连银保监局筹备组", "市商务局", "市经信委",
            "各区、市、县人民政府", "各区、市、县政府"} <= names["001"]
    assert {"卫健局", "县卫健局", "医保局", "县医保局", "政数局", "政务数建局", "县委网信办", "银监局",
            "市场监督局", "编办", "县扶贫办", "县委宣传部"} <= names["002"]
    assert {"市卫生计生委", "市人力社保局", "市编办", "市民政局", "天津保监局", "市医改办"} <= names["003"]
    assert {"体改处", "医政医管处", "规信处", "药政处", "应急办", "办公室", "中医药健康处"} <= names["004"]
    assert {"市卫生健康委", "市市场监管局", "市医保局"} <= names["000"]


def test_seed_free_text_units_are_known():
    registry = Registry.builtin()
    for name in ["市委改革办", "市社会体制改革专项小组", "体改处（药物政策处）", "省卫生健康委",
                 "市深化医改领导小组成员单位", "各区市县卫生健康行政部门"]:
        assert registry.resolve(name) is not None, name


def test_seed_003_run_together_cells_split_into_two():
    registry = Registry.load("天津市")
    assert registry.split("市卫生计生委市人力社保局") == ["市卫生计生委", "市人力社保局"]
    assert registry.split("市卫生计生委市民政局") == ["市卫生计生委", "市民政局"]
    assert Registry.builtin().split("市卫生计生委市人力社保局") == ["市卫生计生委", "市人力社保局"]


def test_seed_002_variants_share_a_canonical_name():
    registry = Registry.load("梨树县")
    assert registry.canonical("医保局") == registry.canonical("县医保局") == "县医保局"
    assert registry.canonical("卫健局") == registry.canonical("县卫健局") == "县卫健局"
    assert registry.canonical("政数局") == registry.canonical("政务数建局") == "县政数局"
    assert registry.canonical("不存在的局") == "不存在的局"


# ----------------------------------------------------------------------------- the spec cases


def _message(problem: Problem, lang: str = "zh") -> str:
    return Finding(problem.code, "台账", 5, "牵头部门", "D5", "x", dict(problem.params)).message(lang)


def test_unknown_unit_suggests_the_closest_name():
    problems = Registry.load("梨树县").check("卫建局", 2019)
    assert problems == [Problem("unknown-unit", {
        "unit": "卫建局",
        "suggestion": {"zh": "，是否为「卫健局」？", "en": ", did you mean '卫健局'?"},
    })]
    assert _message(problems[0]) == "「卫建局」不在单位名录中，是否为「卫健局」？"
    assert _message(problems[0], "en") == "'卫建局' is not in the unit registry, did you mean '卫健局'?"
    assert RULES["unknown-unit"].severity == "error"


def test_unknown_unit_without_suggestion():
    (problem,) = Registry.load("梨树县").check("Acme Corporation Limited", 2019)[:1]
    assert problem.code == "unknown-unit"
    assert problem.params["suggestion"] == {"zh": "", "en": ""}
    assert _message(problem) == "「Acme」不在单位名录中"


@pytest.mark.parametrize("registry", ["大连市", "天津市", None])
def test_renamed_unit_warns_from_the_rename_year_on(registry):
    reg = Registry.from_option(registry)
    (problem,) = reg.check("市卫生计生委", 2019)
    assert problem.code == "renamed-unit"
    assert problem.params["unit"] == "市卫生计生委"
    assert problem.params["renamed_to"] == "市卫生健康委"
    assert re.fullmatch(r"201[89]-\d\d-\d\d", problem.params["renamed_on"])
    assert "已于" in _message(problem) and "市卫生健康委" in _message(problem)
    assert reg.check("市卫生计生委", 2017) == []
    assert reg.check("市卫生计生委", None) == []
    assert reg.check("市卫生健康委", 2019) == []


def test_rename_in_the_2018_notice_year_is_not_flagged_for_dalian():
    # Notice 001 (2018-11-27) still used the old names; the Dalian reform took effect in 2019.
    assert Registry.load("大连市").check("市卫生计生委、市食药监局、市工商局", 2018) == []
    problems = Registry.load("大连市").check("市卫生计生委、市食药监局、市工商局", 2019)
    assert [(p.params["unit"], p.params["renamed_to"]) for p in problems] == [
        ("市卫生计生委", "市卫生健康委"), ("市食药监局", "市市场监管局"), ("市工商局", "市市场监管局")]


def test_rename_chains_are_followed():
    reg = Registry("t", [Unit("甲局", renamed_to="乙局", renamed_on=_d(2010)), Unit("乙局", renamed_to="丙局",
                                                                                  renamed_on=_d(2015))])
    assert reg.check("甲局", 2012)[0].params["renamed_to"] == "乙局"
    assert reg.check("甲局", 2016)[0].params["renamed_to"] == "丙局"
    assert reg.resolve("丙局") is not None  # a rename target is known even if not listed


def _d(year: int):
    import datetime

    return datetime.date(year, 1, 1)


# ----------------------------------------------------------------------------- splitting


@pytest.mark.parametrize("text, expected", [
    ("市卫生健康委、市市场监管局、市医保局", ["市卫生健康委", "市市场监管局", "市医保局"]),
    ("卫健局\n\n工信局\n\n市场监督局", ["卫健局", "工信局", "市场监督局"]),
    ("市人社局，市卫生计生委;市财政局／市发展改革委", ["市人社局", "市卫生计生委", "市财政局", "市发展改革委"]),
    ("市卫生健康委 市医保局", ["市卫生健康委", "市医保局"]),
    ("市卫生健康委等", ["市卫生健康委"]),
    ("市卫生健康委、市医保局等部门", ["市卫生健康委", "市医保局"]),
    ("、、市卫生健康委，，", ["市卫生健康委"]),
    ("各区、市、县政府（先导区管委会）", ["各区、市、县政府", "先导区管委会"]),
    ("市卫生计生委,各区、市、县人民政府<先导区\n\n管委会>>", ["市卫生计生委", "各区、市、县人民政府", "先导区管委会"]),
    ("市卫生 健康委", ["市卫生健康委"]),  # a stray space inside a name
    ("体改处（药物政策处）", ["体改处（药物政策处）"]),  # registered as one name with brackets
    ("规信处牵头，体改处、医政医管处配合", ["规信处", "体改处", "医政医管处"]),
    ("", []),
    ("  \n ", []),
])
def test_split(text, expected):
    assert Registry.builtin().split(text) == expected


def test_split_keeps_an_unknown_run_together_name_whole():
    registry = Registry.builtin()
    # Only known names that one jurisdiction lists together are split apart.
    assert registry.split("市卫生健康委办公室") == ["市卫生健康委办公室"]
    assert registry.split("市卫生计生委某某局") == ["市卫生计生委某某局"]


def test_split_keeps_full_width_punctuation_and_resolves_full_width_text():
    registry = Registry.builtin()
    assert registry.resolve("市卫生健康委　") is not None
    assert registry.resolve("ｘ") is None
    assert registry.split(None) == []


def test_check_reports_each_name_once():
    problems = Registry.load("梨树县").check("卫建局、卫建局", 2019)
    assert len(problems) == 1


def test_closest():
    registry = Registry.load("梨树县")
    assert registry.closest("卫建局") == "卫健局"
    assert registry.closest("县医疗保障") == "县医疗保障局"
    assert registry.closest("完全无关的一段文字内容") is None
    assert registry.closest("") is None
    assert Registry("empty", []).closest("卫健局") is None


# ----------------------------------------------------------------------------- built-ins


def test_builtin_names_and_caching():
    assert builtin_names() == ["大连市", "辽宁省卫生健康委", "梨树县", "天津市"]
    assert Registry.builtin() is Registry.builtin()
    assert Registry.load("dalian") is Registry.load("大连市")
    merged = Registry.builtin(["大连市", "梨树县"])
    assert merged.resolve("卫健局") is not None and merged.resolve("市卫生健康委") is not None
    assert merged.resolve("规信处") is None
    with pytest.raises(RegistryError, match="没有名为"):
        Registry.builtin(["火星市"])


def test_builtin_registries_are_well_formed():
    for name in builtin_names():
        registry = Registry.load(name)
        assert len(registry.units) >= 10
        for unit in registry.units:
            assert unit.registry == name
            if unit.renamed_to:
                assert unit.renamed_on is not None, unit
                target = registry.resolve(unit.renamed_to)
                assert target is not None and target.renamed_to is None, unit
    for path in (ROOT / "templates" / "units").glob("*.yaml"):
        head = path.read_text(encoding="utf-8")
        assert re.search(r"^name: ", head, re.M) and "jurisdiction:" in head and "source:" in head
        assert "announcement date" in head


def test_merged_registry_prefers_own_names_over_aliases():
    # 市人力社保局 is Tianjin's own name and only an alias in Dalian's registry.
    assert Registry.builtin().resolve("市人力社保局").registry == "天津市"
    assert Registry.builtin().canonical("市人力社保局") == "市人力社保局"
    assert Registry.load("大连市").canonical("市人力社保局") == "市人社局"


def test_from_option(tmp_path):
    assert Registry.from_option(None) is Registry.builtin()
    assert Registry.from_option("") is Registry.builtin()
    assert Registry.from_option("梨树县") is Registry.load("梨树县")
    both = Registry.from_option("大连市，lishu")
    assert both.resolve("卫健局") and both.resolve("市卫生健康委") and not both.resolve("规信处")
    path = tmp_path / "mine.csv"
    path.write_text("名称,别名\n新区管委会,新区\n", encoding="utf-8")
    mixed = Registry.from_option(f"梨树县,{path}")
    assert mixed.resolve("新区") and mixed.resolve("卫健局")
    assert Registry.from_option(str(path)).resolve("新区管委会")
    with pytest.raises(RegistryError, match="找不到单位名录「火星市」"):
        Registry.from_option("火星市")


# ----------------------------------------------------------------------------- registry files


ROWS = [
    ["名称", "别名", "更名为", "更名日期"],
    ["市卫生健康委", "市卫健委、大连市卫生健康委员会", "", ""],
    ["市卫生计生委", "市卫计委", "市卫生健康委", "2019-01-01"],
    ["市医保局", "", "", ""],
]


def _check_loaded(registry: Registry) -> None:
    assert registry.canonical("市卫健委") == "市卫生健康委"
    assert registry.canonical("大连市卫生健康委员会") == "市卫生健康委"
    unit = registry.resolve("市卫计委")
    assert unit.name == "市卫生计生委" and unit.renamed_to == "市卫生健康委" and unit.renamed_on.year == 2019
    assert registry.check("市卫计委", 2019)[0].code == "renamed-unit"
    assert registry.check("市卫计委", 2018) == []
    assert registry.check("市医保局", 2019) == []


def test_load_csv(tmp_path):
    path = tmp_path / "units.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(ROWS)
    registry = Registry.load(path)
    assert registry.name == "units"
    _check_loaded(registry)


def test_load_csv_in_gbk_with_a_title_row(tmp_path):
    path = tmp_path / "units_gbk.csv"
    with open(path, "w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows([["单位名录（2019）"], *ROWS])
    _check_loaded(Registry.load(str(path)))


def test_load_xlsx(tmp_path):
    import datetime

    path = tmp_path / "units.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in ROWS:
        ws.append(row)
    ws["D3"] = datetime.datetime(2019, 1, 1)  # a real date cell
    ws["D3"].number_format = "yyyy-mm-dd"
    wb.save(path)
    _check_loaded(Registry.load(path))


def test_load_yaml(tmp_path):
    path = tmp_path / "units.yaml"
    path.write_text(
        "name: 测试市\n"
        "units:\n"
        "  - name: 市卫生健康委\n"
        "    aliases: [市卫健委, 大连市卫生健康委员会]\n"
        "  - 名称: 市卫生计生委\n"
        "    别名: 市卫计委\n"
        "    更名为: 市卫生健康委\n"
        "    更名日期: 2019年1月\n"
        "  - 市医保局\n",
        encoding="utf-8",
    )
    registry = Registry.load(path)
    assert registry.name == "测试市"
    _check_loaded(registry)
    assert all(u.registry == "测试市" for u in registry.units)


@pytest.mark.parametrize("suffix, content, match", [
    (".csv", "代码,备注\n市卫生健康委,x\n", "找不到「名称」列"),
    (".csv", "名称,别名\n,市卫健委\n", "第 2 行"),
    (".csv", "名称,更名为,更名日期\n市卫生计生委,市卫生健康委,明年\n", r"第 2 行.*更名日期「明年」"),
    (".csv", "名称,更名日期\n市卫生计生委,2018-12-01\n", "没有「更名为」"),
    (".csv", "名称,别名\n市卫生健康委,卫健委\n市医保局,卫健委\n", r"第 3 行.*「卫健委」已在第 2 行"),
    (".csv", "名称\n市医保局\n市医保局\n", "重复"),
    (".csv", "名称,更名为\n市医保局,市医保局\n", "更名为它自己"),
    (".csv", "名称\n", "没有任何单位"),
    (".yaml", "name: x\nunits: [\n", "无法读取"),
    (".yaml", "name: x\nunits:\n  - name: 甲局\n    colour: red\n", r"第 3 行.*未知字段「colour」"),
    (".yaml", "name: x\nunits: 甲局\n", "units 列表"),
    (".yaml", "name: x\nunits:\n  - name: 甲局\n  - aliases: [乙]\n", r"第 4 行.*「名称」为空"),
    (".xlsx", "not a zip file", "无法读取"),
    (".txt", "名称\n甲局\n", "格式不受支持"),
])
def test_bad_registry_files(tmp_path, suffix, content, match):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RegistryError, match=match) as info:
        Registry.load(path)
    assert f"bad{suffix}" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_registry_file(tmp_path):
    with pytest.raises(RegistryError, match="找不到单位名录"):
        Registry.load(tmp_path / "nope.csv")


# ----------------------------------------------------------------------------- properties


SEP = st.sampled_from(["、", "，", ",", ";", "；", "/", "\n", " ", "\n\n", "、 "])
BUILTIN = Registry.builtin()
PLAIN_NAMES = sorted({u.name for u in BUILTIN.units} | {a for u in BUILTIN.units for a in u.aliases})
PLAIN_NAMES = [n for n in PLAIN_NAMES if not re.search(r"[、,，;；/（）()<>]", n)]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_raises(text):
    names = BUILTIN.split(text)
    assert all(n and n == n.strip() for n in names)
    for problem in BUILTIN.check(text, 2019):
        assert problem.code in ("unknown-unit", "renamed-unit")
        assert problem.params["unit"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("市县卫生健康委计局人力社保、，\n （）等处办")), max_size=40))
def test_unit_like_text_never_raises(text):
    for name in BUILTIN.split(text):
        assert name
    BUILTIN.check(text, 2018)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PLAIN_NAMES), min_size=1, max_size=6), st.data())
def test_joined_names_split_back(names, data):
    text = names[0]
    for name in names[1:]:
        text += data.draw(SEP) + name
    got = BUILTIN.split(text)
    assert [BUILTIN.canonical(n) for n in got] == [BUILTIN.canonical(n) for n in names]


# ----------------------------------------------------------------------------- speed and imports


def test_split_and_check_are_fast():
    registry = Registry.builtin()
    texts = [f"市卫生健康委、市医保局{i}、县卫健局\n财政局" for i in range(2000)]
    texts += [f"市卫生计生委市人力社保局{i}" for i in range(2000)]
    start = time.perf_counter()
    for text in texts:
        registry.check(text, 2019)
    assert time.perf_counter() - start < 5.0  # ~4,000 distinct cells; typically well under 1 s


def test_no_pandas_at_import():
    code = "import sys, validator.units, validator.contacts; assert 'pandas' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_normalize_name():
    assert normalize_name(" 市卫生 健康委\n") == "市卫生健康委"
    assert normalize_name("ＡＢＣ，") == "ABC,"


def test_registry_header_prefers_the_exact_name_column(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("序号,单位,名称,别名\n1,卫生系统,市卫生健康委,市卫健委\n", encoding="utf-8")
    registry = Registry.load(path)
    assert registry.canonical("市卫健委") == "市卫生健康委"
    assert registry.resolve("卫生系统") is None
