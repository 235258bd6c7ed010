"""MS-OVBA 2.4.1 compression and decompression.

VBA projects (``vbaProject.bin``) store every module's source text and the ``dir``
stream in a small LZ77 variant described in [MS-OVBA] section 2.4.1.  A
*CompressedContainer* is the signature byte ``0x01`` followed by chunks; every chunk
decompresses to at most 4096 bytes and starts with a 16-bit header::

    bits  0-11  CompressedChunkSize - 3   (chunk size including this header)
    bits 12-14  signature, always 0b011
    bit     15  1 = compressed chunk, 0 = raw chunk (4096 literal bytes follow)

A compressed chunk is a run of *TokenSequences*: one flag byte whose bits (least
significant first) say whether each of the next 8 tokens is a literal byte (0) or a
2-byte little-endian *CopyToken* (1).  A CopyToken packs an offset and a length; how
many bits go to each depends on how far into the decompressed chunk the token sits
(section 2.4.1.3.19.1 "CopyToken Help"), so the split is recomputed per token.

This module is the project's own implementation (the ``ms-ovba-compression`` package
produced output that neither it nor oletools could read back for real VBA source).
It is checked against oletools' independent decompressor in ``tests/test_ovba.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

__all__ = ["CHUNK_SIZE", "OvbaError", "compress", "decompress"]

#: Number of decompressed bytes a chunk holds (the last chunk may hold fewer).
CHUNK_SIZE = 4096

_SIGNATURE = 0x01
_HEADER_SIGNATURE = 0b011
_MIN_MATCH = 3
#: How many earlier positions with the same 3-byte prefix are tried per match.  A
#: bound keeps pathological input linear; VBA source never comes close to it.
_MAX_CANDIDATES = 256


class OvbaError(ValueError):
    """Raised when a byte string is not a valid MS-OVBA CompressedContainer."""


def _copy_token_split(difference: int) -> tuple[int, int, int]:
    """Return ``(offset_bits, length_mask, maximum_length)`` for a CopyToken.

    ``difference`` is the number of bytes already decompressed in the current chunk
    (at least 1 whenever a CopyToken can occur).  The offset needs
    ``ceil(log2(difference))`` bits, but never fewer than 4; the rest of the 16 bits
    hold ``length - 3``.
    """
    offset_bits = max((difference - 1).bit_length(), 4)
    length_mask = 0xFFFF >> offset_bits
    return offset_bits, length_mask, length_mask + _MIN_MATCH


def _compress_chunk(chunk: bytes) -> bytes:
    """Compress one chunk (<= 4096 bytes) into a token stream without its header.

    Greedy longest match: at each position the longest earlier match within the
    chunk is taken (the nearest one on ties), as the specification's matching
    routine does.
    """
    out = bytearray()
    positions: dict[bytes, list[int]] = {}
    size = len(chunk)
    pos = 0
    while pos < size:
        flag_index = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= size:
                break
            match_length = 0
            match_offset = 0
            if pos + _MIN_MATCH <= size:
                offset_bits, _, max_length = _copy_token_split(pos)
                limit = min(max_length, size - pos)
                candidates = positions.get(chunk[pos : pos + _MIN_MATCH], ())
                for start in reversed(candidates[-_MAX_CANDIDATES:]):
                    length = _MIN_MATCH
                    # Overlapping matches are fine: decompression copies byte by byte.
                    while length < limit and chunk[start + length] == chunk[pos + length]:
                        length += 1
                    if length > match_length:
                        match_length, match_offset = length, pos - start
                        if length == limit:
                            break
            if match_length >= _MIN_MATCH:
                token = ((match_offset - 1) << (16 - offset_bits)) | (match_length - _MIN_MATCH)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = match_length
            else:
                out.append(chunk[pos])
                step = 1
            for p in range(pos, min(pos + step, size - _MIN_MATCH + 1)):
                positions.setdefault(chunk[p : p + _MIN_MATCH], []).append(p)
            pos += step
        out[flag_index] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer.

    A chunk whose compressed form would exceed 4096 bytes is stored raw
    (section 2.4.1.3.10).  A raw chunk always decompresses to 4096 bytes, so if the
    *last*, shorter chunk is incompressible it is zero-padded, exactly as the
    specification prescribes; decompressing then yields trailing NUL bytes.  That
    only happens for near-random input, never for VBA source text or ``dir`` streams.
    """
    container = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK_SIZE):
        chunk = data[start : start + CHUNK_SIZE]
        tokens = _compress_chunk(chunk)
        # The 12-bit size field allows at most 4096 token bytes after the header.
        if len(tokens) > CHUNK_SIZE:
            header = (CHUNK_SIZE - 1) | (_HEADER_SIGNATURE << 12)  # 0x3FFF, flag 0
            container += struct.pack("<H", header) + chunk.ljust(CHUNK_SIZE, b"\0")
        else:
            header = (len(tokens) + 2 - 3) | (_HEADER_SIGNATURE << 12) | 0x8000
            container += struct.pack("<H", header) + tokens
    return bytes(container)


def _chunks(container: bytes) -> Iterator[tuple[bool, bytes]]:
    """Yield ``(is_compressed, chunk_data)`` for every chunk of a container."""
    pos = 1
    while pos < len(container):
        if pos + 2 > len(container):
            raise OvbaError(f"truncated chunk header at byte {pos}")
        (header,) = struct.unpack_from("<H", container, pos)
        if (header >> 12) & 0b111 != _HEADER_SIGNATURE:
            raise OvbaError(f"bad chunk signature at byte {pos}: header {header:#06x}")
        chunk_size = (header & 0x0FFF) + 3
        is_compressed = bool(header & 0x8000)
        if not is_compressed:
            chunk_size = CHUNK_SIZE + 2  # a raw chunk always carries 4096 bytes
        if pos + chunk_size > len(container):
            raise OvbaError(f"truncated chunk at byte {pos}: {chunk_size} bytes declared")
        yield is_compressed, container[pos + 2 : pos + chunk_size]
        pos += chunk_size


def decompress(container: bytes) -> bytes:
    """Decompress an MS-OVBA CompressedContainer (the inverse of :func:`compress`)."""
    if not container or container[0] != _SIGNATURE:
        raise OvbaError("not an MS-OVBA CompressedContainer (signature byte must be 0x01)")
    out = bytearray()
    for is_compressed, data in _chunks(container):
        if not is_compressed:
            out += data
            continue
        chunk_start = len(out)
        pos = 0
        while pos < len(data):
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= len(data):
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                if pos + 2 > len(data):
                    raise OvbaError("truncated CopyToken")
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                difference = len(out) - chunk_start
                if difference == 0:
                    raise OvbaError("CopyToken at the start of a chunk")
                offset_bits, length_mask, _ = _copy_token_split(difference)
                length = (token & length_mask) + _MIN_MATCH
                offset = (token >> (16 - offset_bits)) + 1
                if offset > difference:
                    raise OvbaError("CopyToken points before the start of its chunk")
                source = len(out) - offset
                for i in range(length):  # may overlap the bytes being written
                    out.append(out[source + i])
    return bytes(out)
