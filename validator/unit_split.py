"""How the text of a cell becomes unit names: the lookup key of a name, and splitting a cell.

Ledgers name responsible units in free text (`市卫生健康委、市市场监管局`, `卫健局\\n财政局`,
even `市卫生计生委市人力社保局` with no separator). Which cuts are right depends on the names a
registry knows, so the splitter works on the registry's index of lookup keys; the registry
(units.Registry) is a UnitSplitter and adds what a key means (units, renames, suggestions).
"""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from .normalize import FULLWIDTH_ALNUM, FULLWIDTH_ASCII, ODD_SPACES, ZERO_WIDTH

# Full-width ASCII to half-width, one character to one character, so that positions in the
# translated text are positions in the text the user wrote. Lookup keys use the full table;
# split() uses the light one (digits, letters, spaces) so that the names it returns keep the
# Chinese punctuation the user wrote, as messages quote them.
_LIGHT = {**FULLWIDTH_ALNUM, **ODD_SPACES, 0x000D: 0x0A, **{cp: 0x20 for cp in ZERO_WIDTH}}
_HALF = {**FULLWIDTH_ASCII, **_LIGHT}
_WS = re.compile(r"\s+")
# Hard separators always end a name; whitespace (incl. newline) is a soft one: a name that a
# line wrap or a stray space broke in two is joined again when the joined text is a known name.
# Brackets separate too (体改处（药物政策处）is kept whole only when the registry lists it).
_HARD = "、,，;；/／\\|｜"
_BRACKETS = "()（）<>＜＞〈〉《》[]［］【】{}｛｝「」『』"
_HARD_RE = re.compile("[" + re.escape(_HARD + _BRACKETS) + "]")
# What a cell may add after a unit's name: 等 / 等部门 (ignored) and a role word such as 牵头 or
# 配合 (the prose of notices: 规信处牵头，体改处配合).
_TRAILING = re.compile(r"(?:等+(?:部门|单位|处室)?|(?:等)?(?:分别)?(?:牵头|配合|负责|参与|协助|协办|主办))$")
# A note in brackets after a unit is its role in the task or its history, not another unit:
# 市财政局（牵头）、市医保局（配合）, (配合), （原市卫计委）.
_ROLE_NOTE = re.compile(r"[（(]\s*(?:(?:牵头|配合|协办|主办|参与|负责|协助|协同|主责|责任)(?:单位|部门|处室)?"
                        r"|原[^（()）]{1,20}|含[^（()）]{1,20}|已更名[^（()）]{0,20})\s*[)）]")
_EDGE_PUNCT = "。．.:：·'\"“”‘’ "
_MAX_JOIN = 4  # how many whitespace-separated parts may be joined back into one name


def half_width(text: str) -> str:
    """Full-width ASCII to half-width (and odd spaces to spaces), one character to one character."""
    return text.translate(_HALF)


def normalize_name(name: str) -> str:
    """The lookup key of a name: full-width to half-width, every space removed."""
    return _WS.sub("", half_width(name))


