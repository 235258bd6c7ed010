"""Build (and install) the desktop Excel add-in ``taizhang.xlam`` on any OS.

No Excel is needed.  The build starts from the ribbon add-in template that ships
inside the installed xlwings package (``quickstart_addin_ribbon.xlam``, the file
``xlwings quickstart NAME --addin --ribbon`` copies) and changes five things, all
from text sources kept in this package:

1. ``customUI/customUI.xml`` is replaced by ``addin/ribbon/customUI.xml`` (tab 台账,
   one button per command, every button calling the same VBA callback).
2. The VBA module the ribbon calls (``RibbonMyAddin``) gets the source of
   ``addin/vba/Ribbon.bas``: ``RunTagged`` passes the button's tag to
   ``addin.ribbon_dispatch`` through xlwings' ``RunPython``.
3. The template's ``xlwings`` VBA module gets ``PROJECT_NAME = "taizhang"``, so the
   add-in reads its settings (``INTERPRETER_WIN`` etc.) from
   ``~/.taizhang/taizhang.conf``; its (disabled) config sheet ``_myaddin.conf`` is
   renamed ``_taizhang.conf`` in ``xl/workbook.xml`` to match.
4. ``_rels/.rels`` links the ribbon with the 2006 relationship type that matches the 2006
   customUI schema (the template uses the 2007 type, meant for customUI14).
5. Nothing else: the other VBA modules, the PROJECT streams and all other parts are
   copied unchanged (the VBA project and the ribbon module keep the template's
   names ``MyAddin`` and ``RibbonMyAddin``).

Why swapping VBA source without Excel is safe: the template's ``_VBA_PROJECT``
stream is the 7-byte header ``cc61 ffff 0001 00``; version ``0xFFFF`` tells Office
there is no usable performance cache (p-code), so it compiles every module from
source on load.  A module stream is ``MODULEOFFSET`` bytes of cached p-code
followed by the compressed source; changed modules are written *source-only* with
``MODULEOFFSET`` 0 in the ``dir`` stream (xlwings ships its own add-ins this way).
Source is compressed with :mod:`addin.ovba` and the compound file (MS-CFB) is
rewritten by the small writer at the end of this module, because olefile can only
overwrite streams in place with the same size.

The output is deterministic: same template + same sources give the same bytes
(no timestamps in the compound file, the template's zip timestamps are kept).

This module imports neither xlwings nor anything heavy at import time; the build
only needs the template's path (found with :func:`importlib.util.find_spec`) and
``olefile`` to read the template's ``vbaProject.bin``.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import struct
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .ovba import compress, decompress

__all__ = [
    "XLAM_NAME",
    "RibbonButton",
    "build_xlam",
    "find_template",
    "ribbon_buttons",
    "vba_callbacks",
    "write_compound_file",
]

ADDIN_DIR = Path(__file__).resolve().parent
CUSTOM_UI_SOURCE = ADDIN_DIR / "ribbon" / "customUI.xml"
RIBBON_VBA_SOURCE = ADDIN_DIR / "vba" / "Ribbon.bas"

#: File name of the built add-in.
XLAM_NAME = "taizhang.xlam"
#: Template shipped inside the xlwings package.
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
#: Name of the template's ribbon module; Ribbon.bas must declare it as VB_Name.
RIBBON_MODULE = "RibbonMyAddin"
#: xlwings looks for ``~/.<PROJECT_NAME>/<PROJECT_NAME>.conf`` and a sheet of that name.
PROJECT_NAME = "taizhang"
_TEMPLATE_PROJECT_NAME = "myaddin"

CUSTOM_UI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
#: Relationship type of a customUI part in the 2006 schema ([MS-CUSTOMUI] 2.1). The template links
#: its part with the 2007 type, which Office reserves for customUI14 (the 2009/07 schema).
CUSTOM_UI_REL_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
_CUSTOM_UI_REL_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
_ROOT_RELS_PART = "_rels/.rels"
_CUSTOM_UI_PART = "customUI/customUI.xml"
_VBA_PART = "xl/vbaProject.bin"
_WORKBOOK_PART = "xl/workbook.xml"
_CONTENT_TYPES_PART = "[Content_Types].xml"

# Public Sub/Function NAME(control As IRibbonControl ...) -- a ribbon callback
_CALLBACK_RE = re.compile(
    r"^[ \t]*(?:Public[ \t]+)?(?:Sub|Function)[ \t]+(\w+)[ \t]*\([ \t]*(?:ByVal[ \t]+|ByRef[ \t]+)?"
    r"\w+[ \t]+As[ \t]+IRibbonControl\b",
    re.IGNORECASE | re.MULTILINE,
)
_VB_NAME_RE = re.compile(r'^Attribute VB_Name = "([^"]+)"', re.MULTILINE)


# --------------------------------------------------------------------------- #
# Public API
# --------------------------------------------------------------------------- #


def find_template() -> Path:
    """Return the path of xlwings' ribbon add-in template without importing xlwings."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("找不到 xlwings：生成 Excel 加载项需要先安装 xlwings（pip install 'taizhang[addin]'）。")
    for location in spec.submodule_search_locations:
        template = Path(location) / TEMPLATE_NAME
        if template.is_file():
            return template
    raise RuntimeError(f"已安装的 xlwings 中没有加载项模板 {TEMPLATE_NAME}，请升级 xlwings。")


