"""Build the example ledgers in examples/ from the seed text dumps in examples/sources/.

    python examples/build_examples.py            # writes into examples/
    python examples/build_examples.py --out DIR  # writes into DIR

Each workbook is laid out the way a reform office keeps a ledger in Excel: the title in row 1
(merged across the table), the header in row 2, data from row 3; a task (a row with a 序号) and
its continuation sub-item rows (no 序号) form a task group whose task-level cells are merged
vertically, value in the top cell only.

The output is deterministic: fixed workbook properties and fixed zip timestamps, so re-running
the script gives byte-identical files (for a given openpyxl / zlib).
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import io
import math
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"

FIXED_TIME = dt.datetime(2019, 4, 22, 0, 0, 0)  # date of the Dalian notice (seed 000)
ZIP_TIME = (2019, 4, 22, 0, 0, 0)
CREATOR = "taizhang examples/build_examples.py"

FONT_NAME = "宋体"


# --------------------------------------------------------------------------------------------
# Ledger model
# --------------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """A parsed ledger: title, header and rows (each a list of str, "" for a blank cell)."""

    key: str
    filename: str  # output .xlsx name
    sheet: str
    title: str
    header: list[str]
    rows: list[list[str]]
    widths: dict[str, float]
    task_columns: list[str]  # merged over the whole task group
    same_as_above_columns: list[str] = field(default_factory=list)  # merged when ALL blank
    centred: set[str] = field(default_factory=set)
    text_columns: set[str] = field(default_factory=set)  # number_format "@"

    @property
    def groups(self) -> list[tuple[int, int]]:
        """(first, last) 0-based row indices of each task group."""
        starts = [i for i, r in enumerate(self.rows) if r[0] != ""]
        ends = [s - 1 for s in starts[1:]] + [len(self.rows) - 1]
        return list(zip(starts, ends))


def _check_rows(header: list[str], rows: list[list[str]], src: str) -> None:
    n = len(header)
    if not rows or rows[0][0] == "":
        raise ValueError(f"{src}: first data row has no 序号")
    expected = 1
    for r in rows:
        if len(r) != n:
            raise ValueError(f"{src}: row has {len(r)} cells, expected {n}: {r!r}")
        if r[0] != "":
            if not r[0].isdigit() or int(r[0]) != expected:
                raise ValueError(f"{src}: 序号 {r[0]!r} where {expected} was expected")
            expected += 1
        elif r[1] != "":
            raise ValueError(f"{src}: continuation row with a task-level value: {r!r}")


def parse_tsv_dump(path: Path, header_start: str = "序号\t") -> tuple[str, list[str], list[list[str]]]:
    """Seed 000: tab-separated rows; continuation rows have blank task-level cells.

    Everything before the title (the notice) is dropped, blank lines are ignored, and a trailing
    markdown separator line (cells of dashes) is dropped.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    h = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    title = next(line.strip() for line in reversed(lines[:h]) if line.strip())
    header = lines[h].split("\t")
    rows = []
    for line in lines[h + 1 :]:
        if not line.strip():
            continue
        cells = line.split("\t")
        if all(re.fullmatch(r"-+", c.strip()) for c in cells):
            continue  # markdown table artefact
        rows.append(cells)
    _check_rows(header, rows, path.name)
    return title, header, rows


def parse_cell_dump(path: Path, ncols: int) -> tuple[str, list[str], list[list[str]]]:
    """Seeds 002/003: each cell on its own line starting with a tab; a line without the tab
    continues the previous cell (a real line break in the cell); blank lines are layout noise.
    Cells are taken ncols at a time.
    """
    lines = path.read_text(encoding="utf-8").split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("\t"))
    title = next(line.strip() for line in reversed(lines[:first]) if line.strip())
    cells: list[list[str]] = []
    for line in lines[first:]:
        if line.startswith("\t"):
            cells.append([line[1:]])
        elif line.strip():
            cells[-1].append(line)
    flat = ["\n".join(parts) for parts in cells]
    if len(flat) % ncols:
        raise ValueError(f"{path.name}: {len(flat)} cells is not a multiple of {ncols}")
    table = [flat[i : i + ncols] for i in range(0, len(flat), ncols)]
    header, rows = table[0], table[1:]
    _check_rows(header, rows, path.name)
    return title, header, rows


def _expect_header(header: list[str], expected: list[str], src: str) -> None:
    if header != expected:
        raise ValueError(f"{src}: header {header!r}, expected {expected!r}")


