"""Read a ledger workbook into a table whose every value remembers the cell it came from.

Real ledgers have title rows above the header, headers with line breaks, task-level cells merged
vertically over a task's sub-items (or simply left blank below the task), Excel date cells and
full-width digits. The reader finds the header, works out the ledger type, fills task-level
values down within each task and keeps, for every value, the Excel row it physically lives in,
so that a finding points at the cell the user sees.

Values are read in bulk with python-calamine; formulas (which calamine does not expose) are
found by one scan of the sheet XML, only when the sheet has any.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from .extent import check_extent, check_xls_extent, col_number
from .filecheck import FileKind, ReadError, repaired_package, sniff, unreadable
from .findings import col_letter
from .header_roles import Assignment, HeaderMatch, match_header
from .header_row import HEADER_SCAN_ROWS, column_overrides, extra_units, find_header  # noqa: F401 - re-exported
from .isolate import Ahead, isolated
from .ledger_types import ColumnDef, LedgerType, builtin_types
from .libmessages import translate
from .metadata import META_SHEET
from .normalize import decode_text, normalize_text
from .rows import classify
from .sheet_choice import SHEET_REASONS, active_tab, sheet_order  # noqa: F401 - re-exported


@dataclass(slots=True)
class LedgerColumn:
    definition: ColumnDef
    header: str  # the header text as written in the file
    index: int  # 1-based Excel column

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def letter(self) -> str:
        return col_letter(self.index)


@dataclass(slots=True)
class Ledger:
    """A ledger sheet as read: data rows below the header, values normalised and filled down."""

    path: Path
    sheet: str
    ledger_type: LedgerType
    type_detected: bool
    header_row: int
    title: str
    columns: dict[str, LedgerColumn]  # by the type's column name
    rows: list[int]  # Excel row number of each data row
    values: dict[str, list[str | None]]  # normalised, task-level values filled down
    raw: dict[str, list[Any]]  # as read, not filled
    origin: dict[str, list[int]]  # Excel row of the cell each value comes from
    task: list[int]  # task group number of each row (0-based)
    metadata: dict[str, str] = field(default_factory=dict)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> formula
    type_source: str = "detected"  # option | template | detected | generic (see validator.profile)
    type_reason: dict[str, str] = field(default_factory=dict)  # why, in zh and en, for the report
    # how it was understood (for `taizhang inspect` and the report's summary)
    assignments: dict[int, Assignment] = field(default_factory=dict)  # 0-based column -> type column
    unassigned: dict[int, HeaderMatch] = field(default_factory=dict)  # header columns kept and left alone
    skipped_rows: dict[int, str] = field(default_factory=dict)  # Excel row -> section | total | note | blank
    sheet_reason: str = ""  # why this sheet was read
    skipped_sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why it was not)

    def __len__(self) -> int:
        return len(self.rows)

    def column_for_role(self, role: str) -> LedgerColumn | None:
        return next((c for c in self.columns.values() if c.definition.role == role), None)

    def cell(self, column: str, position: int) -> str:
        """A1 address of the cell that holds the value of `column` in data row `position`."""
        return f"{self.columns[column].letter}{self.origin[column][position]}"

    def frame(self):
        """The normalised values as a pandas DataFrame indexed by Excel row (imports pandas)."""
        import pandas as pd

        return pd.DataFrame(self.values, index=pd.Index(self.rows, name="row"), dtype=object)


def read_ledger(path: str | Path, *, ledger_type: LedgerType | None = None, sheet: str | int | None = None,
                meanwhile: Callable[[], Any] | None = None) -> Ledger:
    """Read the ledger in `path`. Raises ReadError with a user-facing message on any problem.

    The whole read (parse, header, build, formula scan) runs in the isolation worker, so a file
    that aborts the parser costs only its own result, the sheet's grid never crosses the pipe
    (only the ledger's columns do) and `meanwhile` (the caller's imports) overlaps it.
    """
    path = Path(path)
    kind = sniff(path)  # the one decision on what the file is; every step below follows it
    if kind.kind != "csv":
        import python_calamine  # noqa: F401 - imported here, before the worker is forked
    formulas = None
    for item in isolated(_read_here, path, kind, ledger_type, sheet, meanwhile=meanwhile):
        if isinstance(item, str):  # the sheet holding the header, sent ahead of its ledger
            formulas = _scan_formulas(path, kind, item)  # while the worker builds the ledger
            continue
        if formulas is not None:
            item.formulas = formulas
        return item
    raise AssertionError("the reading worker yields a ledger or raises")  # pragma: no cover


EARLY_MAX_BYTES = 1 << 20  # read_first skips bigger files (~10,000 rows): they take longer than the imports


def read_first(paths: list[Path], *, ledger_type: LedgerType | None, sheet: str | int | None,
               meanwhile: Callable[[], Any], seconds: float = 0.25) -> dict[int, "bytes | ReadError"]:
    """The first `paths` (by position), read in the isolation worker for about `seconds` while the
    caller runs `meanwhile` (its imports, ~0.3 s): for `validate --jobs`, the core that would wait
    on the imports reads instead. Each ledger comes still pickled (`pickle.loads` gives it back):
    the worker pickles each as soon as it is read, and the process that validates the file
    unpickles it, so neither costs the caller time between its imports and handing the files out.
    Empty if the worker dies: whoever validates the files reads them."""
    try:
        for batch in isolated(_read_several, list(paths), ledger_type, sheet, seconds, meanwhile=meanwhile):
            return {i: ReadError(*got) if isinstance(got, tuple) else got for i, got in batch}
    except ReadError:
        pass
    return {}


def _read_several(paths: list[Path], ledger_type: LedgerType | None, sheet: str | int | None, seconds: float
                  ) -> Iterator[list[tuple[int, Any]]]:
    """(position, pickled ledger or a ReadError's arguments) of the files read before `seconds`
    ran out, in one item (the caller, busy importing, takes nothing before); runs in the worker."""
    import pickle
    import time

    start, batch = time.monotonic(), []
    for i, path in enumerate(paths):
        if time.monotonic() - start >= seconds:
            break
        try:
            if path.stat().st_size > EARLY_MAX_BYTES:
                continue  # the caller would wait for it with a core idle: a worker reads it later
        except OSError:
            continue  # read_ledger says what is wrong with it, later
        try:
            ledger = read_ledger(path, ledger_type=ledger_type, sheet=sheet)  # in-process here
        except ReadError as exc:
            batch.append((i, (exc.code, exc.zh, exc.en, exc.detail)))
            continue
        batch.append((i, pickle.dumps(ledger, protocol=pickle.HIGHEST_PROTOCOL)))
    yield batch


def _read_here(path: Path, kind: FileKind, ledger_type: LedgerType | None, sheet: str | int | None
               ) -> Iterator[Ahead | Ledger]:
    """The ledger of the first candidate sheet holding a header; runs in the worker. An .xlsx
    sheet's name goes ahead of it: the caller scans that sheet's formulas meanwhile."""
    skipped: list[tuple[str, str]] = []
    sheets = _sheets(path, kind, sheet)
    ledger = None
    for name, grid, merged, metadata, why, passed in sheets:  # one sheet at a time
        skipped.extend(p for p in passed if p not in skipped)  # sheets put last, as the worker saw them
        build = _header(grid, sheet=name, path=path, ledger_type=ledger_type, merged=merged, metadata=metadata)
        if build is not None:
            if kind.kind == "xlsx":
                yield Ahead(name)
            ledger = build()
            ledger.sheet_reason = why
            ledger.skipped_sheets = [(n, w) for n, w in skipped if n != name]
            break
        skipped.append((name, "no-header"))
    sheets.close()
    grid = merged = build = None  # noqa: F841 - the grid is freed before the ledger is sent
    if ledger is None:
        what = f"工作表「{sheet}」" if sheet is not None else "任何工作表"
        what_en = f"sheet '{sheet}'" if sheet is not None else "any sheet"
        raise ReadError("header-not-found", f"{what}中都找不到台账表头（如 序号、改革事项、责任单位、完成时限）",
                        f"no ledger header (序号, 改革事项, 责任单位, 完成时限 ...) found in {what_en}")
    if kind.kind != "xlsx":
        ledger.formulas = {
            (r, c.index): v
            for key, c in ledger.columns.items()
            for r, v in zip(ledger.rows, ledger.raw[key])
            if isinstance(v, str) and v.startswith("=") and len(v) > 1
        }
    yield ledger


def _sheets(path: Path, kind: FileKind, sheet: str | int | None
            ) -> Iterator[tuple[str, list[list[Any]], list, dict[str, str], str, list[tuple[str, str]]]]:
    """(name, grid from A1, merged ranges, metadata, why, sheets put last) of each candidate sheet,
    read on demand. Runs in the worker process: what it learns travels back in what it yields."""
    if kind.kind == "csv":
        yield path.stem, _read_csv(path), [], {}, "only", []
        return
    if kind.kind == "xls":
        check_xls_extent(path)  # calamine reads every sheet of an .xls when it opens it
    wb = _open_calamine(path, kind)
    names = [m.name for m in wb.sheets_metadata]
    metadata = _read_metadata(wb, names)
    passed: list[tuple[str, str]] = []
    if sheet is not None:
        order = [(n, "option") for n in _pick_sheets(names, sheet)]
    else:
        hidden = {m.name for m in wb.sheets_metadata if m.visible != _visible()}
        active = names.index(kind.active) if kind.active in names else None
        order = sheet_order(names, hidden, active, passed)
    for name, why in order:
        check_extent(path, kind, name)
        try:
            s = wb.get_sheet_by_name(name)
            grid = s.to_python(skip_empty_area=False)
            merged = list(getattr(s, "merged_cell_ranges", None) or [])
        except Exception as exc:  # calamine raises several unrelated types
            raise translate(exc, (f"工作表「{name}」", f"sheet '{name}'")) from None
        s = None  # calamine's own copy of the cells is as big as the grid: free it before building
        yield name, grid, merged, metadata, why, passed


def read_grid(grid: list[list[Any]], *, sheet: str, path: Path, ledger_type: LedgerType | None = None,
              merged: list = (), metadata: dict[str, str] | None = None) -> Ledger | None:
    """Build a Ledger from a rectangle of values starting at A1 (None if it holds no header).

    This is how the Excel add-in reads: one bulk read of the sheet, no file. `merged` holds
    0-based ((r0, c0), (r1, c1)) ranges when known; without them, blank task-level cells are
    still filled down within each task.
    """
    build = _header(grid, sheet=sheet, path=path, ledger_type=ledger_type, merged=merged, metadata=metadata)
    return None if build is None else build()


def _header(grid: list[list[Any]], *, sheet: str, path: Path, ledger_type: LedgerType | None, merged: list,
            metadata: dict[str, str] | None) -> Callable[[], Ledger] | None:
    """Find the header of `grid`: None without one, else what builds the ledger below it."""
    metadata = metadata or {}
    wanted, from_template = ledger_type is not None, False
    if ledger_type is None and metadata.get("type"):
        ledger_type = builtin_types().get(metadata["type"])
        from_template = ledger_type is not None
    # a template fixes its type; a split file only carries its master's (maybe detected) type
    fixed = dict(wanted=wanted, from_template=from_template, restrict=from_template and "master_hash" in metadata)
    found = find_header(grid, ledger_type, column_overrides(metadata), fixed)
    if found is None:
        return None
    first_header_idx, header_idx, ltype, mapping, texts, fit = found

    def build() -> Ledger:
        from .profile import type_reason

        ledger = _build(path, sheet, grid, list(merged), first_header_idx, header_idx, ltype, mapping, texts,
                        fit.source in ("detected", "generic"), metadata)
        ledger.type_source = fit.source
        ledger.type_reason = type_reason(fit, ltype)
        return ledger

    return build


def _visible():
    from python_calamine import SheetVisibleEnum

    return SheetVisibleEnum.Visible


def _open_calamine(path: Path, kind: FileKind):
    """calamine's workbook for `path`, read as what its bytes say it is (not as its name says)."""
    import python_calamine as pc

    suffix = path.suffix.lower()
    try:
        if kind.needs_repair:  # Excel 4 macro sheets, `../` targets: calamine refuses, Excel opens
            return pc.CalamineWorkbook.from_filelike(io.BytesIO(repaired_package(path, kind)))
        if (kind.kind == "xlsx") == (suffix in (".xlsx", ".xlsm")):
            return pc.CalamineWorkbook.from_path(str(path))
        # an .xlsx saved as .xls (or the reverse): Excel opens it, so read it by its content
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(path.read_bytes()))
    except pc.PasswordError:
        raise unreadable("工作簿设有打开密码", "the workbook is password-protected") from None
    except Exception as exc:
        raise translate(exc) from None


