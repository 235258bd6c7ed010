"""Numbered paragraphs (items) of a notice, with the lines that continue them.

Lines a text export broke in the middle of a sentence or of a unit clause are joined again
(seed 001 item 28 breaks its parenthesis across lines); text that is neither numbered nor a
continuation (the addressee, the closing paragraph, the signature) is kept apart, not glued
onto the last task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .notice_blocks import Para, TableBlock
from .notice_model import TERMINAL, Units
from .notice_numbering import match_marker
from .notice_units import CLAUSE_AT_END, LABEL, bracket_depth


@dataclass(slots=True)
class Item:
    rank: int
    number: str
    line: int
    pieces: list[str]
    marker: str = ""  # the numbering as written: "（三）", "1."
    units: Units = field(default_factory=Units)
    body: str = ""

    @property
    def text(self) -> str:
        return _join(self.pieces)


def collect_items(blocks: list[Para | TableBlock]) -> tuple[list[Item], list[tuple[int, str]]]:
    """Numbered paragraphs with the lines that continue them; everything else apart."""
    items: list[Item] = []
    other: list[tuple[int, str]] = []
    current: Item | None = None
    texts = [(clean_line(b.text) if isinstance(b, Para) else None) for b in blocks]
    for i, block in enumerate(blocks):
        text = texts[i]
        if text is None:  # a table ends whatever task was open
            current = None
            continue
        if not text:
            continue
        marker = match_marker(text)
        if marker is not None:
            rank, number, rest, written = marker
            current = Item(rank, number, block.line, [rest], written)
            items.append(current)
        elif current is not None and (_continues(current, text) or _clause_follows(current, texts, i)):
            current.pieces.append(text)
        else:
            other.append((block.line, text))
            current = None
    return items, other


def _clause_follows(item: Item, texts: list[str | None], start: int) -> bool:
    """A task written over several paragraphs: its unit clause closes one of the next paragraphs.

    Looks ahead through unnumbered paragraphs up to the next numbered one or table; only a task
    that has no clause yet qualifies, so the closing text after the last task stays apart.
    """
    if item.rank == 0 or CLAUSE_AT_END.search(item.text):
        return False
    for text in texts[start:]:
        if text is None or (text and match_marker(text) is not None):
            return False
        if text and CLAUSE_AT_END.search(text):
            return True
    return False


def clean_line(text: str) -> str:
    """A paragraph's text with full-width, non-breaking and tab spaces made plain, and its ends trimmed."""
    return text.replace("\u3000", " ").replace("\u00a0", " ").replace("\t", " ").strip(" \ufeff\u200b")


def _continues(item: Item, text: str) -> bool:
    """Does an unnumbered paragraph continue `item`? Only when the item is visibly unfinished."""
    so_far = item.text
    if bracket_depth(so_far) > 0:  # inside a bracket: a unit clause broken across lines
        return True
    if re.match(r"^[（(]\s*(?:" + LABEL.pattern + r"|[^（）()]*(?:牵头|配合|分别负责|负责)[）)])", text):
        return True  # the unit clause on a line of its own
    if item.rank == 0 and len(so_far) < 40:
        return False  # a heading: what follows it is an introduction, not more heading
    return not so_far.endswith(tuple(TERMINAL))  # a line broken in mid-sentence


def _join(pieces: list[str]) -> str:
    """Join lines of a text export: no space between Chinese characters, one between Latin words."""
    out = ""
    for piece in pieces:
        if out and out[-1].isascii() and out[-1].isalnum() and piece[:1].isascii() and piece[:1].isalnum():
            out += " "
        out += piece
    return out
