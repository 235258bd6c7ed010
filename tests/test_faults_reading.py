"""Fault injection, reading side (issue 13): each case builds its hostile input, runs the real
`taizhang` command as a child process under a memory cap and a timeout, and asserts the exit
code, the single line the user sees, and the bytes on disk afterwards."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

from capped import lines, run
from conftest import EX003

DATA = Path(__file__).parent / "data"


def _sheet_xlsx(path: Path, sheet_xml: str) -> Path:
    """A minimal workbook around one sheet's XML (what a hostile generator writes)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   + sheet_xml + "</worksheet>")
    return path


HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>工作任务</t></is></c><c r="C1" t="inlineStr"><is><t>牵头部门</t></is></c></row>')

# name -> (dimension element or "", the far row) : the same far value, whatever <dimension> says
FAR_VALUE = {
    "no-dimension": "",
    "lying-dimension": '<dimension ref="A1:C2"/>',
    "true-dimension": '<dimension ref="A1:XFD1048576"/>',
}


@pytest.mark.parametrize("case", FAR_VALUE)
def test_far_value_refused_before_allocation_others_still_reported(tmp_path, case):
    """A 2 KB workbook whose one value sits at XFD1048576 would ask calamine for 17 billion
    cells; before the guard scanned the XML this aborted the whole process."""
    bad = _sheet_xlsx(tmp_path / "far.xlsx", FAR_VALUE[case] + "<sheetData>" + HEADER_ROW
                      + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    assert bad.stat().st_size < 3000
    before = bad.read_bytes()
    done = run("validate", bad, EX003, "--format", "json", cap=1 << 30, timeout=60)
    assert done.returncode == 2 and done.stderr == b""
    first, second = json.loads(done.stdout)["files"]
    assert first["error"]["code"] == "unreadable-file"
    assert "延伸到第 1048576 行、16384 列" in first["error"]["message"]
    assert second["error"] is None and second["rows"] == 40
    assert bad.read_bytes() == before


def test_cells_without_references_are_counted(tmp_path):
    """Cells may omit r="A1": they sit after their neighbours, so a wide first row and a far
    row multiply. The guard counts them row by row."""
    wide = '<row r="1">' + "<c><v>1</v></c>" * 16384 + "</row>"
    bad = _sheet_xlsx(tmp_path / "wide.xlsx", "<sheetData>" + wide + '<row r="1000000"><c><v>2</v></c></row></sheetData>')
    done = run("validate", bad, cap=1 << 30)
    assert done.returncode == 2
    (line, summary) = lines(done.stdout)
    assert "延伸到第 1000000 行、16384 列" in line


def test_far_cell_xls_refused_before_calamine_opens_it():
    """A 5.5 KB .xls (LibreOffice, one value at IV65536): calamine reserves 16.7 million cells
    when it opens the workbook (670 MB; under a tighter cap the allocation aborts the process).
    The BIFF records are scanned first."""
    far = DATA / "far-cell.xls"
    assert far.stat().st_size < 6000
    done = run("validate", far, EX003, cap=900 << 20, timeout=120)
    assert done.returncode == 2 and done.stderr == b""
    out = lines(done.stdout)
    assert out[0].startswith(f"{far}: 工作表「Sheet」的使用区域异常：延伸到第 65536 行、256 列")
    assert "003_tianjin" in out[1] and "40 行数据" in out[1]


def test_shared_string_count_that_aborted_the_process_is_read(tmp_path):
    """The 4.5 KB workbook of issue 13: uniqueCount="100000000000" made calamine reserve 2.4 TB
    and abort, taking every other file's result with it. Excel ignores the hint; so do we."""
    src = DATA / "other-software" / "frictionless-py__data_merged-cells.xlsx"
    bad = tmp_path / "count.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b'uniqueCount="1"', b'uniqueCount="100000000000"')
            zout.writestr(info, data)
    assert bad.stat().st_size < 5000
    before = bad.read_bytes()
    done = run("validate", bad, EX003, "--format", "json")
    assert done.returncode == 2 and done.stderr == b""
    first, second = json.loads(done.stdout)["files"]
    assert first["error"]["code"] == "header-not-found"  # read: it is simply not a ledger
    assert second["error"] is None and second["rows"] == 40
    assert bad.read_bytes() == before


def test_a_workbook_beyond_the_read_budget_costs_only_its_own_result(tmp_path):
    """What no guard foresees is read in a child process: here a real 5,000-row ledger under a
    10 MB read budget. Only that child fails; one line names the file, the next file is read."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import generate

    big = tmp_path / "5000.xlsx"
    generate.generate_ledger(big, 5000)
    done = run("validate", big, EX003, env={"TAIZHANG_READ_MEMORY_MB": "10"}, timeout=120)
    assert done.returncode == 2 and done.stderr == b""
    out = lines(done.stdout)
    assert out[0].startswith(f"{big}: ") and "内存超出上限" in out[0], out[0]
    assert "003_tianjin" in out[1] and "40 行数据" in out[1]
    done = run("validate", big, timeout=120)  # with the usual budget the same file is read
    assert done.returncode == 1 and "5000 行数据" in lines(done.stdout)[0]


def test_child_that_aborts_becomes_one_read_error():
    """The mechanism itself, with a real fork and a real abort()."""
    from taizhang.validator.filecheck import ReadError
    from taizhang.validator.isolate import isolated

    def aborts():
        yield "first"
        os.abort()

    got = []
    with pytest.raises(ReadError) as caught:
        for item in isolated(aborts):
            got.append(item)
    assert got == ["first"]
    assert "解析库异常终止" in caught.value.zh and caught.value.detail == "signal SIGABRT"


def test_child_that_hangs_is_ended(monkeypatch):
    import time

    from taizhang.validator.filecheck import ReadError
    from taizhang.validator.isolate import isolated

    def hangs():
        time.sleep(3600)
        yield "never"

    monkeypatch.setenv("TAIZHANG_READ_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(ReadError) as caught:
        list(isolated(hangs))
    assert time.monotonic() - started < 10
    assert caught.value.zh.startswith("读取此文件超时")


EXPORTS = {  # what other systems save under a spreadsheet's name -> words of the one line
    "网页.xls": (b'<html xmlns:o="urn:schemas-microsoft-com:office:office"><table><tr><td>1</td></tr></table></html>',
                 "这是网页（HTML）文件"),
    "单文件网页.xls": (b"MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\n\r\n", "单个文件网页（MHTML）"),
    "2003.xls": (b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
                 "Excel 2003 XML 表格"),
}


@pytest.mark.parametrize("name", EXPORTS)
def test_exports_under_a_spreadsheet_name_say_what_they_are(tmp_path, name):
    data, words = EXPORTS[name]
    (tmp_path / name).write_bytes(data)
    done = run("validate", tmp_path / name)
    assert done.returncode == 2
    line = lines(done.stdout)[0]
    assert line.startswith(f"{tmp_path / name}: ") and words in line and "另存为 .xlsx" in line


@pytest.mark.parametrize("command", ["validate", "import"])
def test_fifo_input_one_line_no_hang(tmp_path, command):
    fifo = tmp_path / ("台账.xlsx" if command == "validate" else "通知.txt")
    os.mkfifo(fifo)
    args = ["validate", fifo] if command == "validate" else ["import", fifo, "-o", tmp_path / "out.xlsx"]
    done = run(*args, timeout=20)  # a blocking open would hang until the timeout
    assert done.returncode == 2
    text = lines(done.stdout + done.stderr)
    assert any("这不是普通文件（是命名管道），已拒绝读取" in t for t in text)
    assert not (tmp_path / "out.xlsx").exists()
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_symlink_to_a_device_refused(tmp_path):
    link = tmp_path / "zero.xlsx"
    link.symlink_to("/dev/zero")
    done = run("validate", link, timeout=20)
    assert done.returncode == 2
    assert lines(done.stdout)[0] == f"{link}: 这不是普通文件（是设备），已拒绝读取"


def test_import_docx_zip_bomb_refused(tmp_path):
    from docx import Document

    notice = tmp_path / "通知.docx"
    Document().save(notice)
    with zipfile.ZipFile(notice, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("word/media/padding.bin", "w", force_zip64=True) as fh:
            for _ in range(64):
                fh.write(b"\0" * (1 << 20))
    done = run("import", notice, "-o", tmp_path / "台账.xlsx")
    assert done.returncode == 2
    (line,) = lines(done.stderr)
    assert line.startswith(f"{notice}：") and "疑似压缩炸弹" in line
    assert not (tmp_path / "台账.xlsx").exists()


@pytest.mark.parametrize("suffix,command", [(".txt", "import"), (".csv", "validate")])
def test_oversized_input_refused(tmp_path, suffix, command):
    big = tmp_path / f"big{suffix}"
    with big.open("wb") as fh:
        fh.truncate(300 << 20)  # sparse: costs no disk
    args = ["import", big, "-o", tmp_path / "o.xlsx"] if command == "import" else ["validate", big]
    done = run(*args, timeout=30)
    assert done.returncode == 2
    assert any("文件过大（300 MB，上限 256 MB）" in t for t in lines(done.stdout + done.stderr))


ESC = "\x1b]0;pwned\x07\x1b[2J"


def _hostile_names_ledger(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    # openpyxl refuses control characters; a CSV export carries them as they are
    rows = ["序号,工作任务,牵头部门,时间进度,联系人,联系电话", f"1,推进改革,{ESC}未知局,2019年6月底,张三,{ESC}123"]
    raw = os.fsencode(folder) + b"/\xff\xfe\xe5\x8f\xb0\x1b[31m.csv"  # not UTF-8, with an escape
    with open(raw, "wb") as fh:
        fh.write("\n".join(rows).encode("utf-8"))
    return folder


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "github"])
def test_escapes_and_non_utf8_names_never_reach_the_terminal_raw(tmp_path, fmt):
    folder = _hostile_names_ledger(tmp_path)
    done = run("validate", folder, "--format", fmt)
    assert done.returncode in (0, 1), done.stderr
    assert b"\x1b" not in done.stdout and b"\x07" not in done.stdout and done.stderr == b""
    text = done.stdout.decode("utf-8")  # valid UTF-8 whatever the file name's bytes
    assert "pwned" in text  # the findings about the hostile cells are there, their escapes made visible
    if fmt == "json":
        (result,) = json.loads(text)["files"]
        assert "/in/\\xff\\xfe台\x1b[31m.csv" in result["path"]
        assert any("\x1b" in f["message"] for f in result["findings"])  # kept, escaped in the JSON text
    elif fmt == "sarif":
        assert "/in/%FF%FE%E5%8F%B0%1B%5B31m.csv" in text
        json.loads(text)
    else:
        assert "\\xff\\xfe台\\x1b[31m.csv" in text and "pwned\\x07\\x1b" in text
    if fmt == "junit":
        import xml.etree.ElementTree as ET

        ET.fromstring(done.stdout)


def test_output_to_dev_null_stays_a_device(tmp_path):
    done = run("validate", EX003, "-o", "/dev/null")
    assert done.returncode == 0, done.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_to_a_fifo_nobody_reads_refused(tmp_path):
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    done = run("validate", EX003, "--format", "json", "-o", fifo, timeout=20)
    assert done.returncode == 2
    assert lines(done.stderr) == [f"无法写入 {fifo}：这是命名管道，但没有程序在读取它"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_disk_full_keeps_the_old_report(tmp_path):
    """RLIMIT_FSIZE makes every write past 64 bytes fail (EFBIG), as a full disk would."""
    report = tmp_path / "report.json"
    report.write_text("旧的报告\n", encoding="utf-8")
    done = run("validate", EX003, "--format", "json", "-o", report, fsize=64)
    assert done.returncode == 2
    assert lines(done.stderr) == [f"无法写入 {report}：文件超出允许的大小"]
    assert report.read_text(encoding="utf-8") == "旧的报告\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp file left


def test_dev_full_one_line():
    done = run("validate", EX003, "--format", "json", "-o", "/dev/full")
    assert done.returncode == 2
    assert lines(done.stderr) == ["无法写入 /dev/full：磁盘空间不足"]


def test_permission_denied_one_line(tmp_path):
    done = run("validate", EX003, "-o", "/sys/taizhang-report.txt")  # read-only even for root
    assert done.returncode == 2
    (line,) = lines(done.stderr)
    assert line.startswith("无法写入 /sys/taizhang-report.txt：")


def test_xls_whose_dimensions_claim_a_huge_sheet(tmp_path):
    """calamine reserves what an .xls sheet's DIMENSIONS record claims before reading a cell:
    the Excel-saved 000 ledger with that record raised to 65,536 rows x 256 columns."""
    import struct
    import sys

    import olefile

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
    import build_excel_xls as bx

    with olefile.OleFileIO(str(EX003.parent / "000_dalian_2019_reform_ledger.xls")) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
    patched = 0
    for at, rid, size in bx.records(bytes(stream)):
        if rid == 0x0200 and size == 14:
            struct.pack_into("<IIHH", stream, at + 4, 0, 65536, 0, 256)
            patched += 1
    assert patched == 1
    bad = tmp_path / "claims.xls"
    bad.write_bytes(bx.compound_file(bytes(stream)))
    done = run("validate", bad, EX003, cap=900 << 20)
    assert done.returncode == 2 and done.stderr == b""
    out = lines(done.stdout)
    assert out[0].startswith(f"{bad}: 工作表「工作台账」的使用区域异常：延伸到第 65536 行、256 列（约 16,777,216 个单元格）")
    assert "40 行数据" in out[1]


def test_a_dense_sheet_beyond_the_cap_is_told_to_split():
    from taizhang.validator.extent import _refusal

    err = _refusal("台账", 50_000, 300, 14_000_000)
    assert err.zh == "工作表「台账」有约 15,000,000 个单元格（50000 行、300 列），超出读取上限（10,000,000 个）。请把表格拆分成几个文件后再试"


def test_output_to_a_socket_refused(tmp_path):
    import socket

    path = tmp_path / "report.txt"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        done = run("validate", EX003, "-o", path)
    assert done.returncode == 2
    assert lines(done.stderr) == [f"无法写入 {path}：不是普通文件（如套接字或块设备），拒绝写入"]
    assert stat.S_ISSOCK(path.stat().st_mode)


def test_output_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "reports" / "report.json"
    real.parent.mkdir()
    real.write_text("旧\n", encoding="utf-8")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    done = run("validate", EX003, "--format", "json", "-o", link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and json.loads(real.read_text(encoding="utf-8"))["summary"]["files"] == 1


def test_backup_on_a_full_disk_leaves_no_truncated_copy(tmp_path):
    """merge backs the master up before replacing it: a write past the limit (EFBIG, as a full
    disk) must leave the master as it was and no half-written backup beside it."""
    import resource
    import signal
    import subprocess
    import sys

    master = tmp_path / "总台账.xlsx"
    master.write_bytes(EX003.read_bytes())
    before = master.read_bytes()

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    code = ("import sys; from pathlib import Path; from taizhang.ledgerops.safe_write import backup, os_error_message\n"
            "try:\n    backup(Path(sys.argv[1]))\nexcept OSError as exc:\n    print(os_error_message(exc)); sys.exit(2)")
    done = subprocess.run([sys.executable, "-c", code, str(master)], capture_output=True, text=True,
                          preexec_fn=limit, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stdout.startswith(f"无法写入 {tmp_path}/总台账.备份-") and done.stdout.rstrip().endswith("：文件超出允许的大小")
    assert master.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["总台账.xlsx"]


def test_merge_goes_on_when_one_submission_cannot_be_read(tmp_path):
    """A submission the reader cannot finish (here over a 10 MB read budget) is skipped with one
    line; the other department's edit is merged and the inputs are unchanged."""
    import shutil
    import sys

    import openpyxl

    from conftest import EX000

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    import generate

    master = tmp_path / "总台账.xlsx"
    shutil.copy(EX000, master)
    subs = tmp_path / "报送"
    subs.mkdir()
    good = subs / "卫健委.xlsx"
    wb = openpyxl.load_workbook(master)
    wb.active["G3"] = "已完成，见附件。"
    wb.save(good)
    big = subs / "巨大.xlsx"
    generate.generate_ledger(big, 5000)
    before = {p: p.read_bytes() for p in (master, good, big)}
    out = tmp_path / "合并.xlsx"
    done = run("merge", master, subs, "-o", out, env={"TAIZHANG_READ_MEMORY_MB": "10"}, timeout=180)
    assert done.returncode == 1, done.stderr  # 1: a file was skipped
    text = done.stdout.decode("utf-8")
    assert "巨大.xlsx：" in text and "内存超出上限" in text
    assert openpyxl.load_workbook(out).active["G3"].value == "已完成，见附件。"
    assert all(p.read_bytes() == data for p, data in before.items())


def test_the_worker_reads_relative_paths_from_the_callers_folder(tmp_path, monkeypatch):
    """One worker serves many reads: it must see the folder (and environment) the caller has now,
    not the one it had when the worker was forked."""
    import shutil

    from taizhang.validator.reader import read_ledger

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    shutil.copy(EX003, tmp_path / "a" / "台账.xlsx")
    shutil.copy(DATA.parent.parent / "examples" / "000_dalian_2019_reform_ledger.xlsx", tmp_path / "b" / "台账.xlsx")
    monkeypatch.chdir(tmp_path / "a")
    assert len(read_ledger(Path("台账.xlsx"))) == 40
    monkeypatch.chdir(tmp_path / "b")
    assert len(read_ledger(Path("台账.xlsx"))) == 12