def _pick_sheets(names: list[str], sheet: str | int | None) -> list[str]:
    if sheet is None:
        return [n for n in names if n != META_SHEET]
    if isinstance(sheet, int) or (isinstance(sheet, str) and sheet.isdigit() and sheet not in names):
        idx = int(sheet)
        # --sheet takes 1-based indexes, as a user counts tabs
        if 1 <= idx <= len(names):
            return [names[idx - 1]]
    elif sheet in names:
        return [sheet]
    raise ReadError("sheet-not-found", f"没有工作表「{sheet}」，现有：{'、'.join(names)}",
                    f"no sheet '{sheet}'; sheets: {', '.join(names)}")


def _read_metadata(wb, names: list[str]) -> dict[str, str]:
    if META_SHEET not in names:
        return {}
    try:
        rows = wb.get_sheet_by_name(META_SHEET).to_python()
    except Exception:
        return {}
    return metadata_from_rows(rows)


def metadata_from_rows(rows: list[list[Any]]) -> dict[str, str]:
    """Key/value rows of the `_taizhang` sheet (column A key, column B value) as a dict."""
    meta = {}
    for row in rows:
        if len(row) >= 2 and row[0] not in ("", None):
            meta[str(row[0]).strip()] = normalize_text(row[1]) or ""
    return meta


