"""The fast merge (the master's XML carried through, ledgerops/merge_fast.py) gives the workbook
and the report the openpyxl path gives: every value, style, merged range, note, dropdown, lock,
sheet and defined name (tests/xlsx_compare.py, full), and the same findings, on the golden cases,
a split 20-department ledger merged back, the examples, every corpus layout and second rounds
(a master that already has 合并记录, 冲突 and notes, as a first round or a person left them).

Each case is merged twice from the same inputs, once with `fast=False`; the fast run fails if it
falls back to openpyxl where it should not, so the comparison is never openpyxl against itself.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import EX000, EX002, EX003  # noqa: E402
from test_corpus import CASES as CORPUS  # noqa: E402
from test_corpus import LAYOUTS  # noqa: E402
from test_split_merge_output import GENERATED, _edit, _masked, make_split  # noqa: E402
from xlsx_compare import differences  # noqa: E402


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Fail if the merge loads the master with openpyxl: the case must take the fast path."""
    from taizhang.ledgerops import merge_out

    def refuse(*args, **kwargs):
        raise AssertionError("the merge fell back to openpyxl")

    monkeypatch.setattr(merge_out, "build_out", refuse)


def _both(master: Path, inputs: list[Path], folder: Path, monkeypatch, *, fast_expected: bool = True,
          **kwargs) -> tuple[dict, dict]:
    """Merge with openpyxl, then fast; both outputs' masked snapshots and reports must be equal."""
    from taizhang.ledgerops import merge_fast, merge_out
    from taizhang.ledgerops.merge import merge_ledgers

    slow_out, fast_out = folder / "slow.xlsx", folder / "fast.xlsx"
    slow = merge_ledgers(master, inputs, slow_out, fast=False, **kwargs)
    build, attempt = merge_out.build_out, merge_fast.fast_out
    calls, why = [], []

    def trying(*a, **k):
        try:
            return attempt(*a, **k)
        except merge_fast.FastPathUnavailable as exc:
            why.append(str(exc))
            raise

    monkeypatch.setattr(merge_out, "build_out", lambda *a, **k: calls.append(1) or build(*a, **k))
    monkeypatch.setattr(merge_fast, "fast_out", trying)
    fast = merge_ledgers(master, inputs, fast_out, **kwargs)
    monkeypatch.setattr(merge_out, "build_out", build)
    monkeypatch.setattr(merge_fast, "fast_out", attempt)
    if fast_expected is not None:
        assert bool(calls) != fast_expected, f"fell back to openpyxl: {why}" if calls else "took the fast path"
    diffs = differences(_masked(slow_out), _masked(fast_out))
    assert not diffs, "\n".join(diffs)
    a, b = slow.to_dict(), fast.to_dict()
    a.pop("out"), b.pop("out")
    for entry in a["new_rows"] + b["new_rows"]:
        entry.pop("row", None)
    assert a == b
    assert [f.to_dict("zh") for f in slow.findings] == [f.to_dict("zh") for f in fast.findings]
    return a, _masked(fast_out)


def _master(src: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, folder / "台账.xlsx")
    return folder / "台账.xlsx"


def _set(path: Path, row_text: str, changes: dict[str, str]) -> None:
    """Change cells (by column name) of the row whose 重要成果形式 is `row_text`."""
    import openpyxl

    from taizhang.validator.reader import read_ledger

    ledger = read_ledger(path)
    row = ledger.rows[ledger.values["重要成果形式"].index(row_text)]
    wb = openpyxl.load_workbook(path)
    for name, value in changes.items():
        wb[ledger.sheet].cell(row, ledger.columns[name].index).value = value
    wb.save(path)


def _disagree(split: Path, first: str, second: str) -> dict[Path, list]:
    """Two departments given the same row (two liaisons share it) write different 推进情况.
    Returns each file's 重要成果形式 column."""
    from taizhang.validator.reader import read_ledger

    rows = {f: read_ledger(f).values["重要成果形式"] for f in sorted(split.glob("*.xlsx"))}
    a, b, shared = next((a, b, t) for a in rows for b in rows if a < b for t in rows[a] if t in rows[b])
    _set(a, shared, {"推进情况": first})
    _set(b, shared, {"推进情况": second})
    return rows


