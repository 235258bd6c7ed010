"""Decide what a file is, once, from its bytes, and whether it is safe to read.

Offices mail each other workbooks of every kind: renamed CSVs, half-downloaded attachments,
files with an opening password, web pages saved as .xls, and now and then something hostile.
Every such case must end in one clear sentence naming the file, never a traceback and never a
hang, so the checks here run on the raw bytes and the zip directory only.

The answer (`FileKind`) is the one decision every later step uses: an Excel-saved .xls embeds
its colour theme as a small zip, so asking `zipfile.is_zipfile` again later takes it for an
.xlsx; and an .xlsx whose workbook does not live at `xl/workbook.xml` is still an .xlsx.
"""

from __future__ import annotations

import errno
import io
import os
import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_FILE_BYTES = 256 << 20  # a real ledger is a few MB; reading 256 MB already costs gigabytes
MAX_UNCOMPRESSED = 1 << 30  # 1 GiB in all
MAX_RATIO = 200  # deflate rarely beats 100:1 on real sheet XML
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
_XML_DANGER = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# the BOF record that starts a bare BIFF2/3/4 stream (Excel 2.x-4.0 saved it outside any container)
_BARE_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")
_OFFICE_DOCUMENT = "/officeDocument"
_READABLE_SHEETS = ("/worksheet", "/chartsheet", "/dialogsheet")  # what calamine accepts


class ReadError(Exception):
    """A file cannot be read as a ledger. `code` is a FILE_ERRORS code; messages in zh and en.

    `detail` keeps a library's own words (calamine, zipfile, the OS) for whoever reports the
    problem; the message itself always says what it means in the user's language.
    """

    def __init__(self, code: str, zh: str, en: str, detail: str = ""):
        super().__init__(zh)
        self.code, self.zh, self.en, self.detail = code, zh, en, detail

    def message(self, lang: str = "zh") -> str:
        text = self.zh if lang == "zh" else self.en
        if self.detail:
            text += f"（原始信息：{self.detail}）" if lang == "zh" else f" (original message: {self.detail})"
        return text

    def __reduce__(self):  # back from a worker process (validate --jobs, isolate) with every field
        return (type(self), (self.code, self.zh, self.en, self.detail))


def unreadable(zh: str, en: str, detail: str = "") -> ReadError:
    return ReadError("unreadable-file", zh, en, detail)


@dataclass(slots=True)
class FileKind:
    """What a file is, decided once from its bytes. Parts are zip member names as stored."""

    kind: str  # "xlsx", "xls" or "csv"
    workbook: str = ""  # zip member of the workbook part (usually xl/workbook.xml)
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> zip member of its XML
    skipped: tuple[str, ...] = ()  # sheets no reader here understands (Excel 4 macro sheets)
    odd_targets: tuple[str, ...] = ()  # legal sheet targets calamine cannot follow (`../xl/...`)
    strings: str = ""  # zip member of the shared strings, when its uniqueCount must not be trusted
    active: str | None = None  # the sheet Excel shows on opening (workbook.xml activeTab)

    @property
    def needs_repair(self) -> bool:
        """calamine would refuse the package as stored, though Excel opens it."""
        return bool(self.skipped or self.odd_targets or self.strings)


def check_regular(path: Path) -> int:
    """Size of `path` if it is a regular file (symlinks followed); otherwise one clear ReadError.

    A FIFO would block the reader forever, a device never ends and opening some devices acts
    (a watchdog starts counting): the type is taken from stat before any open, and again from
    the open descriptor (opened non-blocking) in case the name changed in between.
    """
    try:
        st = os.stat(path)
        _refuse_special(st)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except IsADirectoryError:
        raise unreadable("这是一个文件夹，不是文件", "this is a folder, not a file") from None
    except FileNotFoundError:
        raise unreadable("文件不存在", "file not found") from None
    except OSError as exc:
        zh = _OPEN_REASONS.get(exc.errno or 0)
        raise unreadable(f"无法打开文件（{zh}）" if zh else "无法打开文件", f"cannot open the file ({exc.strerror})",
                         "" if zh else str(exc.strerror or exc)) from None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    _refuse_special(st)
    if st.st_size > MAX_FILE_BYTES:
        raise unreadable(f"文件过大（{st.st_size / 2**20:.0f} MB，上限 {MAX_FILE_BYTES >> 20} MB），已拒绝读取",
                         f"the file is too large ({st.st_size / 2**20:.0f} MB, limit {MAX_FILE_BYTES >> 20} MB): refused")
    return st.st_size