def _read_csv(path: Path) -> list[list[Any]]:
    decoded = decode_text(path.read_bytes())
    if decoded is None:
        raise unreadable("CSV 文件编码无法识别（支持 UTF-8 与 GB18030）", "unknown CSV encoding (UTF-8 and GB18030 are supported)")
    text = decoded[0]
    if "\x00" in text:
        raise unreadable("CSV 文件含有二进制内容，不是文本表格", "the CSV holds binary content")
    sample = text[:8192]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise unreadable(f"CSV 格式错误（{exc}）", f"malformed CSV ({exc})") from None


def _build(path, sheet, grid, merged, first_header_idx, header_idx, ltype, assignments, headers, detected,
           metadata) -> Ledger:
    ltype = extra_units(headers, assignments, ltype)
    assignments = dict(sorted(assignments.items()))
    mapping = {i: a.column for i, a in assignments.items()}
    texts = {i: str(headers[i]).strip() for i in mapping}
    columns = {d.name: LedgerColumn(d, texts[i], i + 1) for i, d in mapping.items()}
    unassigned = {i: match_header(h) for i, h in enumerate(headers)
                  if i not in mapping and h is not None and str(h).strip()}
    title = " ".join(str(v).strip() for row in grid[:first_header_idx] for v in row if str(v).strip())

    # merged ranges: every covered cell of a ledger column takes the top-left value, and
    # remembers the row it lives in; a merge across several columns marks a heading row
    merged_by_col: dict[int, list[tuple[int, int, int, int]]] = {}
    wide: dict[int, int] = {}
    for (r0, c0), (r1, c1) in merged:
        if r1 <= header_idx:
            continue
        if r0 == r1 and c1 > c0:
            wide[r0] = max(wide.get(r0, 0), c1 - c0 + 1)
            continue
        start = max(r0, header_idx + 1)
        for c in range(c0, c1 + 1):
            if c in mapping:  # (first row, last row, top-left) of the cells covered, the top-left itself not
                merged_by_col.setdefault(c, []).append((start + (c == c0 and start == r0), r1, r0, c0))

    # Column by column: a per-cell loop over rows costs 3x more in Python.
    first = header_idx + 1
    data = grid[first:]
    n = len(data)
    norm = _normaliser()
    raw: dict[str, list[Any]] = {}
    values: dict[str, list[str | None]] = {}
    origin: dict[str, list[int]] = {}
    covered = [False] * n  # the row lies under a merged range of a ledger column
    width = len(data[0]) if data else 0
    by_col = list(zip(*data)) if len(set(map(len, data))) <= 1 else None  # calamine's grid is even
    for i, d in mapping.items():
        if by_col is not None:
            col = list(by_col[i]) if i < width else [""] * n
        else:
            col = [row[i] if i < len(row) else "" for row in data]
        eff, src = col, list(range(first + 1, first + n + 1))
        merged_cells = merged_by_col.get(i)
        if merged_cells:
            eff = list(col)
            for start, stop, r0, c0 in merged_cells:
                top = grid[r0][c0] if c0 < len(grid[r0]) else ""
                for k in range(start - first, min(stop - first + 1, n)):
                    if col[k] == "" or col[k] is None:
                        eff[k] = top
                        src[k] = r0 + 1
                        covered[k] = True
        raw[d.name] = _shared_strings(col)
        values[d.name] = norm(eff)
        origin[d.name] = src
    _split_combined(assignments, columns, ltype, values, raw, origin)

    # rows that are not tasks' (blank, section, total, note) are set aside, remembered by class
    key_idx = next((i for i, d in mapping.items() if d.role == "key"), None)
    task_idx = next((i for i, d in mapping.items() if d.role == "task"), key_idx if key_idx is not None else 0)
    key_raw = raw[mapping[key_idx].name] if key_idx is not None else None
    skipped: dict[int, str] = {}
    keep = []
    for k in range(n):
        if covered[k] or (key_raw is not None and key_raw[k] is not None and not isinstance(key_raw[k], str)):
            keep.append(k)  # under a merge, or a number typed in the key cell: a task's row
            continue
        cls = classify(data[k], key=key_idx, first_text_col=task_idx, wide=wide.get(first + k, 0))
        if cls is None:
            keep.append(k)
        else:
            skipped[first + 1 + k] = cls
    if len(keep) < n:
        for store in (raw, values, origin):
            for name, col in store.items():
                store[name] = [col[k] for k in keep]
    rows = [first + 1 + k for k in keep]
    task, copies = _group_tasks(mapping, values, origin, rows)
    # task-level values continue down the task where cells were left blank; in a filled-down copy
    # the same value points at the task's first row, so one fault is one finding
    for d in mapping.values():
        if d.level != "task":
            continue
        vals, src = values[d.name], origin[d.name]
        for k in range(1, len(rows)):
            if task[k] == task[k - 1] and (vals[k] is None or (k in copies and vals[k] == vals[k - 1])):
                vals[k], src[k] = vals[k - 1], src[k - 1]
    return Ledger(path=path, sheet=sheet, ledger_type=ltype, type_detected=detected, header_row=header_idx + 1,
                  title=title, columns=columns, rows=rows, values=values, raw=raw, origin=origin, task=task,
                  metadata=metadata, assignments=assignments, unassigned=unassigned, skipped_rows=skipped)