def load_000(sources: Path) -> Ledger:
    src = sources / "000_44bc7887b8a578e8.txt"
    title, header, rows = parse_tsv_dump(src)
    _expect_header(
        header,
        ["序号", "任务分类", "改革事项", "责任单位", "重要成果形式", "完成时限及主要节点", "推进情况", "联系人", "联系电话"],
        src.name,
    )
    return Ledger(
        key="000",
        filename="000_dalian_2019_reform_ledger.xlsx",
        sheet="工作台账",
        title=title,
        header=header,
        rows=rows,
        widths={
            "序号": 6, "任务分类": 24, "改革事项": 34, "责任单位": 14, "重要成果形式": 28,
            "完成时限及主要节点": 22, "推进情况": 40, "联系人": 10, "联系电话": 13,
        },
        task_columns=["序号", "任务分类", "改革事项", "责任单位"],
        centred={"序号", "责任单位", "联系人", "联系电话"},
        text_columns={"联系电话"},
    )


def load_002(sources: Path) -> Ledger:
    src = sources / "002_dd653fa85bb77b0a.txt"
    title, header, rows = parse_cell_dump(src, 5)
    _expect_header(header, ["序号", "重点任务", "具体工作", "牵头部门", "配合部门"], src.name)
    return Ledger(
        key="002",
        filename="002_lishu_2019_key_tasks.xlsx",
        sheet="重点工作任务台帐",
        title=title,
        header=header,
        rows=rows,
        widths={"序号": 6, "重点任务": 22, "具体工作": 60, "牵头部门": 14, "配合部门": 14},
        task_columns=["序号", "重点任务"],
        same_as_above_columns=["牵头部门", "配合部门"],
        centred={"序号", "牵头部门", "配合部门"},
    )


def load_003(sources: Path) -> Ledger:
    src = sources / "003_5c8964ac99dd4409.txt"
    title, header, rows = parse_cell_dump(src, 4)
    _expect_header(header, ["序号", "工作任务", "牵头部门", "时间进度"], src.name)
    return Ledger(
        key="003",
        filename="003_tianjin_2017_task_division.xlsx",
        sheet="任务分工及进度安排",
        title=title,
        header=header,
        rows=rows,
        widths={"序号": 6, "工作任务": 70, "牵头部门": 22, "时间进度": 24},
        task_columns=["序号", "工作任务"],
        centred={"序号", "牵头部门"},
    )


LOADERS = [load_000, load_002, load_003]


# --------------------------------------------------------------------------------------------
# Merges
# --------------------------------------------------------------------------------------------


def merge_blocks(ledger: Ledger) -> list[tuple[int, int, int]]:
    """(column index, first row, last row), 0-based data rows, each spanning >= 2 rows.

    Task-level columns span the whole task group. "Same as above" columns: a continuation row
    whose same-as-above cells are ALL blank joins the block of the row above.
    """
    blocks = []
    cols = [ledger.header.index(c) for c in ledger.task_columns]
    saa = [ledger.header.index(c) for c in ledger.same_as_above_columns]
    for first, last in ledger.groups:
        if last > first:
            blocks += [(c, first, last) for c in cols]
        if saa:
            start = first
            for i in range(first + 1, last + 2):
                joins = i <= last and all(ledger.rows[i][c] == "" for c in saa)
                if not joins:
                    if i - 1 > start:
                        blocks += [(c, start, i - 1) for c in saa]
                    start = i
    return sorted(blocks)


# --------------------------------------------------------------------------------------------
# Workbook
# --------------------------------------------------------------------------------------------

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TITLE_FONT = Font(name=FONT_NAME, size=16, bold=True)
HEADER_FONT = Font(name=FONT_NAME, size=11, bold=True)
BODY_FONT = Font(name=FONT_NAME, size=11)
LINE_HEIGHT = 15.0  # points per wrapped line at 11 pt


def _display_width(text: str) -> float:
    """Width in Excel column units: CJK / full-width about 2, ASCII about 1.1."""
    return sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in text)


def _lines_needed(text: str, width: float) -> int:
    usable = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(_display_width(part) / usable)) for part in text.split("\n"))