def _refuse_special(st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise unreadable("这是一个文件夹，不是文件", "this is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        what = ("命名管道", "a named pipe (FIFO)") if stat.S_ISFIFO(st.st_mode) else (
            ("设备", "a device") if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else ("特殊文件", "a special file"))
        raise unreadable(f"这不是普通文件（是{what[0]}），已拒绝读取", f"not a regular file ({what[1]}): refused")


_OPEN_REASONS = {errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限", errno.ELOOP: "符号链接循环",
                 errno.ENAMETOOLONG: "文件名过长", errno.ENXIO: "设备不存在"}


def sniff(path: Path) -> FileKind:
    """Classify a file by its bytes (not its name) and reject what must not be parsed."""
    path = Path(path)
    size = check_regular(path)
    if size == 0:
        raise unreadable("文件是空的（0 字节）", "the file is empty (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(512)
    suffix = path.suffix.lower()
    if head.startswith(ZIP_MAGIC):
        return _inspect_zip(path)
    if head.startswith(OLE_MAGIC):
        _check_ole(path)
        return FileKind("xls")
    _refuse_known_non_workbook(head, suffix)
    if suffix == ".csv":
        return FileKind("csv")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise unreadable(
            f"扩展名是 {suffix}，但内容不是 Excel 工作簿（可能是改了扩展名的 CSV 或文本文件）",
            f"named {suffix} but the content is not an Excel workbook (a renamed CSV or text file?)",
        )
    raise unreadable("不是支持的表格文件（支持 .xlsx .xlsm .xls .csv）",
                     "not a supported spreadsheet (.xlsx .xlsm .xls .csv)")


def _refuse_known_non_workbook(head: bytes, suffix: str) -> None:
    """Files other systems export under a spreadsheet's name: say what they are and what to do."""
    if len(head) >= 4 and head[:2] in _BARE_BIFF and head[2:4] in (b"\x04\x00", b"\x06\x00", b"\x08\x00", b"\x10\x00"):
        raise unreadable("这是 Excel 4.0 或更早版本保存的 .xls（BIFF2–4），无法读取；请在 Excel 或 WPS 中打开后另存为 .xlsx",
                         "an .xls saved by Excel 4.0 or older (BIFF2-4) cannot be read; open it in Excel or WPS "
                         "and save it as .xlsx")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if suffix != ".csv" and (text.startswith((b"<html", b"<!doctype html", b"<table", b"<meta"))
                             or b"<html" in text[:200]):
        raise unreadable("这是网页（HTML）文件，只是扩展名为表格；请在 Excel 或 WPS 中打开后另存为 .xlsx",
                         "this is a web page (HTML) with a spreadsheet's name; open it in Excel or WPS and save it as .xlsx")
    if text.startswith(b"mime-version:") and suffix != ".csv":
        raise unreadable("这是单个文件网页（MHTML），只是扩展名为表格；请在 Excel 或 WPS 中打开后另存为 .xlsx",
                         "this is a single-file web page (MHTML) with a spreadsheet's name; open it in Excel or WPS "
                         "and save it as .xlsx")
    if text.startswith(b"<?xml") and suffix != ".csv":
        raise unreadable("这是 XML 文件（如 Excel 2003 XML 表格），不是 .xlsx 工作簿；请在 Excel 或 WPS 中打开后另存为 .xlsx",
                         "this is an XML file (such as an Excel 2003 XML spreadsheet), not an .xlsx workbook; "
                         "open it in Excel or WPS and save it as .xlsx")


def _check_ole(path: Path) -> None:
    # Stream names sit in the directory sectors as UTF-16-LE; ASCII letters lower-case alike there.
    with path.open("rb") as fh:
        raw = fh.read(8 << 20)
    data = raw.lower()
    if "encryptedpackage".encode("utf-16-le") in data or _biff_filepass(raw):
        raise unreadable("工作簿设有打开密码，请在 Excel 中取消密码后再处理",
                         "the workbook is password-protected; remove the password in Excel first")
    if "book".encode("utf-16-le") not in data:  # the stream is "Workbook" (BIFF8) or "Book" (BIFF5)
        what = ("Word 文档", "a Word document") if "worddocument".encode("utf-16-le") in data else ("其他 Office 文件", "another Office file")
        raise unreadable(f"这是 Office 复合文档，但其中没有 Excel 工作簿（可能是{what[0]}）",
                         f"an Office compound file that holds no Excel workbook ({what[1]}?)")


def _biff_filepass(data: bytes) -> bool:
    """A FILEPASS record among the first records of the workbook globals: an .xls with a password."""
    at = data.find(b"\x09\x08\x10\x00\x00\x06\x05\x00")  # BIFF8 BOF of the workbook globals
    if at < 0:
        return False
    for _ in range(8):
        rid, size = int.from_bytes(data[at:at + 2], "little"), int.from_bytes(data[at + 2:at + 4], "little")
        if rid == 0x002F:
            return True
        at += 4 + size
    return False


def _inspect_zip(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {_norm(i.filename): i.filename for i in infos}
            if "EncryptedPackage" in names:
                raise unreadable("工作簿设有打开密码", "the workbook is password-protected")
            _check_members(zf, infos)
            return _package(zf, names)
    except zipfile.BadZipFile as exc:
        raise unreadable("文件已损坏：压缩包不完整或被截断", "the file is damaged: truncated or corrupt zip",
                         str(exc)) from None
    except (OSError, EOFError, zipfile.LargeZipFile, RuntimeError, NotImplementedError) as exc:
        raise unreadable("文件已损坏或使用了不支持的压缩方式", "the file is damaged or uses an unsupported compression",
                         f"{type(exc).__name__}: {exc}"[:200]) from None


def check_zip_document(path: Path) -> None:
    """The caps validate applies to a workbook, for another zip document (a .docx notice):
    a regular file, its size, zip-bomb ratios and XML entity declarations."""
    check_regular(path)
    try:
        with zipfile.ZipFile(path) as zf:
            _check_members(zf, zf.infolist())
    except zipfile.BadZipFile as exc:
        raise unreadable("文件已损坏或不是 Word 文档：压缩包不完整或被截断",
                         "damaged file or not a Word document: truncated or corrupt zip", str(exc)) from None
    except (OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise unreadable("文件已损坏或使用了不支持的压缩方式", "the file is damaged or uses an unsupported compression",
                         f"{type(exc).__name__}: {exc}"[:200]) from None


def _check_members(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    _check_sizes(infos)
    for info in infos:
        if info.filename.endswith((".xml", ".rels")) and info.file_size:
            with zf.open(info) as member:
                if _XML_DANGER.search(member.read(4096)):
                    raise unreadable(
                        f"{info.filename} 含有 DOCTYPE/实体声明（XML 外部实体），已拒绝读取",
                        f"{info.filename} declares a DOCTYPE/entity (XML external entity): refused",
                    )


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED or any(
        i.file_size > (8 << 20) and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos
    ):
        raise unreadable(
            f"解压后体积异常（{total / 2**20:.0f} MB），疑似压缩炸弹，已拒绝读取",
            f"uncompressed size is abnormal ({total / 2**20:.0f} MB): refused as a possible zip bomb",
        )


def _norm(name: str) -> str:
    """A zip member name as a part name: forward slashes, no leading slash, no `..` left."""
    name = name.replace("\\", "/").lstrip("/")
    return posixpath.normpath(name) if name else name


def resolve_target(source_part: str, target: str) -> str:
    """A relationship target as a part name (relative to the source part's folder, or absolute)."""
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return _norm(target)
    return _norm(posixpath.join(posixpath.dirname(source_part), target))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # Strict OOXML and prefixed files use other namespaces


def _package(zf: zipfile.ZipFile, names: dict[str, str]) -> FileKind:
    """Find the workbook through the package relationships, and every sheet's part."""
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as ET

    def read(part: str) -> bytes | None:
        member = names.get(part)
        if member is None:
            lower = {k.lower(): v for k, v in names.items()}  # Windows tools vary the case
            member = lower.get(part.lower())
        return None if member is None else zf.read(member)

    raw_targets: dict[str, str] = {}

    def rels_of(part: str) -> dict[str, tuple[str, str]]:
        folder, base = posixpath.split(part)
        data = read(posixpath.join(folder, "_rels", base + ".rels"))
        if data is None:
            return {}
        out = {}
        for r in ET.fromstring(data):
            if r.get("Target") is not None:
                out[r.get("Id", "")] = (r.get("Type", ""), resolve_target(part, r.get("Target", "")))
                raw_targets[r.get("Id", "")] = r.get("Target", "")
        return out

    try:
        root = rels_of("")
        workbook = next((t for typ, t in root.values() if typ.endswith(_OFFICE_DOCUMENT)), "xl/workbook.xml")
        data = read(workbook)
        if data is None:
            raise unreadable("压缩包中没有 Excel 工作簿内容（缺少 workbook.xml）",
                             "the zip holds no Excel workbook (workbook.xml missing)")
        raw_targets.clear()  # ids are per relationships file: keep the workbook's only
        rels = rels_of(workbook)
        sheets: dict[str, str] = {}
        skipped = []
        odd = []
        order = []
        active_tab = None  # the first workbook view's; Excel leaves it out when the first sheet is active
        for s in ET.fromstring(data).iter():
            if _local(s.tag) == "workbookView" and active_tab is None:
                active_tab = int(s.get("activeTab")) if (s.get("activeTab") or "").isdigit() else 0
            if _local(s.tag) != "sheet":
                continue
            order.append(s.get("name", ""))
            rid = next((v for k, v in s.attrib.items() if _local(k) == "id"), "")
            typ, target = rels.get(rid, ("", ""))
            name = s.get("name", "")
            if not typ.endswith(_READABLE_SHEETS):
                skipped.append(name)
            elif target:
                sheets[name] = names.get(target) or target
                raw = raw_targets.get(rid, "")
                if {".", ".."} & set(raw.replace("\\", "/").split("/")):
                    odd.append(raw)
    except ReadError:
        raise
    except (DefusedXmlException, ET.ParseError) as exc:
        raise unreadable("工作簿结构（workbook.xml 或关系文件）格式错误", "the workbook's structure (workbook.xml or its "
                         "relationships) is malformed", f"{type(exc).__name__}: {exc}"[:200]) from None
    return FileKind("xlsx", names.get(workbook, workbook), sheets, tuple(skipped), tuple(odd),
                    _untrusted_strings(zf, names, rels), order[active_tab or 0] if (active_tab or 0) < len(order) else None)


_UNIQUE_COUNT = re.compile(rb'uniqueCount="(\d+)"')


def _untrusted_strings(zf: zipfile.ZipFile, names: dict[str, str], rels: dict[str, tuple[str, str]]) -> str:
    """The shared-strings member if its uniqueCount claims more strings than its bytes can hold.

    calamine reserves room for uniqueCount strings before reading one: a 5 KB workbook claiming
    10^11 asks for 2.4 TB and aborts the process. Excel ignores the hint, so the repaired package
    drops it and the file is read.
    """
    member = next((names.get(t, t) for typ, t in rels.values() if typ.endswith("/sharedStrings")), "")
    try:
        info = zf.getinfo(member)
        with zf.open(info) as fh:
            m = _UNIQUE_COUNT.search(fh.read(2048))
    except (KeyError, zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        return ""
    return member if m and int(m.group(1)) > info.file_size // 4 + 16 else ""  # <si/> is 5 bytes


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\s[^>]*?/>")
_NAME_ATTR = re.compile(rb'\sname="([^"]*)"')


def repaired_package(path: Path, kind: FileKind) -> bytes:
    """The package as calamine can read it, built in memory (the file itself is never changed):
    `kind.skipped` sheets taken out of the workbook's sheet list, `kind.odd_targets` written as
    the absolute part names they mean, an untrusted uniqueCount of `kind.strings` set to 0."""
    import html

    def keep(tag: re.Match) -> bytes:
        m = _NAME_ATTR.search(tag.group())
        name = html.unescape(m.group(1).decode("utf-8", "replace")) if m else ""
        return b"" if name in kind.skipped else tag.group()

    workbook = _norm(kind.workbook)
    folder, base = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == kind.workbook:
                data = _SHEET_TAG.sub(keep, data)
            elif info.filename == kind.strings:
                data = _UNIQUE_COUNT.sub(b'uniqueCount="0"', data, count=1)
            elif _norm(info.filename) == rels:
                for raw in kind.odd_targets:
                    fixed = html.escape("/" + resolve_target(workbook, raw))
                    data = data.replace(f'Target="{html.escape(raw)}"'.encode(), f'Target="{fixed}"'.encode())
            zout.writestr(info, data)
    return out.getvalue()