def test_edits_a_locked_column_and_a_conflict_on_the_example(tmp_path, monkeypatch):
    split = make_split(EX000, tmp_path, None)
    rows = _disagree(split, "已完成：按季度报送进展", "第二个处室的不同说法")
    big = max(rows, key=lambda f: len(rows[f]))  # a locked change leaves the rest of the file to match
    _set(big, rows[big][-1], {"重要成果形式": rows[big][-1] + "（擅自改动）", "联系人": "王五"})
    report, snap = _both(tmp_path / "台账.xlsx", [split], tmp_path, monkeypatch)
    assert (report["summary"]["rejected"], report["summary"]["conflicts"]) == (1, 1)
    assert [title for title, _ in snap["sheets"]][-2:] == ["合并记录", "冲突"]
    ledger = snap[snap["sheets"][0][0]]["cells"]
    conflict = ledger[report["conflicts"][0]["cell"]]
    assert conflict[3] == ("solid", "F8CBAD") and "第二个处室的不同说法" in conflict[-1]
    applied = ledger[report["applied"][0]["cell"]]
    assert applied[0] == "王五" and applied[3] == ("solid", "C6EFCE")


@pytest.mark.parametrize("cores", [1, 2])
def test_invalid_values_conflicts_and_new_rows_not_added(tmp_path, monkeypatch, cores):
    """A bad phone number (applied, marked light red with a note), two departments disagreeing
    (orange, a note, the 冲突 sheet) and a new row left out: notes written by the fast path.
    On two cores OUT is put together while it is validated, and again once the bad value is
    known; on one, validated first."""
    from taizhang.ledgerops import merge_fast, merge_gather
    from taizhang.validator.reader import read_ledger

    if cores == 1:
        monkeypatch.setattr(merge_fast, "_findings_later", lambda *args: None)
        monkeypatch.setattr(merge_gather, "_workers", lambda files: 1)

    split = make_split(GENERATED, tmp_path, "责任单位")
    files = sorted(split.glob("*.xlsx"))
    ledger = read_ledger(files[0])
    phone = ledger.column_for_role("phone").name
    progress = [n for n, c in ledger.columns.items() if c.definition.editable and c.definition.role != "phone"][0]
    _edit(files[0], {phone: "12345", progress: "=并非公式，按文字写入"})
    _edit(files[1], {progress: "本月已召开推进会"})
    import openpyxl

    sub = read_ledger(files[2])
    wb = openpyxl.load_workbook(files[2])
    ws = wb[sub.sheet]
    ws.insert_rows(sub.rows[0] + 1)
    for name, col in sub.columns.items():
        if col.definition.level != "task":
            ws.cell(sub.rows[0] + 1, col.index).value = f"新增：{col.header}"
    wb.save(files[2])
    report, snap = _both(tmp_path / "台账.xlsx", [split], tmp_path, monkeypatch)
    assert report["summary"]["new_rows"] == 1 and report["new_rows"][0]["added"] is False
    bad = [f for f in report["findings"] if f["changed"]]
    assert bad, "the bad phone number is validated in OUT"
    value, _, _, fill, *rest = snap[snap["sheets"][0][0]]["cells"][bad[0]["cell"]]
    assert value == "12345" and fill == ("solid", "FFC7CE") and "未通过校验" in rest[-1]
    formula_text = next(a for a in report["applied"] if a["new"].startswith("="))
    assert snap[snap["sheets"][0][0]]["cells"][formula_text["cell"]][0] == "=并非公式，按文字写入"


def test_merging_split_files_back_unchanged(tmp_path, monkeypatch):
    """The bench's merge back: every split file, nothing changed; OUT is the master plus 合并记录."""
    split = make_split(GENERATED, tmp_path, "责任单位")
    report, snap = _both(tmp_path / "台账.xlsx", [split], tmp_path, monkeypatch)
    assert report["summary"]["applied"] == 0 and len(report["merged"]) == len(list(split.glob("*.xlsx"))) > 10
    with zipfile.ZipFile(tmp_path / "台账.xlsx") as a, zipfile.ZipFile(tmp_path / "fast.xlsx") as b:
        sheet = "xl/worksheets/sheet1.xml"
        assert a.read(sheet) == b.read(sheet)  # carried over byte for byte


