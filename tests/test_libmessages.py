"""Library errors, raised for real by the libraries on real files, say what they mean in Chinese
(English with --lang en) and keep the library's own words only as the detail."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from taizhang.validator.libmessages import from_library, internal_error, translate

CORPUS = Path(__file__).parent / "data" / "other-software"


def _calamine_error(name: str) -> BaseException:
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(CORPUS / name))
        wb.get_sheet_by_index(0).to_python()
    except BaseException as exc:  # noqa: BLE001 - PanicException is a BaseException
        return exc
    raise AssertionError(f"{name} opened")


CASES = {  # file -> (start of the Chinese message, start of the library's own words)
    "test_files__password_2002_40_xor.xls": ("工作簿使用了无法识别的字符编码（代码页 D7D4）", "Cfb error: Codepage D7D4 not found"),
    "calamine__tests_OOM_alloc3.xls": ("文件已损坏：.xls 的内部结构不完整", "Cfb error: Sector"),
    "test_files__BlankSheetTypes.xlsm": ("工作簿中有无法读取的工作表类型（如 Excel 4 宏表）", "Unrecognized sheet:type"),
}


@pytest.mark.parametrize("name", CASES)
def test_calamine_errors_translated(name):
    exc = _calamine_error(name)
    assert from_library(exc)
    err = translate(exc)
    zh, detail = CASES[name]
    assert err.code == "unreadable-file" and err.zh.startswith(zh) and err.detail.startswith(detail)
    assert err.message("zh") == f"{err.zh}（原始信息：{err.detail}）"
    assert err.message("en").startswith(err.en) and "（" not in err.en


def test_zipfile_error_translated_with_a_place():
    try:
        with zipfile.ZipFile(CORPUS / "calamine__tests_issue252.xlsx") as zf:
            zf.read("xl/_rels/workbook.xml.rels")
    except zipfile.BadZipFile as exc:
        err = translate(exc, ("工作表「台账」", "sheet '台账'"))
    assert err.zh == "工作表「台账」无法读取：文件已损坏：压缩包不完整或被截断"
    assert err.en == "sheet '台账' cannot be read: the file is damaged: truncated or corrupt zip"
    assert err.detail == "Bad CRC-32 for file 'xl/_rels/workbook.xml.rels'"


def test_a_bug_of_ours_is_not_a_damaged_file():
    bug = KeyError("There is no item named 'xl/workbook.xml' in the archive")
    assert not from_library(bug)
    err = internal_error(bug)
    assert err.code == "internal-error" and err.zh.startswith("taizhang 内部错误（KeyError: ")
