"""Say what a parsing library's error means, in the user's language.

calamine (Rust), zipfile, openpyxl and xlrd speak English and their own internals
(`Cfb error: Codepage 8001 not found`, `Unrecognized sheet:type`). A user needs to know what is
wrong with the file and what to do; the library's words stay attached as a detail for whoever
reports the problem.
"""

from __future__ import annotations

import re

from .filecheck import ReadError, unreadable

# (pattern over the library's text, zh, en), first match wins; {0} is the pattern's first group
_MEANINGS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple((re.compile(p, re.IGNORECASE), zh, en) for p, zh, en in (
    (r"codepage\s*([0-9A-F]+)\s*not found",
     "工作簿使用了无法识别的字符编码（代码页 {0}），可能已损坏或由非常旧的软件保存；请在 Excel 或 WPS 中打开后另存为 .xlsx",
     "the workbook uses an unknown character encoding (code page {0}): damaged or saved by very old software; "
     "open it in Excel or WPS and save it as .xlsx"),
    (r"password|encrypt|protected",
     "工作簿设有打开密码，请在 Excel 中取消密码后再处理",
     "the workbook is password-protected; remove the password in Excel first"),
    (r"cfb|sector|\bole\b|compound|directory entr",
     "文件已损坏：.xls 的内部结构不完整（常见于下载不完整或被截断的文件）",
     "the file is damaged: the .xls structure is incomplete (often a truncated download)"),
    (r"unrecognized sheet",
     "工作簿中有无法读取的工作表类型（如 Excel 4 宏表）；请在 Excel 或 WPS 中删除该表或另存为 .xlsx",
     "the workbook holds a kind of sheet that cannot be read (such as an Excel 4 macro sheet); delete it or save "
     "the workbook as .xlsx in Excel or WPS"),
    (r"zip|deflate|crc|central directory|end of central",
     "文件已损坏：压缩包不完整或被截断",
     "the file is damaged: truncated or corrupt zip"),
    (r"xml|unexpected (end|eof)|syntax|not well-formed|mismatched tag",
     "工作表内容（XML）格式错误，文件可能已损坏或由不规范的程序生成；请在 Excel 或 WPS 中打开后另存",
     "the sheet's XML is malformed (damaged, or written by a non-conforming program); open it in Excel or "
     "WPS and save it again"),
    (r"memory|alloc|capacity overflow",
     "文件需要的内存超出上限，已拒绝读取",
     "reading the file would need more memory than allowed: refused"),
    (r"biff|unsupported|not supported|unrecognized|unknown",
     "文件使用了无法读取的 Excel 格式或功能；请在 Excel 或 WPS 中打开后另存为 .xlsx",
     "the file uses an Excel format or feature that cannot be read; open it in Excel or WPS and save it as .xlsx"),
    (r"panick|panic",
     "读取库无法处理此文件的内容（文件可能已损坏）",
     "the spreadsheet library cannot handle this file's content (probably damaged)"),
))


def library_text(exc: BaseException) -> str:
    """The library's own first line, short enough to keep as a detail."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def translate(exc: BaseException, where: tuple[str, str] = ("", "")) -> ReadError:
    """A ReadError saying what `exc` means; `where` ("工作表「x」", "sheet 'x'") prefixes it."""
    if isinstance(exc, ReadError):
        return exc
    detail = library_text(exc)
    probe = f"{type(exc).__name__} {detail}"
    for pattern, zh, en in _MEANINGS:
        m = pattern.search(probe)
        if m:
            args = m.groups() or ("",)
            zh, en = zh.format(*args), en.format(*args)
            break
    else:
        zh, en = ("文件已损坏或不是可读取的 Excel 工作簿；请在 Excel 或 WPS 中打开后另存为 .xlsx",
                  "the file is damaged or not a readable Excel workbook; open it in Excel or WPS and save it as .xlsx")
    if where[0]:
        zh, en = f"{where[0]}无法读取：{zh}", f"{where[1]} cannot be read: {en}"
    return unreadable(zh, en, detail)


_LIBRARIES = ("python_calamine", "pyo3_runtime", "zipfile", "zlib", "olefile", "defusedxml", "xml")


def from_library(exc: BaseException) -> bool:
    """Whether `exc` is a parsing library's verdict on the file (not a bug of taizhang's own)."""
    return (type(exc).__name__ == "PanicException" or isinstance(exc, (MemoryError, EOFError))
            or type(exc).__module__.split(".")[0] in _LIBRARIES)


def internal_error(exc: BaseException) -> ReadError:
    """A bug of taizhang's own, as one line that asks to report it (never a traceback)."""
    detail = f"{type(exc).__name__}: {exc}"[:200]
    return ReadError("internal-error", f"taizhang 内部错误（{detail}），请报告此问题；设置 TAIZHANG_DEBUG=1 可查看详情",
                     f"taizhang internal error ({detail}); please report it, TAIZHANG_DEBUG=1 shows details")