def _shared_strings(col: list[Any]) -> list[Any]:
    """The column with "" as None and each repeated text one object (the first cell's, as the
    normalised values hold it): the ledger crosses the pipe from the reading worker, and pickle
    writes a shared object once. Only str is shared: 1, 1.0 and True are one dict key."""
    try:
        first = {v: v for v in set(col) if type(v) is str}
        first[""] = None
        get = first.get  # a number is never equal to a str key: it comes back as it is
        return [get(v, v) for v in col]
    except TypeError:  # an unhashable value: never from calamine, but be safe
        return [None if v == "" else v for v in col]


def _group_tasks(mapping: dict[int, ColumnDef], values: dict[str, list], origin: dict[str, list[int]],
                 rows: list[int]) -> tuple[list[int], set[int]]:
    """Task group of each row, and the positions that are filled-down copies of a task's first row.

    A key typed in the row's own cell starts a task; merged or blank keys continue it, and so does
    the same key repeated with the same task text (merged cells undone and filled down so the
    sheet can be filtered: 序号 2 on three rows is one task).
    """
    key = next((d.name for d in mapping.values() if d.role == "key"), None)
    if key is None:
        return list(range(len(rows))), set()
    task_col = next((d.name for d in mapping.values() if d.role == "task"), None)
    tasks = values[task_col] if task_col else None
    kv, ko = values[key], origin[key]
    out, group, copies = [], -1, set()
    own_prev = False  # the previous row's key was typed in its own cell (not merged, not blank)
    for k, (v, src) in enumerate(zip(kv, ko)):
        own = v is not None and src == rows[k]
        if group < 0 or own:
            # a copy only when both keys are typed, unmerged, and the task text is the same
            repeated = (own_prev and v == kv[k - 1]
                        and (tasks is None or (tasks[k] is not None and tasks[k] == tasks[k - 1])))
            if repeated:
                ko[k] = ko[k - 1]  # the filled-down copy points at the task's first row
                copies.add(k)
            else:
                group += 1
        own_prev = own
        out.append(group)
    return out, copies