def build_xlam(out_dir: Path, *, template: Path | None = None) -> Path:
    """Build ``taizhang.xlam`` into ``out_dir`` (created if missing) and return its path."""
    template = Path(template) if template is not None else find_template()
    custom_ui = CUSTOM_UI_SOURCE.read_bytes()
    ribbon_source = RIBBON_VBA_SOURCE.read_text(encoding="utf-8")
    _check_ribbon(custom_ui, ribbon_source)

    with zipfile.ZipFile(template) as zin:
        members = {info.filename: (info, zin.read(info.filename)) for info in zin.infolist()}
    for part in (_VBA_PART, _CUSTOM_UI_PART, _WORKBOOK_PART, _CONTENT_TYPES_PART, _ROOT_RELS_PART):
        if part not in members:
            raise RuntimeError(f"xlwings 模板 {template.name} 缺少 {part}，无法生成加载项。")

    replaced = {
        _VBA_PART: _patch_vba_project(members[_VBA_PART][1], ribbon_source),
        _CUSTOM_UI_PART: custom_ui,
        _WORKBOOK_PART: _rename_config_sheet(members[_WORKBOOK_PART][1]),
        _ROOT_RELS_PART: _custom_ui_relationship(members[_ROOT_RELS_PART][1]),
    }

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / XLAM_NAME
    tmp = out.with_name(out.name + ".tmp")
    # [Content_Types].xml first, then the template's order; fixed metadata so the
    # archive is byte-identical wherever it is built.
    order = [_CONTENT_TYPES_PART] + [n for n in members if n != _CONTENT_TYPES_PART]
    with zipfile.ZipFile(tmp, "w") as zout:
        for name in order:
            info, data = members[name]
            new_info = zipfile.ZipInfo(name, date_time=info.date_time)
            new_info.compress_type = zipfile.ZIP_DEFLATED
            new_info.create_system = 0
            new_info.external_attr = 0
            zout.writestr(new_info, replaced.get(name, data), compresslevel=9)
    os.replace(tmp, out)
    return out


@dataclass(frozen=True)
class RibbonButton:
    """One ``<button>`` of the ribbon XML."""

    id: str
    tag: str | None
    label: str | None
    on_action: str | None
    screentip: str | None
    image_mso: str | None


def ribbon_buttons(custom_ui: bytes | str) -> list[RibbonButton]:
    """Parse customUI XML and return its buttons in document order."""
    from defusedxml.ElementTree import fromstring

    root = fromstring(custom_ui.encode("utf-8") if isinstance(custom_ui, str) else custom_ui)
    if root.tag != f"{{{CUSTOM_UI_NS}}}customUI":
        raise ValueError(f"customUI 根元素应为 {{{CUSTOM_UI_NS}}}customUI，实际是 {root.tag}")
    return [
        RibbonButton(
            id=b.get("id", ""),
            tag=b.get("tag"),
            label=b.get("label"),
            on_action=b.get("onAction"),
            screentip=b.get("screentip"),
            image_mso=b.get("imageMso"),
        )
        for b in root.iter(f"{{{CUSTOM_UI_NS}}}button")
    ]


def vba_callbacks(source: str) -> set[str]:
    """Names of the ribbon callbacks (``Sub X(control As IRibbonControl)``) in VBA source."""
    return set(_CALLBACK_RE.findall(source))


# --------------------------------------------------------------------------- #
# Sources
# --------------------------------------------------------------------------- #