def _row_heights(ledger: Ledger, blocks: list[tuple[int, int, int]]) -> list[float]:
    merged_at = {(c, r) for c, f, l in blocks for r in range(f, l + 1)}
    widths = [ledger.widths[h] for h in ledger.header]
    heights = []
    for r, row in enumerate(ledger.rows):
        lines = max(
            (_lines_needed(v, widths[c]) for c, v in enumerate(row) if v and (c, r) not in merged_at),
            default=1,
        )
        heights.append(lines * LINE_HEIGHT + 6)
    for c, f, l in blocks:  # make a merged cell's text fit in the rows it spans
        need = _lines_needed(ledger.rows[f][c], widths[c]) * LINE_HEIGHT + 6
        have = sum(heights[f : l + 1])
        if need > have:
            extra = (need - have) / (l - f + 1)
            for r in range(f, l + 1):
                heights[r] += extra
    return [round(h, 1) for h in heights]


def build_workbook(ledger: Ledger) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = ledger.sheet
    ncols = len(ledger.header)
    last_col = get_column_letter(ncols)

    # Row 1: title.
    ws.cell(row=1, column=1, value=ledger.title)
    ws["A1"].font = TITLE_FONT
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last_col}1")
    ws.row_dimensions[1].height = 36

    # Row 2: header.
    for c, name in enumerate(ledger.header, start=1):
        cell = ws.cell(row=2, column=c, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = ledger.widths[name]
    ws.row_dimensions[2].height = 32

    # Data from row 3; a merged block keeps its value in the top cell only.
    blocks = merge_blocks(ledger)
    covered = {(c, r) for c, f, l in blocks for r in range(f + 1, l + 1)}
    for r, row in enumerate(ledger.rows):
        for c, value in enumerate(row):
            name = ledger.header[c]
            cell = ws.cell(row=r + 3, column=c + 1)
            if (c, r) not in covered and value != "":
                cell.value = int(value) if name == "序号" else value
            cell.font = BODY_FONT
            cell.border = BORDER
            cell.alignment = Alignment(
                horizontal="center" if name in ledger.centred else "left",
                vertical="top",
                wrap_text=True,
            )
            if name in ledger.text_columns:
                cell.number_format = "@"
    for c, f, l in blocks:
        ws.merge_cells(start_row=f + 3, start_column=c + 1, end_row=l + 3, end_column=c + 1)
        top = ws.cell(row=f + 3, column=c + 1)
        for r in range(f + 4, l + 4):  # merging drops the covered cells' style; Excel keeps it
            covered_cell = ws.cell(row=r, column=c + 1)
            covered_cell.font = copy.copy(top.font)
            covered_cell.alignment = copy.copy(top.alignment)
            covered_cell.number_format = top.number_format
    for r, h in enumerate(_row_heights(ledger, blocks)):
        ws.row_dimensions[r + 3].height = h

    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    p = wb.properties
    p.title = ledger.title
    p.creator = CREATOR
    p.lastModifiedBy = CREATOR
    p.created = FIXED_TIME
    p.modified = FIXED_TIME
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise without openpyxl stamping "now" into docProps or the zip entries."""
    raw = io.BytesIO()
    # ExcelWriter (unlike openpyxl.save_workbook) leaves properties.modified alone.
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def csv_bytes(ledger: Ledger) -> bytes:
    """CSV twin: UTF-8 with BOM, title row, header row, continuation rows with blank task cells."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([ledger.title] + [""] * (len(ledger.header) - 1))
    w.writerow(ledger.header)
    w.writerows(ledger.rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


CSV_TWINS = {"000": "000_dalian_2019_reform_ledger.csv"}


def build_all(out_dir: Path | str = HERE, sources: Path | str = SOURCES, verbose: bool = False) -> list[Path]:
    """Write every example into out_dir; return the paths written."""
    out_dir, sources = Path(out_dir), Path(sources)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for load in LOADERS:
        ledger = load(sources)
        path = out_dir / ledger.filename
        path.write_bytes(workbook_bytes(build_workbook(ledger)))
        written.append(path)
        if verbose:
            blocks = merge_blocks(ledger)
            print(
                f"wrote {_show(path)}  [{ledger.sheet}] {ledger.title}: "
                f"{len(ledger.groups)} tasks, {len(ledger.rows)} data rows, "
                f"{len(blocks)} vertical merges"
            )
        if ledger.key in CSV_TWINS:
            cpath = out_dir / CSV_TWINS[ledger.key]
            cpath.write_bytes(csv_bytes(ledger))
            written.append(cpath)
            if verbose:
                print(f"wrote {_show(cpath)}  (CSV twin of {ledger.filename}, UTF-8 with BOM)")
    return written


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: examples/)")
    args = ap.parse_args(argv)
    build_all(args.out, verbose=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
