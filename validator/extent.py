"""Refuse a sheet whose cells would not fit in memory, before any parser allocates them.

calamine allocates the whole rectangle from A1 to the last cell that holds a value, about 45
bytes a cell once Python holds the grid: one value at XFD1048576 asks for 17 billion cells and
the allocation failure aborts the process. The `<dimension>` element is only a hint a hostile
file can omit or falsify, so the sheet XML itself is scanned, streamed in chunks, for the
largest row and column that really hold a value. A sheet no larger than 99,999 rows by 26
columns (every ledger) is recognised by one regular-expression pass; only bigger ones get the
precise scan.

An .xls gets the same refusal from one pass over its BIFF records (cell records carry their row
and column; DIMENSIONS records say how much calamine reserves before it reads a cell).

The guard protects; it never decides what a file is (that is `filecheck.sniff`) and never fails a
file it cannot inspect: the parser then answers, in a worker process (`isolate`).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .filecheck import FileKind, unreadable

MAX_GRID_CELLS = 10_000_000  # ~450 MB of grid: far beyond any ledger (50,000 rows x 9 = 450,000)
MAX_SPARSE_CELLS = 2_000_000  # above this, a mostly empty rectangle is a stray value, not a table
SPARSE_RATIO = 50
_CHUNK = 4 << 20
_OVERLAP = 512  # longer than any cell tag the patterns below must see whole
_BIG_REF = re.compile(rb' r="(?:[A-Z]{2,3}\d|[A-Z]?\d{6})')  # beyond column Z or row 99,999
_VALUE_AFTER = rb'"[^>]{0,400}>\s*<(?:\w+:)?(?:v|is|f)\b'  # the cell holds a value or formula
_ROW_OF_VALUE = {n: re.compile(rb' r="[A-Z]{1,3}(\d{%d})' % n + _VALUE_AFTER) for n in range(7, 0, -1)}
_COL_OF_VALUE = {n: re.compile(rb' r="([A-Z]{%d})\d{1,7}' % n + _VALUE_AFTER) for n in (3, 2)}
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*?>(.*?)</(?:\w+:)?row>", re.S)
_ROW_NUMBER = re.compile(rb'\sr="(\d{1,7})"')
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>/]")


def col_number(letters: bytes) -> int:
    col = 0
    for ch in letters:
        col = col * 26 + ch - 64
    return col


def check_extent(path: Path, kind: FileKind, sheet: str) -> None:
    """Refuse `sheet` with one line if its grid would be huge; silent when it cannot look."""
    part = kind.sheets.get(sheet) if kind.kind == "xlsx" else None
    if part is None:
        return
    try:
        rows, cols, filled = _extent(path, part)
    except (KeyError, zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
        return  # cannot inspect: the parser decides, isolated in a worker process
    if _too_large(rows * cols, filled):
        raise _refusal(sheet, rows, cols, filled)


def _too_large(cells: int, filled: int) -> bool:
    return cells > MAX_GRID_CELLS or (cells > MAX_SPARSE_CELLS and cells > SPARSE_RATIO * max(filled, 1))


def _refusal(sheet: str, rows: int, cols: int, filled: int):
    cells = rows * cols
    if SPARSE_RATIO * filled < cells:  # a stray value far away, or a size the file only claims
        return unreadable(
            f"工作表「{sheet}」的使用区域异常：延伸到第 {rows} 行、{cols} 列（约 {cells:,} 个单元格），"
            f"但只有约 {filled:,} 个单元格有内容，读取需要的内存超出上限。请删除表格下方和右侧多余的行列后再试",
            f"sheet '{sheet}' extends to row {rows} and {cols} columns (about {cells:,} cells) but only about "
            f"{filled:,} cells hold values; reading it would need more memory than allowed. Delete the stray "
            "rows and columns below and right of the table",
        )
    return unreadable(
        f"工作表「{sheet}」有约 {cells:,} 个单元格（{rows} 行、{cols} 列），超出读取上限（{MAX_GRID_CELLS:,} 个）。"
        "请把表格拆分成几个文件后再试",
        f"sheet '{sheet}' has about {cells:,} cells ({rows} rows, {cols} columns), more than can be read "
        f"({MAX_GRID_CELLS:,}); split the table into several files",
    )


def _extent(path: Path, part: str) -> tuple[int, int, int]:
    """(rows, columns, cells with values) bounding the sheet's grid from A1; upper bounds."""
    with zipfile.ZipFile(path) as zf:
        if not _any_chunk(zf, part, _needs_precise_scan):
            return 99_999, 26, MAX_GRID_CELLS  # within one ledger-sized rectangle: nothing to fear
        best_row: tuple[int, bytes] = (0, b"")
        best_col: tuple[int, bytes] = (0, b"")
        filled = 0
        unnamed = False
        for chunk in _chunks(zf, part):
            best_row = max(best_row, _largest(chunk, _ROW_OF_VALUE))
            best_col = max(best_col, _largest(chunk, _COL_OF_VALUE))
            filled += chunk.count(b"<v>") + chunk.count(b"<is>") + chunk.count(b":v>") // 2
            unnamed = unnamed or _has_unnamed_cells(chunk[: chunk.rfind(b">") + 1])
        rows = int(best_row[1]) if best_row[0] >= 6 else 10 ** best_row[0] - 1
        cols = col_number(best_col[1]) if best_col[0] >= 2 else 26
        if unnamed:  # cells without r="A1" sit after their neighbours: count them row by row
            urows, ucols = _unnamed_extent(zf, part)
            rows, cols = max(rows, urows), max(cols, ucols)
    return rows, cols, filled


