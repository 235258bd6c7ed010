"""Broken and hostile files: one clear line naming the file, exit code 2, never a traceback or a hang."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from typer.testing import CliRunner

from taizhang.cli import app
from conftest import EX000, EX003, write_ledger

runner = CliRunner()


def _empty(tmp_path):
    p = tmp_path / "empty.xlsx"
    p.write_bytes(b"")
    return p


def _renamed_csv(tmp_path):
    p = tmp_path / "renamed.xlsx"
    p.write_text("序号,工作任务\n1,x\n", encoding="utf-8")
    return p


def _truncated(tmp_path):
    p = tmp_path / "truncated.xlsx"
    data = EX000.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


def _encrypted(tmp_path):
    import msoffcrypto.format.ooxml as ooxml

    p = tmp_path / "password.xlsx"
    out = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(EX003.read_bytes())).encrypt("secret", out)
    p.write_bytes(out.getvalue())
    return p


def _no_header(tmp_path):
    p = write_ledger(tmp_path / "noheader.xlsx", [["随便", "写点", "什么"]], header=["甲", "乙", "丙"])
    return p


def _rewrite(src, dst, replace):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, replace(info.filename, data))
        return dst


def _xxe(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")

    def inject(name, data):
        if name == "xl/worksheets/sheet1.xml":
            doctype = f'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
            if data.startswith(b"<?xml"):
                end = data.index(b"?>") + 2
                data = data[:end] + doctype + data[end:]
            else:
                data = doctype + data
            data = data.replace(b"<t>", b"<t>&xxe;", 1)
        return data

    return _rewrite(EX003, tmp_path / "xxe.xlsx", inject)


def _zip_bomb(tmp_path):
    p = tmp_path / "bomb.xlsx"
    _rewrite(EX003, p, lambda n, d: d)
    with zipfile.ZipFile(p, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/media/padding.bin", "w", force_zip64=True) as fh:
            block = b"\0" * (1 << 20)
            for _ in range(64):
                fh.write(block)
    return p


def _stray_far_value(tmp_path):
    import openpyxl

    p = tmp_path / "stray.xlsx"
    wb = openpyxl.load_workbook(EX003)
    wb.active.cell(row=1_048_576, column=4, value="x")
    wb.save(p)
    return p


HOSTILE = {
    "empty": (_empty, "空"),
    "renamed-csv": (_renamed_csv, "不是 Excel 工作簿"),
    "truncated": (_truncated, "损坏"),
    "password": (_encrypted, "密码"),
    "no-header": (_no_header, "表头"),
    "xxe": (_xxe, "实体"),
    "zip-bomb": (_zip_bomb, "压缩炸弹"),
    "stray-value-at-last-row": (_stray_far_value, "1048576"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_file_one_line_exit_2_others_still_reported(tmp_path, case):
    make, words = HOSTILE[case]
    bad = make(tmp_path)
    result = runner.invoke(app, ["validate", str(bad), str(EX003), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    doc = json.loads(result.stdout)
    first, second = doc["files"]
    assert first["error"]["code"] in ("unreadable-file", "header-not-found")
    assert words in first["error"]["message"] and "\n" not in first["error"]["message"]
    assert first["findings"] == []
    assert second["error"] is None and second["rows"] == 40  # the good file is still validated
    text = runner.invoke(app, ["validate", str(bad)])
    line = [l for l in text.stdout.splitlines() if str(bad) in l]
    assert len(line) == 1 and words in line[0] and "Traceback" not in text.output


def test_xxe_is_never_expanded(tmp_path):
    result = runner.invoke(app, ["validate", str(_xxe(tmp_path)), "--format", "json"])
    assert "TOP-SECRET" not in result.output


def test_sheet_formatted_to_the_last_row_is_read_normally(tmp_path):
    """Borders applied to whole columns are common in real ledgers: not an error, and fast."""
    import openpyxl
    from openpyxl.styles import Border, Side

    p = tmp_path / "formatted.xlsx"
    wb = openpyxl.load_workbook(EX003)
    ws = wb.active
    thin = Side(style="thin")
    for r in range(45, 1_048_577, 997):
        ws.cell(row=r, column=1).border = Border(left=thin)
    ws.cell(row=1_048_576, column=9).border = Border(left=thin)
    wb.save(p)
    result = runner.invoke(app, ["validate", str(p), "--format", "json"])
    doc = json.loads(result.stdout)
    assert doc["files"][0]["error"] is None and doc["files"][0]["rows"] == 40


def test_missing_file_and_lock_files(tmp_path):
    (tmp_path / "~$open.xlsx").write_bytes(b"lock")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2  # nothing to validate: the lock file is skipped
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2 and "不存在" in result.stdout
