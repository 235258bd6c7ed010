"""Normalise what people type into ledger cells, keeping meaning intact.

Only changes that never alter meaning: full-width digits and Latin letters to ASCII, the
ideographic and non-breaking spaces to plain spaces, zero-width characters removed, runs of
spaces collapsed and each line trimmed. Chinese punctuation is kept: the field grammars accept
both widths, and messages quote the text the user wrote.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

# str.translate tables the field grammars compose from: each module keeps what its grammar needs
# (the reader drops zero-width characters, unit splitting keeps every position, phones map dashes).
FULLWIDTH_DIGITS = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}  # ０-９
FULLWIDTH_ALNUM = {**FULLWIDTH_DIGITS, **{cp: cp - 0xFEE0 for cp in (*range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}}
FULLWIDTH_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # digits, letters and punctuation
ODD_SPACES = {0x3000: 0x20, 0x00A0: 0x20, 0x2007: 0x20, 0x202F: 0x20}  # ideographic, no-break, figure
ZERO_WIDTH = (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)

_TABLE = {**FULLWIDTH_ALNUM, **ODD_SPACES, 0x0009: 0x20, 0x000D: None, **{cp: None for cp in ZERO_WIDTH}}
_SPACES = re.compile(r" {2,}")
_NEEDS_TRANSLATE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in _TABLE) + "]")  # cheap test first
_HEADER_STRIP = re.compile(r"\s+")


def normalize_text(value: Any) -> str | None:
    """Return the normalised text of a cell value, or None when the cell is blank."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, _dt.datetime):
        text = value.date().isoformat() if value.time() == _dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, _dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    if _NEEDS_TRANSLATE.search(text):
        text = text.translate(_TABLE)
    if " " in text or "\n" in text:
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        text = text.strip("\n ")
    return text or None


def normalize_header(value: Any) -> str:
    """Header text for matching: normalised, with every space and line break removed."""
    text = normalize_text(value) or ""
    return _HEADER_STRIP.sub("", text)


def cell_text(value: Any) -> str | None:
    """A cell value as plain text, unnormalised: Excel gives numbers as floats (39052220.0),
    which mean their digits; dates become ISO strings."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def decode_text(data: bytes) -> tuple[str, str] | None:
    """Decode a text file as offices save them: UTF-8 (with or without BOM), UTF-16 with a BOM,
    else GB18030. Returns (text, encoding), or None when nothing fits."""
    encodings = ["utf-8-sig", "gb18030"]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings.insert(0, "utf-16")
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None