def test_inserted_rows_take_the_openpyxl_path(tmp_path, monkeypatch):
    split = make_split(EX000, tmp_path, None)
    files = sorted(split.glob("*.xlsx"))
    import openpyxl

    from taizhang.validator.reader import read_ledger

    sub = read_ledger(files[0])
    wb = openpyxl.load_workbook(files[0])
    ws = wb[sub.sheet]
    ws.insert_rows(sub.rows[0] + 1)
    ws.cell(sub.rows[0] + 1, sub.columns["重要成果形式"].index).value = "新增的一项"
    wb.save(files[0])
    report, _ = _both(tmp_path / "台账.xlsx", [split], tmp_path, monkeypatch, fast_expected=False,
                      accept_new_rows=True)
    assert report["new_rows"][0]["added"] is True


def _first_round(tmp_path: Path, *, conflict: bool) -> tuple[Path, Path, Path]:
    """A real first round on the example (fast): one applied edit and, with `conflict`, two
    departments disagreeing. Returns its OUT and the two files that edited."""
    from taizhang.ledgerops.merge import merge_ledgers

    split = make_split(EX000, tmp_path, None)
    if conflict:
        rows = _disagree(split, "甲：第一轮已完成", "乙：第一轮推进中")
        a, b = [f for f in rows if "甲：第一轮已完成" in str(_cells(f)) or "乙：第一轮推进中" in str(_cells(f))]
    else:
        a, b = sorted(split.glob("*.xlsx"))[:2]
    _edit(a, {"联系人": "王五"})
    first = tmp_path / "第一轮.xlsx"
    report = merge_ledgers(tmp_path / "台账.xlsx", [split], first)
    assert (len(report.applied), len(report.conflicts)) == (1, int(conflict))
    return first, a, b


def _cells(path: Path) -> list:
    import openpyxl

    return [c.value for row in openpyxl.load_workbook(path).worksheets[0].iter_rows() for c in row]


