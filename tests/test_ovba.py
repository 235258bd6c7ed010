"""MS-OVBA compression (addin/ovba.py) against oletools' independent decompressor."""

from __future__ import annotations

import importlib.util
import os
import random
import struct
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from taizhang.addin.ovba import CHUNK_SIZE, OvbaError, compress, decompress

ROOT = Path(__file__).resolve().parents[1]


def oletools_decompress(container: bytes) -> bytes:
    return bytes(decompress_stream(bytearray(container)))


def roundtrip(data: bytes) -> None:
    container = compress(data)
    assert oletools_decompress(container) == data
    assert decompress(container) == data


def _xlwings_dir() -> Path | None:
    spec = importlib.util.find_spec("xlwings")
    return Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None


def _real_vba_texts() -> dict[str, bytes]:
    texts = {"Ribbon.bas": (ROOT / "addin" / "vba" / "Ribbon.bas").read_bytes().replace(b"\n", b"\r\n")}
    xlwings_dir = _xlwings_dir()
    if xlwings_dir is not None:
        for path in sorted(xlwings_dir.glob("*.bas")) + sorted((xlwings_dir / "addin").glob("*.[bc][al][s]")):
            texts[path.name] = path.read_bytes()
    return texts


REAL_TEXTS = _real_vba_texts()

_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(REAL_TEXTS))
def test_real_vba_source_roundtrips(name: str) -> None:
    data = REAL_TEXTS[name]
    roundtrip(data)
    if len(data) > 2000:
        assert len(compress(data)) < len(data) * 0.6  # it actually compresses


def test_chinese_text_roundtrips() -> None:
    text = "各单位台账：北京分公司 1200.5 元，上海分公司 800 元。校验通过。\r\n" * 300
    for encoding in ("utf-8", "gb18030", "utf-16-le"):
        roundtrip(text.encode(encoding))


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 7, 8, 9, 4095, 4096, 4097, 8192, 10000, 70000])
def test_edge_sizes(size: int) -> None:
    roundtrip(b"\0" * size)
    roundtrip(bytes(i % 251 for i in range(size)))
    roundtrip((b"Sub RunTagged()\r\nEnd Sub\r\n" * (size // 24 + 1))[:size])


def test_real_streams_from_xlwings_template() -> None:
    """Streams Excel wrote decompress like oletools says, and their text re-compresses losslessly."""
    from oletools.olevba import VBA_Project

    xlwings_dir = _xlwings_dir()
    if xlwings_dir is None:
        pytest.skip("xlwings not installed")
    with zipfile.ZipFile(xlwings_dir / "quickstart_addin_ribbon.xlam") as z:
        ole = olefile.OleFileIO(z.read("xl/vbaProject.bin"))
    dir_raw = ole.openstream("VBA/dir").read()
    assert decompress(dir_raw) == oletools_decompress(dir_raw)
    roundtrip(decompress(dir_raw))
    project = VBA_Project(ole, "", "PROJECT", "VBA/dir")
    project.parse_project_stream()
    list(project.parse_modules())  # fills project.modules
    modules = project.modules
    assert len(modules) >= 5
    for module in modules:
        # a module stream is MODULEOFFSET bytes of p-code, then the compressed source
        raw = ole.openstream(f"VBA/{module.streamname}").read()[module.textoffset :]
        source = decompress(raw)
        assert source == oletools_decompress(raw)
        assert source.startswith(b"Attribute VB_Name")
        roundtrip(source)


def test_incompressible_last_chunk_is_zero_padded_as_the_spec_says() -> None:
    data = random.Random(7).randbytes(4000)
    container = compress(data)
    (header,) = struct.unpack_from("<H", container, 1)
    assert header == 0x3FFF  # raw chunk
    padded = data + b"\0" * (CHUNK_SIZE - len(data))
    assert decompress(container) == padded == oletools_decompress(container)


def test_deterministic() -> None:
    data = REAL_TEXTS.get("xlwings.bas", b"abc" * 5000)
    assert compress(data) == compress(data)


@pytest.mark.parametrize("bad", [b"", b"\x02\x00\x00", b"\x01\x00\x00", b"\x01\x05\xb0\x01"])
def test_rejects_malformed_containers(bad: bytes) -> None:
    with pytest.raises(OvbaError):
        decompress(bad)


def last_chunk_is_raw(container: bytes) -> bool:
    pos, raw = 1, False
    while pos < len(container):
        (header,) = struct.unpack_from("<H", container, pos)
        raw = not header & 0x8000
        pos += CHUNK_SIZE + 2 if raw else (header & 0x0FFF) + 3
    return raw


def expected_output(data: bytes, container: bytes) -> bytes:
    """The input, zero-padded to a chunk boundary only if the last chunk had to be stored raw."""
    if data and last_chunk_is_raw(container):
        return data + bytes(-len(data) % CHUNK_SIZE)
    return data


@_settings
@given(st.binary(max_size=3 * CHUNK_SIZE))
def test_random_bytes_roundtrip(data: bytes) -> None:
    container = compress(data)
    assert decompress(container) == oletools_decompress(container) == expected_output(data, container)


@_settings
@given(st.lists(st.sampled_from([b"a", b"b", b" ", b"\r\n", b"Sub ", b"End Sub", b"()", b"\x00"]), max_size=4000))
def test_repetitive_bytes_roundtrip_exactly(parts: list[bytes]) -> None:
    roundtrip(b"".join(parts))


@_settings
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6000))
def test_unicode_text_roundtrip(text: str) -> None:
    data = text.encode("utf-8")
    container = compress(data)
    assert decompress(container) == oletools_decompress(container) == expected_output(data, container)


@_settings
@given(st.text(alphabet="各单位台账金额日期 abcXYZ0123\r\n'\"&()", max_size=9000))
def test_ledger_like_text_roundtrip_exactly(text: str) -> None:
    roundtrip(text.encode("gb18030"))


def test_many_random_vba_like_samples() -> None:
    rng = random.Random(1)
    alphabet = b"ab \r\nSubEnd()xyz\"'&"
    for _ in range(60):
        roundtrip(bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 9000))))
    roundtrip(os.urandom(100))  # short random input still fits a compressed chunk
