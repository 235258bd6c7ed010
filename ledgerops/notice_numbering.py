"""The numbering of Chinese official documents: paragraph markers and numerals, both ways.

From the top of the hierarchy down: ``一、`` > ``（一）`` > ``1.`` / ``1、`` > ``（1）`` > ``①``.
Sub-items may also be numbered inline, inside a task's text (``…。1.制定…；2.开展…``).
"""

from __future__ import annotations

import re

# (rank, regex) from the top of the hierarchy down; a paragraph's marker decides its rank.
_CN = "一二三四五六七八九十百零〇"
_MARKERS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(rf"^([{_CN}]{{1,4}})\s*[、，,．.]\s*")),
    (1, re.compile(rf"^[（(]\s*([{_CN}]{{1,4}})\s*[）)]\s*")),
    (2, re.compile(r"^(\d{1,3})\s*(?:[、．]|\.(?!\d))\s*")),
    (3, re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*")),
    (4, re.compile(r"^([①-⑳])\s*")),
)
# Inline sub-items inside a task's text: `…工作。1.制定方案；2.开展试点。` or （1）…（2）… or ①②.
INLINE = re.compile(
    r"(?:(?<=^)|(?<=[。；;：:！？\s]))(?:(\d{1,2})\s*(?:[、．]|\.(?!\d))|[（(](\d{1,2})[）)]|([①-⑳]))"
)
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}

# A sub-item's own number at the start of its text, taken off it.
MARKER_AT_START = re.compile(r"^(?:\d{1,2}\s*(?:[、．]|\.(?!\d))|[（(]\d{1,2}[）)]|[①-⑳])")


def match_marker(text: str) -> tuple[int, str, str, str] | None:
    """(rank, number, text after the marker, the marker as written) of a numbered paragraph, or None."""
    for rank, pattern in _MARKERS:
        m = pattern.match(text)
        if m and m.end() < len(text):
            return rank, m.group(1), text[m.end():].strip(), m.group(0).strip()
    return None


def cn_numeral(n: int) -> str:
    """26 -> 二十六: how Word shows a Chinese-counting list number (up to 99, then digits)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def cn_to_int(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十六 -> 26, 3 -> 3, ⑤ -> 5; None if not a numeral."""
    text = text.strip()
    if text in _CIRCLED:  # before the digit test: ① is a digit to str.isdigit, not to int()
        return _CIRCLED[text]
    if text.isdecimal():  # what int() reads: ASCII and full-width digits
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits["〇"] = 0
    if not text or any(c not in digits and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = digits[ch]
    return total + current
