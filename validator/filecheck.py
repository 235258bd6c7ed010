"""Decide whether a file is safe and sensible to read before any parser touches it.

Offices mail each other workbooks of every kind: renamed CSVs, half-downloaded attachments,
files with an opening password, and now and then something hostile. Every such case must end in
one clear sentence naming the file, never a traceback and never a hang, so the checks here run on
the raw bytes and the zip directory only.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_UNCOMPRESSED = 1 << 30  # 1 GiB in all: a real ledger is a few MB
MAX_RATIO = 200  # deflate rarely beats 100:1 on real sheet XML
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
_XML_DANGER = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class ReadError(Exception):
    """A file cannot be read as a ledger. `code` is a FILE_ERRORS code; messages in zh and en."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(zh)
        self.code, self.zh, self.en = code, zh, en

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def __reduce__(self):  # back from a worker process (validate --jobs) with all three fields
        return (type(self), (self.code, self.zh, self.en))


def unreadable(zh: str, en: str) -> ReadError:
    return ReadError("unreadable-file", zh, en)


@dataclass(frozen=True, slots=True)
class FileKind:
    kind: str  # "xlsx", "xls" or "csv"


def sniff(path: Path) -> FileKind:
    """Classify a file by its bytes (not its name) and reject what must not be parsed."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except IsADirectoryError:
        raise unreadable("这是一个文件夹，不是文件", "this is a folder, not a file") from None
    except FileNotFoundError:
        raise unreadable("文件不存在", "file not found") from None
    except OSError as exc:
        raise unreadable(f"无法打开文件（{exc.strerror}）", f"cannot open the file ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if size == 0:
        raise unreadable("文件是空的（0 字节）", "the file is empty (0 bytes)")
    if head.startswith(ZIP_MAGIC):
        _check_zip(path)
        return FileKind("xlsx")
    if head.startswith(OLE_MAGIC):
        if _is_encrypted_ole(path):
            raise unreadable("工作簿设有打开密码，请在 Excel 中取消密码后再处理",
                             "the workbook is password-protected; remove the password in Excel first")
        return FileKind("xls")
    if suffix == ".csv":
        return FileKind("csv")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise unreadable(
            f"扩展名是 {suffix}，但内容不是 Excel 工作簿（可能是改了扩展名的 CSV 或文本文件）",
            f"named {suffix} but the content is not an Excel workbook (a renamed CSV or text file?)",
        )
    raise unreadable("不是支持的表格文件（支持 .xlsx .xlsm .xls .csv）",
                     "not a supported spreadsheet (.xlsx .xlsm .xls .csv)")


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "xl/workbook.xml" not in names:
                if "EncryptedPackage" in names:
                    raise unreadable("工作簿设有打开密码", "the workbook is password-protected")
                raise unreadable("压缩包中没有 Excel 工作簿内容（缺少 xl/workbook.xml）",
                                 "the zip holds no Excel workbook (xl/workbook.xml missing)")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED or any(
                i.file_size > (8 << 20) and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos
            ):
                raise unreadable(
                    f"解压后体积异常（{total / 2**20:.0f} MB），疑似压缩炸弹，已拒绝读取",
                    f"uncompressed size is abnormal ({total / 2**20:.0f} MB): refused as a possible zip bomb",
                )
            for info in infos:
                if info.filename.endswith((".xml", ".rels")) and info.file_size:
                    with zf.open(info) as member:
                        if _XML_DANGER.search(member.read(4096)):
                            raise unreadable(
                                f"{info.filename} 含有 DOCTYPE/实体声明（XML 外部实体），已拒绝读取",
                                f"{info.filename} declares a DOCTYPE/entity (XML external entity): refused",
                            )
    except zipfile.BadZipFile:
        raise unreadable("文件已损坏：压缩包不完整或被截断", "the file is damaged: truncated or corrupt zip") from None
    except (OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise unreadable(f"文件已损坏（{exc}）", f"the file is damaged ({exc})") from None


def _is_encrypted_ole(path: Path) -> bool:
    # An encrypted .xlsx is an OLE container holding an "EncryptedPackage" stream; the name sits in
    # the directory sectors, stored as UTF-16-LE.
    marker = "EncryptedPackage".encode("utf-16-le")
    with path.open("rb") as fh:
        data = fh.read(8 << 20)
    return marker in data