def _check_ribbon(custom_ui: bytes, ribbon_source: str) -> None:
    """Fail the build early if the XML and the VBA don't fit together."""
    names = _VB_NAME_RE.findall(ribbon_source)
    if names != [RIBBON_MODULE]:
        raise ValueError(f'{RIBBON_VBA_SOURCE.name} 必须以 Attribute VB_Name = "{RIBBON_MODULE}" 开头')
    callbacks = vba_callbacks(ribbon_source)
    buttons = ribbon_buttons(custom_ui)
    if not buttons:
        raise ValueError("customUI.xml 中没有按钮")
    seen: set[str] = set()
    for button in buttons:
        if not (button.id and button.label and button.tag and button.on_action):
            raise ValueError(f"按钮 {button.id!r} 缺少 id、label、tag 或 onAction")
        if button.tag in seen:
            raise ValueError(f"按钮 tag 重复：{button.tag}")
        seen.add(button.tag)
        module, _, sub = button.on_action.rpartition(".")
        if module not in ("", RIBBON_MODULE) or sub not in callbacks:
            raise ValueError(
                f"按钮 {button.id} 的 onAction={button.on_action} 在 {RIBBON_VBA_SOURCE.name} 中没有对应的"
                f" Sub {sub}(control As IRibbonControl)"
            )


def _vba_bytes(source: str, codepage: int) -> bytes:
    """VBA source as stored in a module stream: project code page, CRLF line ends."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    try:
        return text.replace("\n", "\r\n").encode(f"cp{codepage}")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"VBA 源码只能使用代码页 {codepage} 中的字符（中文请放在 customUI.xml 或 Python 中）：{exc}"
        ) from None


def _custom_ui_relationship(rels_xml: bytes) -> bytes:
    """The package's link to customUI.xml, with the relationship type of the 2006 schema it uses."""
    if CUSTOM_UI_REL_2006.encode() in rels_xml:
        return rels_xml
    if rels_xml.count(_CUSTOM_UI_REL_2007.encode()) != 1:
        raise RuntimeError(f"xlwings 模板的 {_ROOT_RELS_PART} 中找不到功能区（customUI）关系")
    return rels_xml.replace(_CUSTOM_UI_REL_2007.encode(), CUSTOM_UI_REL_2006.encode())


def _rename_config_sheet(workbook_xml: bytes) -> bytes:
    old = f'name="_{_TEMPLATE_PROJECT_NAME}.conf"'.encode()
    if workbook_xml.count(old) != 1:
        raise RuntimeError(f"xlwings 模板的 {_WORKBOOK_PART} 中找不到配置表 _{_TEMPLATE_PROJECT_NAME}.conf")
    return workbook_xml.replace(old, f'name="_{PROJECT_NAME}.conf"'.encode())


# --------------------------------------------------------------------------- #
# vbaProject.bin ([MS-OVBA])
# --------------------------------------------------------------------------- #

_PROJECTCODEPAGE = 0x0003
_PROJECTVERSION = 0x0009
_MODULENAME = 0x0019
_MODULESTREAMNAME = 0x001A
_MODULEOFFSET = 0x0031


@dataclass(frozen=True)
class _Module:
    name: str
    stream_name: str
    offset: int
    offset_pos: int  # position of the MODULEOFFSET payload in the decompressed dir stream


def _dir_records(dir_stream: bytes) -> Iterator[tuple[int, int, int]]:
    """Yield ``(record_id, payload_start, payload_size)`` for a decompressed dir stream.

    Every record is ``id (u16), size (u32), payload`` except PROJECTVERSION, whose
    size field says 4 but which carries 6 bytes (MS-OVBA 2.3.4.2.1.11).
    """
    pos = 0
    while pos + 6 <= len(dir_stream):
        record_id, size = struct.unpack_from("<HI", dir_stream, pos)
        if record_id == _PROJECTVERSION:
            size = 6
        yield record_id, pos + 6, size
        pos += 6 + size


def _parse_dir(dir_stream: bytes) -> tuple[int, dict[str, _Module]]:
    """Return the project code page and the modules (by name) of a dir stream."""
    codepage = 1252
    modules: dict[str, _Module] = {}
    name = stream_name = ""
    for record_id, start, size in _dir_records(dir_stream):
        payload = dir_stream[start : start + size]
        if record_id == _PROJECTCODEPAGE:
            (codepage,) = struct.unpack("<H", payload)
        elif record_id == _MODULENAME:
            name = payload.decode(f"cp{codepage}")
        elif record_id == _MODULESTREAMNAME:
            stream_name = payload.decode(f"cp{codepage}")
        elif record_id == _MODULEOFFSET:
            (offset,) = struct.unpack("<I", payload)
            modules[name] = _Module(name, stream_name or name, offset, start)
    return codepage, modules


