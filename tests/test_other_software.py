"""Workbooks written by other software (tests/data/other-software): read, or refused in one line.

Each file comes from a public project's test suite (README there). Written before the run: which
ones must be read (the ledger header is then simply not found in them, they are not ledgers), and
for the rest the words of the one-line refusal.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from capped import lines, run

CORPUS = Path(__file__).parent / "data" / "other-software"
CJK = re.compile(r"[\u4e00-\u9fff]")

# file -> None when it must be read, else words the Chinese refusal must contain
REFUSED = {
    "calamine__tests_OOM_alloc3.xls": "文件已损坏",
    "calamine__tests_issue252.xlsx": "压缩包不完整",
    "calamine__tests_pass_protected.xlsx": "密码",
    "calamine__tests_too_small.xls": "不是 Excel 工作簿",
    "test_files__crlf_CRLFX5_2.XLS": "Excel 4.0 或更早版本",
    "test_files__password_2002_40_xor.xls": "密码",
    "xlrd__tests_samples_biff4_no_format_no_window2.xls": "Excel 4.0 或更早版本",
}
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix.lower() in (".xls", ".xlsx", ".xlsm"))


def test_corpus_is_documented_and_small():
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in FILES)
    assert sum((CORPUS / n).stat().st_size for n in FILES) < 3 << 20
    kinds = " ".join(FILES)
    for needed in ("BlankSheetTypes.xlsm", "dotdot-target", "wps_fn.xls", "LONumbers.xlsx", "sushi.xls"):
        assert needed in kinds


@pytest.fixture(scope="module")
def report():
    done = run("validate", *[CORPUS / n for n in FILES], "--format", "json", timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr == b""
    return {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}


@pytest.mark.parametrize("name", FILES)
def test_read_or_refused_in_one_chinese_line(report, name):
    error = report[name]["error"]
    message = error["message"]
    assert "内部错误" not in message and "Traceback" not in message
    assert "\n" not in message and CJK.search(message)
    if name in REFUSED:
        assert error["code"] == "unreadable-file"
        assert REFUSED[name] in message
        head = message.split("（原始信息：")[0]
        assert not re.search(r"[A-Za-z]{4,} error|Cfb|Codepage|panick", head)  # the library's words only as a detail
    else:  # read: these are not ledgers, so no ledger header is found in any sheet
        assert error["code"] == "header-not-found", message


def test_excel_saved_xls_with_theme_is_read_not_taken_for_a_zip(report):
    """Excel 2007+ embeds its theme as a zip inside every .xls it saves."""
    import zipfile

    themed = [n for n in FILES if n.endswith(".xls") and zipfile.is_zipfile(CORPUS / n)]
    assert len(themed) >= 10
    assert all(report[n]["error"]["code"] == "header-not-found" for n in themed)


def test_english_refusals_in_english():
    done = run("validate", *[CORPUS / n for n in REFUSED], "--lang", "en")
    assert done.returncode == 2
    out = lines(done.stdout)
    assert len(out) == len(REFUSED) + 1  # one line a file, one summary
    for line in out[:-1]:
        assert not CJK.search(line.split(": ", 1)[1]), line


def test_excel_saved_xls_ledger_has_the_findings_of_its_xlsx_twin():
    """examples/…000….xls carries Excel's THEME record (a zip inside the .xls): built by
    examples/build_excel_xls.py from the .xlsx twin."""
    import zipfile

    from conftest import EX000

    xls = EX000.with_suffix(".xls")
    assert zipfile.is_zipfile(xls) and xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    found = {}
    for path in (xls, EX000):
        done = run("validate", path, "--format", "json")
        assert done.returncode == 1, done.stderr  # the seed has real defects: errors, exit 1
        (result,) = json.loads(done.stdout)["files"]
        assert result["error"] is None and result["rows"] == 12
        found[path.suffix] = sorted((f["code"], f["cell"], f["message"]) for f in result["findings"])
    assert found[".xls"] == found[".xlsx"]
    # the seed's two sub-items without a contact (a real defect of the 2019 ledger)
    assert [(code, cell) for code, cell, _ in found[".xls"]] == [
        ("missing-contact", "H11"), ("missing-contact", "H13"), ("missing-phone", "I11"), ("missing-phone", "I13")]