def _round(folder: Path, files: list[Path]) -> Path:
    """The files a department sends back in a later round, in a folder of their own."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        shutil.copy(f, folder / f.name)
    return folder


def _log_rows(snap: dict) -> list[tuple]:
    cells = snap["合并记录"]["cells"]
    rows = sorted({int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for ref in cells})
    return [tuple(cells.get(f"{c}{r}", (None,))[0] for c in "ABCDEFGH") for r in rows]


def test_a_second_round_appends_to_the_log_and_drops_the_old_conflicts(tmp_path, monkeypatch, no_openpyxl):
    """Round 1 left 合并记录 (the applied edit, the conflict's two proposals) and 冲突; in round 2
    only one of the two departments sends its file again: its value is applied, the row goes
    below round 1's, and 冲突 is gone."""
    first, a, _ = _first_round(tmp_path, conflict=True)
    before = _log_rows(_masked(first))
    monkeypatch.undo()
    report, snap = _both(first, [_round(tmp_path / "第二轮", [a])], tmp_path, monkeypatch)
    assert [t for t, _ in snap["sheets"]] == ["工作台账", "合并记录"]
    rows = _log_rows(snap)
    assert rows[:len(before)] == before and len(before) == 4  # header, applied, two proposals
    assert [r[6] for r in rows[len(before):]] == ["已应用"]
    assert rows[-1][3] in ("甲：第一轮已完成", "乙：第一轮推进中") and snap["合并记录"]["filter"] == "A1:H5"
    assert report["summary"]["conflicts"] == 0


def test_a_second_round_with_a_conflict_replaces_the_conflict_sheet(tmp_path, monkeypatch, no_openpyxl):
    """Round 2 has its own conflict: 冲突 lists only round 2's, after 合并记录."""
    first, a, _ = _first_round(tmp_path, conflict=False)
    assert "冲突" not in [t for t, _ in _masked(first)["sheets"]]
    rows = _disagree(a.parent, "甲：第二轮", "乙：第二轮")
    files = [f for f in rows if {"甲：第二轮", "乙：第二轮"} & set(map(str, _cells(f)))]
    monkeypatch.undo()
    report, snap = _both(first, [_round(tmp_path / "第二轮", files)], tmp_path, monkeypatch)
    assert [t for t, _ in snap["sheets"]] == ["工作台账", "合并记录", "冲突"]
    assert report["summary"]["conflicts"] == 1
    assert {snap["冲突"]["cells"][f"E{r}"][0] for r in (2, 3)} == {"甲：第二轮", "乙：第二轮"}


def test_a_second_round_with_the_same_conflict(tmp_path, monkeypatch, no_openpyxl):
    """The bench's second round: the same files again. The conflict comes back: its note goes
    below round 1's on the cell, 冲突 is made anew, 合并记录 grows."""
    first, a, _ = _first_round(tmp_path, conflict=True)
    monkeypatch.undo()
    report, snap = _both(first, [a.parent], tmp_path, monkeypatch)
    assert [t for t, _ in snap["sheets"]] == ["工作台账", "合并记录", "冲突"]
    note = snap["工作台账"]["cells"][report["conflicts"][0]["cell"]][-1]
    assert note.count("乙：第一轮推进中") == 2 and "\n—\n" in note
    assert len(_log_rows(snap)) == 4 + 2 and len(snap["冲突"]["cells"]) == 3 * 5


def test_a_second_round_over_a_hand_edited_log(tmp_path, monkeypatch, no_openpyxl):
    """Someone went over 合并记录 in Excel before round 2: a column widened, a check mark with a
    fill beside a row, the last row cleared, a sheet of their own after 冲突. Round 2 appends
    below the last cell left, and 冲突 (gone this round) leaves 备注 where it was."""
    import openpyxl
    from openpyxl.styles import PatternFill

    first, a, _ = _first_round(tmp_path, conflict=True)
    wb = openpyxl.load_workbook(first)
    log = wb["合并记录"]
    log.column_dimensions["H"].width = 60
    log["I2"] = "已核对"
    log["I2"].fill = PatternFill("solid", fgColor="FFFF00")
    for cell in log[log.max_row]:
        cell.value = None
    wb.create_sheet("备注")["A1"] = "第二轮前由综合处核对"
    wb.save(first)  # shared strings, openpyxl's own XML: not what the fast path wrote
    monkeypatch.undo()
    report, snap = _both(first, [_round(tmp_path / "第二轮", [a])], tmp_path, monkeypatch)
    assert [t for t, _ in snap["sheets"]] == ["工作台账", "合并记录", "备注"]
    assert snap["合并记录"]["cells"]["I2"][:1] == ("已核对",) and snap["合并记录"]["widths"]["H"] == 60


def test_a_log_with_merged_cells_takes_the_openpyxl_path(tmp_path, monkeypatch, no_openpyxl):
    import openpyxl

    first, a, _ = _first_round(tmp_path, conflict=False)
    wb = openpyxl.load_workbook(first)
    wb["合并记录"].merge_cells("A2:B2")
    wb.save(first)
    _edit(a, {"推进情况": "第二轮"})
    monkeypatch.undo()
    _both(first, [_round(tmp_path / "第二轮", [a])], tmp_path, monkeypatch, fast_expected=False)


@pytest.mark.parametrize("example", [EX002, EX003], ids=["002", "003"])
def test_examples(example, tmp_path, monkeypatch):
    split = make_split(example, tmp_path, None)
    files = sorted(split.glob("*.xlsx"))
    from taizhang.validator.reader import read_ledger

    ledger = read_ledger(files[0])
    task = ledger.column_for_role("task").name  # these have no editable column: a locked task text changed
    _edit(max(files, key=lambda f: len(read_ledger(f))), {task: "擅自改动的任务"})
    report, _ = _both(tmp_path / "台账.xlsx", [split], tmp_path, monkeypatch)
    assert report["summary"]["rejected"] == 1


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    LAYOUTS.build_all(out)
    return out


XLSX_CORPUS = [c for c in CORPUS if c.file.endswith(".xlsx")]


@pytest.mark.parametrize("case", XLSX_CORPUS, ids=[c.name for c in XLSX_CORPUS])
def test_corpus_layouts(case, corpus, tmp_path, monkeypatch):
    """Each real-world layout merged with a copy in which one editable cell changed: formulas,
    date cells, merged task groups, sections, notes and dropdowns read the same on both paths."""
    import openpyxl

    from taizhang.validator.reader import read_ledger

    master = _master(corpus / case.file, tmp_path / "in")
    ledger = read_ledger(master)
    sub = tmp_path / "in" / "处室.xlsx"
    wb = openpyxl.load_workbook(master)
    editable = [c for c in ledger.columns.values() if c.definition.editable]
    if editable and ledger.rows:
        wb[ledger.sheet].cell(ledger.rows[-1], editable[0].index).value = "本月已完成"
    wb.save(sub)
    sheet_xml = b"".join(zipfile.ZipFile(master).read(n) for n in zipfile.ZipFile(master).namelist()
                         if n.startswith("xl/worksheets/sheet"))
    notes_on_sheet = b"<legacyDrawing" in sheet_xml
    report, _ = _both(master, [sub], tmp_path, monkeypatch, fast_expected=None if notes_on_sheet else True)
    assert report["merged"] == ["处室.xlsx"]


def _rich_master(folder: Path) -> Path:
    """The example with what real masters carry: a note on the title, a dropdown on 推进情况, a
    hyperlink, a date cell and a formula in data rows, and a second sheet before the ledger."""
    import datetime as dt

    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.worksheet.datavalidation import DataValidation

    from taizhang.validator.reader import read_ledger

    ledger = read_ledger(EX000)
    wb = openpyxl.load_workbook(EX000)
    ws = wb[ledger.sheet]
    ws["A1"].comment = Comment("2019 年版，按季度更新", "综合处")
    dv = DataValidation(type="list", formula1='"未启动,推进中,已完成"', allow_blank=True)
    dv.add(f"{ledger.columns['推进情况'].letter}{ledger.rows[0]}:{ledger.columns['推进情况'].letter}{ledger.rows[-1]}")
    ws.add_data_validation(dv)
    ws.cell(ledger.rows[1], ledger.columns["重要成果形式"].index).hyperlink = "https://example.org/方案"
    ws.cell(ledger.rows[2], ledger.columns["推进情况"].index).value = dt.datetime(2019, 9, 30)
    ws.cell(ledger.rows[3], ledger.columns["联系电话"].index).value = '="0411-"&"83638000"'
    wb.create_sheet("说明", 0)["A1"] = "本表由综合处维护"
    path = _master(EX000, folder)
    wb.save(path)
    return path


def test_a_master_with_notes_dropdowns_links_dates_and_formulas(tmp_path, monkeypatch):
    """No note to write: the fast path keeps the master's note, dropdown, link, date and formula,
    and an edit over the formula cell replaces it with the value."""
    from taizhang.validator.reader import read_ledger

    _rich_master(tmp_path)
    split = make_split(tmp_path / "台账.xlsx", tmp_path / "s", None)
    rows = {f: read_ledger(f) for f in sorted(split.glob("*.xlsx"))}
    master = read_ledger(tmp_path / "台账.xlsx")
    formula_row = master.values["重要成果形式"][3]
    holder = next(f for f, led in rows.items() if formula_row in led.values["重要成果形式"])
    _set(holder, formula_row, {"联系电话": "0411-83638001"})
    report, snap = _both(tmp_path / "台账.xlsx", [split], tmp_path, monkeypatch)
    assert [t for t, _ in snap["sheets"]] == ["说明", "工作台账", "合并记录"]
    cells = snap["工作台账"]["cells"]
    assert cells["A1"][-1] == "2019 年版，按季度更新"
    assert snap["工作台账"]["validations"] and report["applied"][0]["new"] == "0411-83638001"
    assert cells[report["applied"][0]["cell"]][0] == "0411-83638001"


def test_a_conflict_on_a_sheet_with_notes(tmp_path, monkeypatch):
    """A note to add where the master has notes: every note of the sheet rewritten, as openpyxl
    writes them, the title's note kept."""
    _rich_master(tmp_path)
    split = make_split(tmp_path / "台账.xlsx", tmp_path / "s", None)
    _disagree(split, "已完成", "推进中")
    report, snap = _both(tmp_path / "台账.xlsx", [split], tmp_path, monkeypatch)
    assert report["summary"]["conflicts"] == 1
    cells = snap["工作台账"]["cells"]
    assert cells["A1"][-1] == "2019 年版，按季度更新" and "• " in cells[report["conflicts"][0]["cell"]][-1]


def test_a_sheet_whose_vml_is_more_than_notes_takes_the_openpyxl_path(tmp_path, monkeypatch):
    """A shape that is not a note in the sheet's VML (a form control): openpyxl drops it, and
    the fast path, which would keep it, steps aside."""
    _rich_master(tmp_path)
    split = make_split(tmp_path / "台账.xlsx", tmp_path / "s", None)
    _disagree(split, "已完成", "推进中")
    master = tmp_path / "台账.xlsx"
    with zipfile.ZipFile(master) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    vml = next(n for n in members if n.endswith(".vml"))
    members[vml] = members[vml].replace(b'ObjectType="Note"', b'ObjectType="Checkbox"', 1)
    with zipfile.ZipFile(master, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    _both(master, [split], tmp_path, monkeypatch, fast_expected=False)


def test_libreoffice_opens_the_fast_output(tmp_path, monkeypatch):
    """The grafted sheets, inline strings, added fills and notes read in another program."""
    from lo import pdf_text, to_pdf

    from taizhang.ledgerops.merge import merge_ledgers

    split = make_split(EX000, tmp_path, None)
    rows = _disagree(split, "甲处室：已完成招标", "乙处室：尚未启动")
    big = max(rows, key=lambda f: len(rows[f]))
    _set(big, rows[big][0], {"推进情况": "已印发实施方案 & 配套细则 <第一批>"})
    monkeypatch.setattr("taizhang.ledgerops.merge_out.build_out", None)  # the fast path, or a TypeError
    out = tmp_path / "合并.xlsx"
    merge_ledgers(tmp_path / "台账.xlsx", [split], out)
    text = pdf_text(to_pdf(out, tmp_path / "pdf"))
    for seen in ("已印发实施方案 & 配套细则 <第一批>", "已应用", "冲突：保留原值", "乙处室：尚未启动"):
        assert seen in text, seen


def test_reading_on_two_cores_gives_what_one_gives(tmp_path, monkeypatch):
    """Submissions read by two forked processes: the same report as one process, file by file."""
    from taizhang.ledgerops import merge_gather
    from taizhang.ledgerops.merge import merge_ledgers

    split = make_split(GENERATED, tmp_path, "责任单位")
    files = sorted(split.glob("*.xlsx"))
    _edit(files[0], {"推进情况": "甲：已完成"})
    _edit(files[3], {"推进情况": "乙：推进中"})
    (split / "说明.txt").write_text("不是表格", encoding="utf-8")
    (split / "坏文件.xlsx").write_bytes(b"PK\x03\x04 damaged")
    reports, seen = [], []
    for workers in (1, 2):
        monkeypatch.setattr(merge_gather, "_workers", lambda n, w=workers: w)
        calls: list[tuple[int, int]] = []
        result = merge_ledgers(tmp_path / "台账.xlsx", [split], tmp_path / f"out{workers}.xlsx",
                               progress=lambda done, total, path: calls.append((done, total)))
        report = result.to_dict()
        report.pop("out")
        reports.append(report)
        seen.append(calls)
    assert reports[0] == reports[1] and seen[0] == seen[1]
    assert reports[0]["summary"]["applied"] == 2 and len(reports[0]["skipped"]) == 2