_PHONE_PART = re.compile(r"(?:\(?0\d{2,3}\)?[-\s]?)?\d[\d\s-]{5,}\d(?:\s*(?:转|-)\s*\d{1,6})?")


def _split_combined(assignments: dict[int, Assignment], columns: dict[str, LedgerColumn], ltype: LedgerType,
                    values: dict, raw: dict, origin: dict) -> None:
    """A 联系人/电话 column holding 「王荣新 39052266」 serves both the contact and the phone column:
    names stay in the contact values, numbers go to the phone values, both pointing at one cell."""
    combined = next((a for a in assignments.values() if a.match.role == "contact_phone"
                     and a.column.role == "contact"), None)
    phone = ltype.by_role("phone")
    if combined is None or phone is None or phone.name in columns:
        return
    name = combined.column.name
    columns[phone.name] = LedgerColumn(phone, columns[name].header, columns[name].index)
    names, numbers = [], []
    cache: dict[str | None, tuple[str | None, str | None]] = {None: (None, None)}
    for v in values[name]:
        if v not in cache:
            nums = [m.group(0).strip() for m in _PHONE_PART.finditer(v)]
            rest = _PHONE_PART.sub(" ", v)
            rest = re.sub(r"[：:，,；;/、]+", " ", rest)
            cache[v] = (normalize_text(rest), "、".join(nums) or None)
        a, b = cache[v]
        names.append(a)
        numbers.append(b)
    values[name], values[phone.name] = names, numbers
    raw[phone.name] = list(raw[name])
    origin[phone.name] = list(origin[name])


