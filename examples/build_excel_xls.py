"""Build examples/000_dalian_2019_reform_ledger.xls: the 000 ledger as Excel 2007+ saves an .xls.

Excel 2007 and later write the workbook's colour theme into every .xls, as a THEME record
(0x0896) holding a small zip, the last record of the workbook globals. That embedded zip is
what makes `zipfile.is_zipfile` take such an .xls for an .xlsx. LibreOffice writes no THEME
record, and no Excel runs here, so the file is made the way Excel lays it out:

1. LibreOffice converts examples/000_dalian_2019_reform_ledger.xlsx to .xls (cells, merged
   ranges, dates as LibreOffice writes them);
2. the THEME record of an .xls saved by Excel (SheetJS test_files `sushi.xls`, Apache-2.0, copied
   in tests/data/other-software/) is inserted before the globals' EOF record, where Excel puts it;
   every absolute stream position after it (BOUNDSHEET's sheet offsets, a sheet INDEX's DBCELL
   and DEFCOLWIDTH positions) moves by the record's length;
3. the Workbook stream is written into a new compound file (CFB v3, 512-byte sectors). The
   summary-information streams LibreOffice adds are left out: readers need only the Workbook.

Run from the repository root: `python examples/build_excel_xls.py` (needs soffice and olefile).
"""

from __future__ import annotations

import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "examples" / "000_dalian_2019_reform_ledger.xlsx"
TARGET = ROOT / "examples" / "000_dalian_2019_reform_ledger.xls"
EXCEL_XLS = ROOT / "tests" / "data" / "other-software" / "test_files__sushi.xls"

BOF, EOF, BOUNDSHEET, INDEX, THEME, CONTINUE_FRT12 = 0x0809, 0x000A, 0x0085, 0x020B, 0x0896, 0x087F
ENDOFCHAIN, FATSECT, FREESECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF, 0xFFFFFFFF
SECTOR = 512


def records(stream: bytes):
    at = 0
    while at + 4 <= len(stream):
        rid, size = struct.unpack_from("<HH", stream, at)
        yield at, rid, size
        at += 4 + size


def workbook_stream(path: Path) -> bytes:
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        return ole.openstream("Workbook").read()


def theme_records(excel_stream: bytes) -> bytes:
    """The THEME record and its continuations, byte for byte, from an Excel-saved stream."""
    out = b""
    for at, rid, size in records(excel_stream):
        if rid == THEME or (out and rid == CONTINUE_FRT12):
            out += excel_stream[at:at + 4 + size]
        elif out:
            return out
    if not out:
        raise SystemExit(f"{EXCEL_XLS} holds no THEME record")
    return out


def insert_theme(stream: bytes, theme: bytes) -> bytes:
    globals_eof = next(at for at, rid, _ in records(stream) if rid == EOF)
    shift = len(theme)
    out = bytearray(stream[:globals_eof] + theme + stream[globals_eof:])
    for at, rid, size in records(bytes(out)):
        if rid == BOUNDSHEET:  # lbPlyPos: where the sheet's BOF starts
            pos, = struct.unpack_from("<I", out, at + 4)
            struct.pack_into("<I", out, at + 4, pos + shift)
        elif rid == INDEX and at > globals_eof:  # ibXF and rgibRw[]: positions of DEFCOLWIDTH and DBCELLs
            for field in range(at + 4 + 12, at + 4 + size, 4):
                pos, = struct.unpack_from("<I", out, field)
                if pos:
                    struct.pack_into("<I", out, field, pos + shift)
    return bytes(out)


def compound_file(workbook: bytes) -> bytes:
    """A CFB v3 file holding one stream, `Workbook` (at least 4096 bytes: no mini stream)."""
    if len(workbook) < 4096:
        workbook += b"\0" * (4096 - len(workbook))  # never here: the ledger's stream is larger
    data_sectors = -(-len(workbook) // SECTOR)
    fat_sectors = 1
    while fat_sectors * 128 < data_sectors + 1 + fat_sectors:
        fat_sectors += 1
    dir_sector = data_sectors
    fat = [i + 1 for i in range(data_sectors - 1)] + [ENDOFCHAIN, ENDOFCHAIN] + [FATSECT] * fat_sectors
    fat += [FREESECT] * (fat_sectors * 128 - len(fat))
    difat = list(range(dir_sector + 1, dir_sector + 1 + fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3,
                         0xFFFE, 9, 6, b"\0" * 6, 0, fat_sectors, dir_sector, 0, 4096, ENDOFCHAIN, 0,
                         ENDOFCHAIN, 0) + struct.pack("<109I", *difat)

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return struct.pack("<64sHBBIII16sIQQII", raw, len(raw), kind, 1, NOSTREAM, NOSTREAM, child,
                           b"\0" * 16, 0, 0, 0, start, size) + b"\0" * 4

    directory = (entry("Root Entry", 5, 1, ENDOFCHAIN, 0) + entry("Workbook", 2, NOSTREAM, 0, len(workbook))
                 + entry("", 0, NOSTREAM, 0, 0) * 2)
    body = workbook + b"\0" * (data_sectors * SECTOR - len(workbook))
    return header + body + directory + struct.pack(f"<{len(fat)}I", *fat)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", tmp, str(SOURCE)],
                       check=True, capture_output=True, timeout=180)
        libre = workbook_stream(Path(tmp) / (SOURCE.stem + ".xls"))
    themed = insert_theme(libre, theme_records(workbook_stream(EXCEL_XLS)))
    TARGET.write_bytes(compound_file(themed))
    print(f"wrote {TARGET.relative_to(ROOT)}: {TARGET.stat().st_size} bytes, THEME record of "
          f"{len(themed) - len(libre)} bytes from {EXCEL_XLS.name}")


if __name__ == "__main__":
    sys.exit(main())