def _needs_precise_scan(chunk: bytes) -> bool:
    return bool(_BIG_REF.search(chunk)) or _has_unnamed_cells(chunk[: chunk.rfind(b">") + 1])


def _has_unnamed_cells(chunk: bytes) -> bool:
    # Excel, LibreOffice, WPS and openpyxl write r first on every cell: counts settle it in C
    plain = chunk.count(b"<c ") + chunk.count(b"<c>")
    prefixed = chunk.count(b":c ") + chunk.count(b":c>")
    return plain != chunk.count(b'<c r="') or prefixed != chunk.count(b':c r="')


def _largest(chunk: bytes, patterns: dict[int, re.Pattern[bytes]]) -> tuple[int, bytes]:
    """(digits or letters, the largest such reference) of cells holding values; same length sorts as bytes."""
    for n, pattern in patterns.items():
        found = pattern.findall(chunk)
        if found:
            return n, max(found)
    return 0, b""


def _unnamed_extent(zf: zipfile.ZipFile, part: str) -> tuple[int, int]:
    rows = cols = 0
    data = zf.read(part)  # rare producers only; the zip caps bound the size
    for n, m in enumerate(_ROW_TAG.finditer(data), start=1):
        number = _ROW_NUMBER.search(data, m.start(), m.start(1))
        rows = max(rows, int(number.group(1)) if number else n)
        cols = max(cols, len(_CELL_TAG.findall(m.group(1))))
    return rows, cols


def _chunks(zf: zipfile.ZipFile, part: str):
    with zf.open(part) as fh:
        carry = b""
        while True:
            block = fh.read(_CHUNK)
            if not block:
                return
            chunk = carry + block
            yield chunk
            carry = chunk[-_OVERLAP:]


def _any_chunk(zf: zipfile.ZipFile, part: str, test) -> bool:
    return any(test(chunk) for chunk in _chunks(zf, part))


# BIFF cell records: (row, column) at the start of the record's data. Blank cells cost calamine
# nothing; MULRK carries its last column at the end.
_BIFF_CELLS = frozenset({0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x00D6})
_BIFF_MULRK, _BIFF_DIMENSIONS, _BIFF_BOF, _BIFF_BOUNDSHEET = 0x00BD, 0x0200, 0x0809, 0x0085


def check_xls_extent(path: Path) -> None:
    """The same refusal for an .xls, for every sheet at once: calamine reads them all when it
    opens the workbook, reserving what each DIMENSIONS record claims, then the rectangle up to the
    farthest value. Silent when the compound file cannot be inspected."""
    try:
        stream = _workbook_stream(path)
    except Exception:  # noqa: BLE001 - olefile raises many types on damaged files; calamine then answers
        return
    if stream is None:
        return
    for sheet, rows, cols, filled, claimed in _xls_sheets(stream):
        if claimed[0] * claimed[1] > MAX_GRID_CELLS:
            raise _refusal(sheet, *claimed, filled)
        if _too_large(rows * cols, filled):
            raise _refusal(sheet, rows, cols, filled)


def _workbook_stream(path: Path) -> bytes | None:
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        for entry in ole.listdir(streams=True, storages=False):
            if len(entry) == 1 and entry[0].lower() in ("workbook", "book"):
                return ole.openstream(entry).read()
    return None


def _xls_sheets(stream: bytes):
    """(sheet, rows, columns, cells with values, (rows, columns) DIMENSIONS claims) of each sheet."""
    import struct

    names: dict[int, str] = {}  # where each sheet's BOF starts -> its name (BOUNDSHEET)
    at, size_all = 0, len(stream)
    current = None  # the globals come first; BOFs of charts nested in a sheet are not in names
    rows = cols = filled = 0
    claimed = (0, 0)
    while at + 4 <= size_all:
        rid, size = struct.unpack_from("<HH", stream, at)
        if rid == 0:  # no BIFF record has id 0: padding or garbage, nothing more to learn
            break
        body = at + 4
        if rid == _BIFF_BOUNDSHEET and size >= 8:
            names[struct.unpack_from("<I", stream, body)[0]] = _short_name(stream[body + 6:body + size])
        elif rid == _BIFF_BOF and at in names:
            if current is not None:
                yield current, rows, cols, filled, claimed
            current = names[at]
            rows = cols = filled = 0
            claimed = (0, 0)
        elif current is not None:
            if rid in _BIFF_CELLS and size >= 4:
                r, c = struct.unpack_from("<HH", stream, body)
                rows, cols, filled = max(rows, r + 1), max(cols, c + 1), filled + 1
            elif rid == _BIFF_MULRK and size >= 6:
                r, = struct.unpack_from("<H", stream, body)
                c, = struct.unpack_from("<H", stream, body + size - 2)
                rows, cols, filled = max(rows, r + 1), max(cols, c + 1), filled + (size - 6) // 6
            elif rid == _BIFF_DIMENSIONS and size >= 10:
                if size >= 14:
                    r0, r1, c0, c1 = struct.unpack_from("<IIHH", stream, body)
                else:
                    r0, r1, c0, c1 = struct.unpack_from("<HHHH", stream, body)
                claimed = (max(0, r1 - r0), max(0, c1 - c0))  # rwMac and colMac are one past the last
        at = body + size
    if current is not None:
        yield current, rows, cols, filled, claimed


def _short_name(data: bytes) -> str:
    if len(data) < 2:
        return "?"
    cch, high = data[0], data[1] & 1
    raw = data[2:2 + cch * (2 if high else 1)]
    return raw.decode("utf-16-le" if high else "latin-1", "replace")