def _module_source(stream: bytes, module: _Module) -> bytes:
    return decompress(stream[module.offset :])


def _patch_vba_project(vba_project: bytes, ribbon_source: str) -> bytes:
    """Return a new vbaProject.bin with the ribbon module and PROJECT_NAME replaced."""
    import olefile

    with olefile.OleFileIO(vba_project) as ole:
        streams = {"/".join(path): ole.openstream(path).read() for path in ole.listdir()}
    if not streams.get("VBA/_VBA_PROJECT", b"").startswith(b"\xcc\x61\xff\xff"):
        raise RuntimeError("xlwings 模板的 VBA 工程带有编译缓存（_VBA_PROJECT 版本不是 0xFFFF），不能直接替换源码。")

    dir_stream = bytearray(decompress(streams["VBA/dir"]))
    codepage, modules = _parse_dir(bytes(dir_stream))
    for required in (RIBBON_MODULE, "xlwings"):
        if required not in modules:
            raise RuntimeError(f"xlwings 模板的 VBA 工程中没有模块 {required}")

    new_sources: dict[str, bytes] = {RIBBON_MODULE: _vba_bytes(ribbon_source, codepage)}
    xlwings_module = modules["xlwings"]
    xlwings_source = _module_source(streams[f"VBA/{xlwings_module.stream_name}"], xlwings_module)
    old_const = f'Public Const PROJECT_NAME As String = "{_TEMPLATE_PROJECT_NAME}"'.encode()
    if xlwings_source.count(old_const) != 1:
        raise RuntimeError("xlwings 模板的 xlwings 模块中找不到 PROJECT_NAME 常量")
    new_sources["xlwings"] = xlwings_source.replace(
        old_const, f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"'.encode()
    )

    for name, source in new_sources.items():
        module = modules[name]
        streams[f"VBA/{module.stream_name}"] = compress(source)  # source only, no p-code
        struct.pack_into("<I", dir_stream, module.offset_pos, 0)  # MODULEOFFSET = 0
    streams["VBA/dir"] = compress(bytes(dir_stream))
    return write_compound_file(streams)


# --------------------------------------------------------------------------- #
# Compound file writer ([MS-CFB], version 3, 512-byte sectors)
# --------------------------------------------------------------------------- #

_SECTOR = 512
_MINI_SECTOR = 64
_MINI_CUTOFF = 4096
_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF
_HEADER_DIFAT = 109
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass
class _Node:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Node] | None = None
    sid: int = 0
    left: int = _NOSTREAM
    right: int = _NOSTREAM
    child: int = _NOSTREAM
    color: int = _BLACK
    start: int = _ENDOFCHAIN
    size: int = 0


def _sibling_key(name: str) -> tuple[int, str]:
    """MS-CFB 2.6.4 order: shorter names first, then by upper-cased characters."""
    return len(name.encode("utf-16-le")), name.upper()


def _build_tree(nodes: list[_Node], depth: int, max_depth: int) -> int:
    """Link ``nodes`` (already sorted) into a balanced red-black tree; return its root id.

    Nodes on the deepest level of an incomplete tree are red, all others black; a
    tree built by splitting at the middle then has equal black height on every path.
    """
    if not nodes:
        return _NOSTREAM
    mid = len(nodes) // 2
    node = nodes[mid]
    node.color = _RED if depth == max_depth and depth > 0 else _BLACK
    node.left = _build_tree(nodes[:mid], depth + 1, max_depth)
    node.right = _build_tree(nodes[mid + 1 :], depth + 1, max_depth)
    return node.sid


def _tree_depth(count: int) -> int:
    """Depth (root = 0) of the deepest node of a middle-split tree of ``count`` nodes."""
    return count.bit_length() - 1


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i + 1 < count else _ENDOFCHAIN


