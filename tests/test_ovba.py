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

from addin.ovba import CHUNK_SIZE, OvbaError, compress, decompress

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
    """Decompressing the streams Excel wrote agrees with oletools, and re-compressing round-trips."""
    xlwings_dir = _xlwings_dir()
    if xlwings_dir is None:
        pytest.skip("xlwings not installed")
    with zipfile.ZipFile(xlwings_dir / "quickstart_addin_ribbon.xlam") as z:
        ole = olefile.OleFileIO(z.read("xl/vbaProject.bin"))
    dir_raw = ole.openstream("VBA/dir").read()
    assert decompress(dir_raw) == oletools_decompress(dir_raw)
    roundtrip(decompress(dir_raw))
    # module streams: p-code (MODULEOFFSET bytes) then compressed source
    for module in ("xlwings", "Dictionary"):
        raw = ole.openstream(f"VBA/{module}").read()
        start = raw.index(b"\x01", 0) if module == "xlwings" else raw.rindex(b"\x01\x00\xb0")
        try:
            expected = oletools_decompress(raw[start:])
        except Exception:  # offset guess wrong: not a container there
            continue
        assert decompress(raw[start:]) == expected
        roundtrip(expected)


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


@_settings
@given(st.binary(max_size=3 * CHUNK_SIZE))
def test_random_bytes_roundtrip(data: bytes) -> None:
    container = compress(data)
    out = decompress(container)
    assert out == oletools_decompress(container)
    # exact, except for the documented zero padding of an incompressible last chunk
    assert out[: len(data)] == data
    assert not out[len(data) :].strip(b"\0") and len(out) - len(data) < CHUNK_SIZE


@_settings
@given(st.lists(st.sampled_from([b"a", b"b", b" ", b"\r\n", b"Sub ", b"End Sub", b"()", b"\x00"]), max_size=4000))
def test_repetitive_bytes_roundtrip_exactly(parts: list[bytes]) -> None:
    roundtrip(b"".join(parts))


@_settings
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6000))
def test_unicode_text_roundtrip_exactly(text: str) -> None:
    data = text.encode("utf-8")
    if len(data) % CHUNK_SIZE > 3500 and len(set(data)) > 120:
        return  # possibly incompressible tail: covered by test_random_bytes_roundtrip
    container = compress(data)
    assert oletools_decompress(container)[: len(data)] == data
    assert decompress(container)[: len(data)] == data


@_settings
@given(st.text(alphabet="各单位台账金额日期 abcXYZ0123\r\n'\"&()", max_size=9000))
def test_ledger_like_text_roundtrip_exactly(text: str) -> None:
    roundtrip(text.encode("gb18030"))


def test_many_random_vba_like_samples() -> None:
    rng = random.Random(1)
    alphabet = b"ab \r\nSubEnd()xyz\"'&"
    for _ in range(60):
        roundtrip(bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 9000))))
    roundtrip(os.urandom(100))