_TEXTS: dict[str, str | None] = {}  # normalised strings, shared by the reads of one process
_TEXTS_MAX = 500_000  # emptied when full: a cache, not a leak


def _normaliser():
    """normalize_text over a list, each distinct value normalised once (ledgers repeat a lot; a
    merge reads 50 copies of one ledger, so strings are remembered across reads too)."""
    cache: dict[Any, str | None] = {"": None, None: None}

    def norm(values: list[Any]) -> list[str | None]:
        try:
            if len(_TEXTS) > _TEXTS_MAX:
                _TEXTS.clear()
            for v in set(values).difference(cache):
                if type(v) is str:  # other types stay per read: 1, 1.0 and True are one dict key
                    text = _TEXTS.get(v, norm)
                    cache[v] = _TEXTS[v] = normalize_text(v) if text is norm else text
                else:
                    cache[v] = normalize_text(v)
            return [cache[v] for v in values]
        except TypeError:  # an unhashable value: never from calamine, but be safe
            return [normalize_text(v) for v in values]

    return norm


_CELL_F = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?>(?:<f([^>]*?)/>|<f([^>]*)>([^<]*)</f>)')
_SHARED_SI = re.compile(rb'\bsi="(\d+)"')


def _scan_formulas(path: Path, kind: FileKind, sheet: str) -> dict[tuple[int, int], str]:
    """Cells holding formulas in `sheet`, found in the sheet XML (calamine gives values only).

    A shared formula (Excel's fill-down) is written once; its other cells are translated from it,
    so every cell has its own formula to compare (merge compares formulas, not cached values).
    """
    part = kind.sheets.get(sheet)
    if part is None:
        return {}
    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read(part)
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return {}
    if b"<f" not in data:
        return {}
    out = {}
    shared: dict[bytes, tuple[str, str]] = {}  # si -> (formula, its cell)
    for m in _CELL_F.finditer(data):
        col, row = col_number(m.group(1)), int(m.group(2))
        attrs = m.group(3) if m.group(3) is not None else m.group(4)
        formula = html.unescape((m.group(5) or b"").decode("utf-8", "replace"))
        si = _SHARED_SI.search(attrs) if b"shared" in attrs else None
        if si and formula:
            shared[si.group(1)] = ("=" + formula, f"{m.group(1).decode()}{row}")
        elif si and si.group(1) in shared:
            out[(row, col)] = _translate(*shared[si.group(1)], f"{m.group(1).decode()}{row}")
            continue
        out[(row, col)] = "=" + formula if formula else "=(共享公式)"
    return out


def _translate(formula: str, origin: str, dest: str) -> str:
    from openpyxl.formula.translate import Translator, TranslatorError

    try:
        return Translator(formula, origin=origin).translate_formula(dest)
    except (TranslatorError, ValueError):
        return "=(共享公式)"


def sheet_grid(path: Path, sheet: str) -> tuple[list[list[Any]], list]:
    """The grid and merged ranges of the sheet `sheet` of an .xlsx or .xls, as read_ledger's worker
    reads them, in this process: merge validates its output from them (a master it has read
    already, so the parse is known to end well)."""
    path = Path(path)
    for _, grid, merged, *_ in _sheets(path, sniff(path), sheet):
        return grid, merged
    raise unreadable(f"找不到工作表「{sheet}」", f"no sheet '{sheet}'")