def write_compound_file(streams: Mapping[str, bytes]) -> bytes:
    """Serialise ``{"STORAGE/STREAM": data}`` as an MS-CFB version 3 compound file.

    Small streams (< 4096 bytes) live in the mini stream, as the format requires.
    All CLSIDs and timestamps are zero, which Office accepts and keeps the output
    reproducible.
    """
    root = _Node("Root Entry", _ROOT, children={})
    for path, data in sorted(streams.items()):
        *storages, stream_name = path.split("/")
        parent = root
        for storage in storages:
            assert parent.children is not None
            parent = parent.children.setdefault(storage, _Node(storage, _STORAGE, children={}))
        assert parent.children is not None
        parent.children[stream_name] = _Node(stream_name, _STREAM, data=bytes(data))

    # Directory ids: root first, then depth-first in sibling order.
    entries: list[_Node] = []

    def number(node: _Node) -> None:
        node.sid = len(entries)
        entries.append(node)
        for child in sorted((node.children or {}).values(), key=lambda n: _sibling_key(n.name)):
            number(child)

    number(root)
    for node in entries:
        if node.children:
            kids = sorted(node.children.values(), key=lambda n: _sibling_key(n.name))
            node.child = _build_tree(kids, 0, _tree_depth(len(kids)))
    for node in entries:
        if len(node.name) > 31:
            raise ValueError(f"compound file entry name too long: {node.name}")

    # Mini stream: every small stream padded to 64-byte mini sectors.
    mini_stream = bytearray()
    mini_fat: list[int] = []
    big_streams: list[_Node] = []
    for node in entries:
        if node.kind != _STREAM:
            continue
        node.size = len(node.data)
        if node.size == 0:
            node.start = _ENDOFCHAIN
        elif node.size < _MINI_CUTOFF:
            count = -(-node.size // _MINI_SECTOR)
            node.start = len(mini_fat)
            mini_fat.extend([0] * count)
            _chain(mini_fat, node.start, count)
            mini_stream += node.data.ljust(count * _MINI_SECTOR, b"\0")
        else:
            big_streams.append(node)

    def sectors(n_bytes: int) -> int:
        return -(-n_bytes // _SECTOR)

    # Sector layout: big streams | mini stream | mini FAT | directory | FAT
    layout: list[tuple[int, bytes]] = []  # (first sector, data)
    next_sector = 0

    def place(data: bytes) -> int:
        nonlocal next_sector
        first = next_sector
        layout.append((first, data))
        next_sector += sectors(len(data))
        return first

    for node in big_streams:
        node.start = place(node.data)
    if mini_stream:
        root.start = place(bytes(mini_stream))
        root.size = len(mini_stream)
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += b"\xff" * (-len(mini_fat_bytes) % _SECTOR)
    first_mini_fat = place(mini_fat_bytes) if mini_fat else _ENDOFCHAIN
    n_mini_fat = sectors(len(mini_fat_bytes)) if mini_fat else 0

    dir_entries = list(entries)
    while len(dir_entries) % (_SECTOR // 128):
        dir_entries.append(_Node("", 0, color=_RED))
    directory = b"".join(_dir_entry(node) for node in dir_entries)
    first_dir = place(directory)

    n_fat = 1
    while n_fat * (_SECTOR // 4) < next_sector + n_fat:
        n_fat += 1
    if n_fat > _HEADER_DIFAT:
        raise ValueError("compound file too large for a header-only DIFAT")
    fat = [_FREESECT] * (n_fat * (_SECTOR // 4))
    for first, data in layout:
        _chain(fat, first, sectors(len(data)))
    fat_sectors = list(range(next_sector, next_sector + n_fat))
    for sector in fat_sectors:
        fat[sector] = _FATSECT

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"\0" * 16,
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # little-endian byte order mark
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        b"\0" * 6,
        0,  # number of directory sectors (must be 0 in version 3)
        n_fat,
        first_dir,
        0,  # transaction signature
        _MINI_CUTOFF,
        first_mini_fat,
        n_mini_fat,
        _ENDOFCHAIN,  # first DIFAT sector: none
        0,  # number of DIFAT sectors
    )
    difat = fat_sectors + [_FREESECT] * (_HEADER_DIFAT - n_fat)
    header += struct.pack(f"<{_HEADER_DIFAT}I", *difat)

    body = io.BytesIO()
    body.write(header)
    for _, data in layout:
        body.write(data.ljust(sectors(len(data)) * _SECTOR, b"\0"))
    body.write(struct.pack(f"<{len(fat)}I", *fat))
    return body.getvalue()


def _dir_entry(node: _Node) -> bytes:
    """One 128-byte directory entry (MS-CFB 2.6.1)."""
    name = node.name.encode("utf-16-le")
    name_field = (name + b"\0\0").ljust(64, b"\0") if node.kind else b"\0" * 64
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name_field,
        len(name) + 2 if node.kind else 0,
        node.kind,
        node.color,
        node.left,
        node.right,
        node.child,
        b"\0" * 16,  # CLSID
        0,  # state bits
        0,  # creation time
        0,  # modification time
        node.start if node.kind in (_STREAM, _ROOT) else 0,
        node.size,
    )