class UnitSplitter:
    """Splits cell text into the unit names a registry knows, caching the result per text.

    `lookup` maps every known key (normalize_name of a name or alias) to what it denotes; only
    membership is used here. `sources` says which source registries know each key, `registries`
    lists the source registries in order.
    """

    __slots__ = ("_lookup", "_sources", "_registries", "_maxlen", "_protected", "_splits")

    def __init__(self, lookup: Mapping[str, object], sources: Mapping[str, frozenset[str]],
                 registries: Iterable[str]) -> None:
        self._lookup = lookup
        self._sources = sources
        self._registries = list(registries)
        self._maxlen = max((len(k) for k in lookup), default=0)
        # Names that themselves contain a separator (各区、市、县政府) are cut out before splitting.
        protected = sorted((k for k in lookup if _HARD_RE.search(k)), key=len, reverse=True)
        self._protected = re.compile("|".join(re.escape(k) for k in protected)) if protected else None
        self._splits: dict[str, tuple[str, ...]] = {}  # validate splits each distinct text 3 times

    def split(self, text: str | None) -> list[str]:
        """Cell text -> unit names as written (full-width digits and letters made half-width), in order.

        Separators: 、，,；;/ brackets, newlines and spaces. Known names containing a separator
        are kept whole; parts a line wrap broke apart are joined when the join is known; text with
        no separator is split by longest match when the registry covers it completely (so an
        unknown name is never chopped into plausible pieces); a trailing 等 is dropped.
        """
        if text is None:
            return []
        done = self._splits.get(text) if type(text) is str else None
        if done is None:
            done = tuple(self._split(text))
            if type(text) is str:
                if len(self._splits) >= 50_000:  # a cache, not a leak
                    self._splits.clear()
                self._splits[text] = done
        return list(done)

    def _split(self, text: str) -> list[str]:
        text = str(text).translate(_LIGHT)
        if "（" in text or "(" in text:
            text = _ROLE_NOTE.sub(" ", text)
        if not text.strip():
            return []
        chunks: list[tuple[str, bool]] = []  # (text, protected)
        pos = 0
        if self._protected is not None:
            squeezed, origin = _squeeze(text.translate(_HALF))
            for m in self._protected.finditer(squeezed):
                start, end = origin[m.start()], origin[m.end() - 1] + 1
                if start < pos:
                    continue
                chunks.append((text[pos:start], False))
                chunks.append((_WS.sub("", text[start:end]), True))
                pos = end
        chunks.append((text[pos:], False))
        names: list[str] = []
        for chunk, protected in chunks:
            if protected:
                names.append(chunk)
                continue
            for hard in _HARD_RE.split(chunk):
                parts = [p.strip(_EDGE_PUNCT) for p in hard.split()]
                names.extend(self._split_parts([p for p in parts if p]))
        out = []
        for n in names:
            n = self._drop_trailing(n.strip(_EDGE_PUNCT))
            if n:
                out.append(n)
        return out

    def _drop_trailing(self, name: str) -> str:
        """Drop a trailing 等 or role word, unless the whole text is itself a known name."""
        if not name or normalize_name(name) not in self._lookup:
            stripped = _TRAILING.sub("", name)
            if stripped:
                return stripped
        return name

    def _known(self, text: str) -> bool:
        return normalize_name(text) in self._lookup or normalize_name(_TRAILING.sub("", text)) in self._lookup

    def _split_parts(self, parts: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(parts):
            part = parts[i]
            if not self._known(part):
                # A name broken by a line wrap or a stray space: join with what follows.
                for j in range(min(len(parts), i + _MAX_JOIN), i + 1, -1):
                    joined = "".join(parts[i:j])
                    if self._known(joined):
                        out.append(joined)
                        i = j
                        break
                else:
                    out.extend(self._run_together(part))
                    i += 1
                continue
            out.append(part)
            i += 1
        return out

    def _run_together(self, part: str) -> list[str]:
        """Split `part` into known names with no separator between them, if it is fully covered.

        The names must all be known to one source registry; among coverings the one with the
        fewest names wins, and among those the one whose earlier names are longer.
        """
        core = _TRAILING.sub("", part) or part
        if len(core) < 4 or self._maxlen == 0:
            return [part]
        key = core.translate(_HALF)  # no whitespace inside a part; same length as core
        registries = self._registries
        for registry in registries:
            cuts = self._cover(key, registry if len(registries) > 1 else None)
            if cuts:
                return [core[a:b] for a, b in cuts]
        return [part]

    def _cover(self, key: str, registry: str | None) -> list[tuple[int, int]] | None:
        """Cuts of `key` into the fewest known names (longest first name on ties), or None."""
        n = len(key)
        inf = n + 1
        best = [inf] * (n + 1)  # fewest names covering key[j:]
        nxt = [n] * (n + 1)
        best[n] = 0
        for j in range(n - 1, -1, -1):
            for length in range(min(self._maxlen, n - j), 1, -1):
                if best[j + length] + 1 < best[j]:
                    piece = key[j:j + length]
                    if piece in self._lookup and (registry is None or registry in self._sources[piece]):
                        best[j], nxt[j] = best[j + length] + 1, j + length
        if best[0] >= inf or best[0] < 2:
            return None
        cuts = []
        j = 0
        while j < n:
            cuts.append((j, nxt[j]))
            j = nxt[j]
        return cuts


def _squeeze(text: str) -> tuple[str, list[int]]:
    """Text without whitespace, and for each kept character its position in `text`."""
    kept, origin = [], []
    for i, ch in enumerate(text):
        if not ch.isspace():
            kept.append(ch)
            origin.append(i)
    return "".join(kept), origin
