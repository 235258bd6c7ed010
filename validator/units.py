"""The unit registry: which units (单位 / 部门 / 处室) exist, what else they are called, and renames.

Ledgers name responsible units in free text (`市卫生健康委、市市场监管局`, `卫健局\\n财政局`,
even `市卫生计生委市人力社保局` with no separator). Split, merge and roll-up group rows by unit,
so one unit written several ways (医保局 / 县医保局) must resolve to one canonical name, an unknown
name must be flagged with a suggestion, and an old name used after an institutional reform
(市卫生计生委 → 市卫生健康委) must be flagged as renamed.

A registry is data, not code: the built-in ones are YAML files in `templates/units/`, and users
pass their own (csv / xlsx / yaml) with `--units`. Lookups are precomputed at load time because the
checks run once per distinct cell text over ledgers of tens of thousands of rows.
"""

from __future__ import annotations

import csv
import datetime as _dt
import difflib
import functools
import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .findings import Problem
from .normalize import FULLWIDTH_ALNUM, FULLWIDTH_ASCII, ODD_SPACES, ZERO_WIDTH, decode_text

UNITS_DIR = Path(__file__).resolve().parent.parent / "templates" / "units"

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
_CUTOFF = 0.6  # difflib similarity below which closest() suggests nothing
_MAX_JOIN = 4  # how many whitespace-separated parts may be joined back into one name


def _half(text: str) -> str:
    return text.translate(_HALF)


def normalize_name(name: str) -> str:
    """The lookup key of a name: full-width to half-width, every space removed."""
    return _WS.sub("", _half(name))


class RegistryError(ValueError):
    """A registry file (or --units option) cannot be used; the message says which file and row."""


@dataclass(frozen=True, slots=True)
class Unit:
    name: str
    aliases: tuple[str, ...] = ()
    renamed_to: str | None = None
    renamed_on: _dt.date | None = None
    registry: str = ""


class Registry:
    """Known units with their aliases and renames, indexed for fast lookup and splitting.

    When several registries are merged, a text that is one unit's own name always resolves to
    that unit even if another registry lists it as an alias; otherwise the first registry wins.
    """

    __slots__ = ("name", "units", "_lookup", "_display", "_sources", "_maxlen", "_protected", "_closest",
                 "_chars", "_registries", "_splits")

    def __init__(self, name: str, units: Iterable[Unit]) -> None:
        self.name = name
        units = list(units)
        # A rename target is a real unit even when the file forgot to list it.
        known = {normalize_name(u.name) for u in units} | {normalize_name(a) for u in units for a in u.aliases}
        for u in list(units):
            if u.renamed_to and normalize_name(u.renamed_to) not in known:
                units.append(Unit(u.renamed_to, registry=u.registry or name))
                known.add(normalize_name(u.renamed_to))
        self.units: tuple[Unit, ...] = tuple(units)
        lookup: dict[str, Unit] = {}
        display: dict[str, str] = {}
        for u in self.units:  # own names first ...
            key = normalize_name(u.name)
            if key and key not in lookup:
                lookup[key], display[key] = u, u.name
        for u in self.units:  # ... then aliases
            for alias in u.aliases:
                key = normalize_name(alias)
                if key and key not in lookup:
                    lookup[key], display[key] = u, alias
        self._lookup = lookup
        self._display = display
        # Which source registries know each key: run-together text is only split into names
        # that one jurisdiction knows together (市卫生健康委办公室 is not 大连's 委 + 辽宁's 办公室).
        sources: dict[str, set[str]] = {}
        for u in self.units:
            for text in (u.name, *u.aliases):
                sources.setdefault(normalize_name(text), set()).add(u.registry or name)
        self._sources = {k: frozenset(v) for k, v in sources.items() if k in lookup}
        self._registries = list(dict.fromkeys(u.registry or name for u in self.units))
        self._maxlen = max((len(k) for k in lookup), default=0)
        # Names that themselves contain a separator (各区、市、县政府) are cut out before splitting.
        protected = sorted((k for k in lookup if _HARD_RE.search(k)), key=len, reverse=True)
        self._protected = re.compile("|".join(re.escape(k) for k in protected)) if protected else None
        self._closest: dict[tuple[str, str | None], str | None] = {}
        self._splits: dict[str, tuple[str, ...]] = {}  # validate splits each distinct text 3 times
        # character -> [(key, how often it occurs in key)], to shortlist candidates for closest()
        chars: dict[str, list[tuple[str, int]]] = {}
        for key in lookup:
            for ch, count in Counter(key).items():
                chars.setdefault(ch, []).append((key, count))
        self._chars = chars

    def __repr__(self) -> str:
        return f"Registry({self.name!r}, {len(self.units)} units)"

    # ------------------------------------------------------------------ construction

    @classmethod
    def load(cls, source: str | os.PathLike) -> "Registry":
        """A built-in registry by name or file stem, or a registry file (.csv, .xlsx, .yaml)."""
        if isinstance(source, str):
            index = _builtin_index()
            if source.strip() in index:
                return _load_builtin(index[source.strip()])
        path = Path(source)
        if not path.exists():
            raise RegistryError(
                f"找不到单位名录「{source}」：既不是内置名录（{'、'.join(builtin_names())}），也不是存在的文件"
            )
        return _load_file(path)

    @classmethod
    def builtin(cls, names: Iterable[str] | None = None) -> "Registry":
        """All built-in registries merged (the default), or the named ones merged in that order."""
        return _builtin_merged(None if names is None else tuple(names))

    @classmethod
    def from_option(cls, option: str | None) -> "Registry":
        """What `--units NAME|FILE` means: nothing -> every built-in; names/files may be comma-separated."""
        if option is None or not str(option).strip():
            return cls.builtin()
        option = str(option).strip()
        if option in _builtin_index() or Path(option).exists():
            return cls.load(option)
        parts = [p.strip() for p in re.split(r"[,，]", option) if p.strip()]
        registries = [cls.load(p) for p in parts]
        return registries[0] if len(registries) == 1 else cls.merge(registries)

    @classmethod
    def merge(cls, registries: Iterable["Registry"], name: str | None = None) -> "Registry":
        registries = list(registries)
        return cls(name or "+".join(r.name for r in registries), [u for r in registries for u in r.units])

    # ------------------------------------------------------------------ lookups

    def resolve(self, name: str) -> Unit | None:
        """The unit this exact name or alias denotes (width and spaces do not matter)."""
        if not name:
            return None
        return self._lookup.get(normalize_name(name))

    def canonical(self, name: str) -> str:
        """The unit's own registry name (not following renames), or the name as written if unknown."""
        unit = self.resolve(name)
        return unit.name if unit else name

    def region_of(self, texts: Iterable[str | None]) -> str | None:
        """The source registry most of the known names in `texts` belong to (the ledger's own
        jurisdiction), or None when only one registry is loaded or no name is known."""
        if len(self._registries) < 2:
            return None
        counts: Counter[str] = Counter()
        for text in set(texts):
            if not text:
                continue
            for n in self.split(text):
                counts.update(self._sources.get(normalize_name(n), ()))
        return counts.most_common(1)[0][0] if counts else None

    def closest(self, name: str, region: str | None = None) -> str | None:
        """The known name or alias most like `name` (卫建局 -> 卫健局), or None if nothing is close.

        With `region` (see region_of) only that registry's names are suggested: a city ledger is
        never offered a county's unit.
        """
        key = normalize_name(name or "")
        if not key or not self._lookup:
            return None
        if (key, region) in self._closest:
            return self._closest[(key, region)]
        # Shortlist by shared characters: difflib's ratio 2*M/(a+b) cannot reach the cutoff
        # unless the multiset of shared characters can, and counting those is cheap.
        shared: Counter[str] = Counter()
        for ch, count in Counter(key).items():
            for other, other_count in self._chars.get(ch, ()):
                shared[other] += min(count, other_count)
        shortlist = [k for k, m in shared.items() if 2 * m / (len(key) + len(k)) >= _CUTOFF
                     and (region is None or region in self._sources.get(k, ()))]
        matches = difflib.get_close_matches(key, shortlist, n=3, cutoff=_CUTOFF)
        best = None
        if matches:
            top = difflib.SequenceMatcher(None, key, matches[0]).ratio()
            tied = [m for m in matches if difflib.SequenceMatcher(None, key, m).ratio() == top]
            # Prefer current units over renamed ones, then a unit's own name, then shorter text.
            tied.sort(key=lambda m: (self._lookup[m].renamed_to is not None,
                                     self._display[m] != self._lookup[m].name, len(m), m))
            best = self._display[tied[0]]
        if len(self._closest) < 10_000:
            self._closest[(key, region)] = best
        return best

    # ------------------------------------------------------------------ splitting

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
        if self.resolve(name) is None:
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

    # ------------------------------------------------------------------ checking

    def check(self, text: str | None, year: int | None, region: str | None = None) -> list[Problem]:
        """unknown-unit / renamed-unit for each distinct name in the cell (suggestions from `region`)."""
        problems: list[Problem] = []
        seen: set[str] = set()
        for name in self.split(text):
            key = normalize_name(name)
            if key in seen:
                continue
            seen.add(key)
            unit = self._lookup.get(key)
            if unit is None:
                suggestion = self.closest(name, region)
                problems.append(Problem("unknown-unit", {
                    "unit": name,
                    "suggestion": {"zh": f"，是否为「{suggestion}」？", "en": f", did you mean '{suggestion}'?"}
                    if suggestion else {"zh": "", "en": ""},
                }))
                continue
            renamed = self._renamed(unit, year)
            if renamed is not None:
                new_name, on = renamed
                problems.append(Problem("renamed-unit", {
                    "unit": name,
                    "renamed_to": new_name,
                    "renamed_on": on.isoformat() if on else {"zh": "（日期不详）", "en": "(date unknown)"},
                }))
        return problems

    def _renamed(self, unit: Unit, year: int | None) -> tuple[str, _dt.date | None] | None:
        """The latest name in force by `year`, following chains of renames; None if not renamed."""
        if year is None or not unit.renamed_to:
            return None
        result = None
        seen = {id(unit)}
        while unit.renamed_to and (unit.renamed_on is None or year >= unit.renamed_on.year):
            result = (unit.renamed_to, unit.renamed_on)
            nxt = self.resolve(unit.renamed_to)
            if nxt is None or id(nxt) in seen:
                break
            seen.add(id(nxt))
            unit = nxt
        if result is not None:
            target = self.resolve(result[0])
            result = (target.name if target else result[0], result[1])
        return result


def _squeeze(text: str) -> tuple[str, list[int]]:
    """Text without whitespace, and for each kept character its position in `text`."""
    kept, origin = [], []
    for i, ch in enumerate(text):
        if not ch.isspace():
            kept.append(ch)
            origin.append(i)
    return "".join(kept), origin


# ====================================================================== built-ins


@functools.cache
def _builtin_files() -> tuple[tuple[str, Path], ...]:
    """(registry name, YAML path) of every built-in registry, in file-name order."""
    files = []
    for path in sorted(UNITS_DIR.glob("*.yaml")):
        doc = _read_yaml(path)
        name = doc.get("name") if isinstance(doc, dict) else None
        files.append((name.strip() if isinstance(name, str) and name.strip() else path.stem, path))
    return tuple(files)


@functools.cache
def _builtin_index() -> Mapping[str, Path]:
    """Built-in registry name and file stem -> YAML path."""
    index: dict[str, Path] = {}
    for name, path in _builtin_files():
        index.setdefault(path.stem, path)
        index.setdefault(name, path)
    return index


def builtin_names() -> list[str]:
    """The names of the built-in registries (大连市, 梨树县, …), in file-name order."""
    return [name for name, _ in _builtin_files()]


@functools.cache
def _load_builtin(path: Path) -> Registry:
    return _load_file(path)


@functools.cache
def _builtin_merged(names: tuple[str, ...] | None) -> Registry:
    index = _builtin_index()
    if names is None:
        paths = [p for _, p in _builtin_files()]
    else:
        paths = []
        for n in names:
            if n not in index:
                raise RegistryError(f"没有名为「{n}」的内置单位名录（可用：{'、'.join(builtin_names())}）")
            paths.append(index[n])
        paths = list(dict.fromkeys(paths))
    registries = [_load_builtin(p) for p in paths]
    if len(registries) == 1:
        return registries[0]
    return Registry.merge(registries, name="内置名录" if names is None else None)


# ====================================================================== files

_COLUMNS = {
    "name": ("名称", "单位名称", "规范名称", "单位", "name"),
    "aliases": ("别名", "简称", "其他名称", "aliases", "alias"),
    "renamed_to": ("更名为", "新名称", "renamed_to"),
    "renamed_on": ("更名日期", "更名时间", "renamed_on"),
}
_ALIAS_SPLIT = re.compile(r"[、;；,，\n]+")


@dataclass(slots=True)
class _Row:
    where: str  # "第 3 行" / "第 12 行（units 第 2 项）"
    values: dict[str, Any] = field(default_factory=dict)


def _load_file(path: Path) -> Registry:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        name, rows = path.stem, _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        name, rows = path.stem, _xlsx_rows(path)
    elif suffix in (".yaml", ".yml"):
        name, rows = _yaml_rows(path)
    else:
        raise RegistryError(f"单位名录「{path.name}」的格式不受支持：请使用 .csv、.xlsx 或 .yaml")
    return Registry(name, _units_from_rows(path, name, rows))


def _table_rows(path: Path, table: list[list[Any]]) -> list[_Row]:
    """Rows of a csv/xlsx table, keyed by role, from the first row that has a 名称 column."""
    # header text -> (role, rank): when two columns could be 名称 (名称 and 单位), the better one wins
    wanted = {normalize_name(h).lower(): (role, rank) for role, heads in _COLUMNS.items()
              for rank, h in enumerate(heads)}
    for h_idx, row in enumerate(table):
        best: dict[str, tuple[int, int]] = {}  # role -> (rank, column)
        for c_idx, cell in enumerate(row):
            hit = wanted.get(normalize_name(str(cell)).lower()) if cell is not None else None
            if hit and (hit[0] not in best or hit[1] < best[hit[0]][0]):
                best[hit[0]] = (hit[1], c_idx)
        roles = {c_idx: role for role, (_, c_idx) in best.items()}
        if "name" in best:
            break
    else:
        raise RegistryError(f"单位名录「{path.name}」中找不到「名称」列（表头应为：名称、别名、更名为、更名日期）")
    rows = []
    for r_idx in range(h_idx + 1, len(table)):
        values = {}
        for c_idx, role in roles.items():
            cell = table[r_idx][c_idx] if c_idx < len(table[r_idx]) else None
            if isinstance(cell, str):
                cell = cell.strip()
            if cell not in (None, ""):
                values[role] = cell
        rows.append(_Row(f"第 {r_idx + 1} 行", values))
    return rows


def _csv_rows(path: Path) -> list[_Row]:
    decoded = decode_text(path.read_bytes())
    if decoded is None:
        raise RegistryError(f"单位名录「{path.name}」无法解码：请另存为 UTF-8 编码的 CSV")
    text = decoded[0]
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise RegistryError(f"单位名录「{path.name}」不是有效的 CSV：{exc}") from exc
    return _table_rows(path, table)


def _xlsx_rows(path: Path) -> list[_Row]:
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        table = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken files
        raise RegistryError(f"单位名录「{path.name}」无法读取：{exc}") from exc
    return _table_rows(path, table)


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that remembers the line of every mapping, for error messages."""


def _construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


def _read_yaml(path: Path, *, lines: bool = False) -> Any:
    # libyaml is 10x faster; the pure-Python loader that records line numbers is used only for
    # user files, whose errors must name the line
    loader = _LineLoader if lines else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader)  # noqa: S506 - safe loaders only
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RegistryError(f"单位名录「{path.name}」无法读取：{exc}") from exc


def _yaml_rows(path: Path) -> tuple[str, list[_Row]]:
    doc = _read_yaml(path, lines=path.resolve().parent != UNITS_DIR)
    name = path.stem
    if isinstance(doc, dict):
        if isinstance(doc.get("name"), str) and doc["name"].strip():
            name = doc["name"].strip()
        items = doc.get("units", doc.get("单位"))
    else:
        items = doc
    if not isinstance(items, list):
        raise RegistryError(f"单位名录「{path.name}」应有一个 units 列表（每项含 name、aliases、renamed_to、renamed_on）")
    keys = {h: role for role, heads in _COLUMNS.items() for h in heads}
    rows = []
    for i, item in enumerate(items, 1):
        if isinstance(item, str):
            rows.append(_Row(f"units 第 {i} 项", {"name": item}))
            continue
        if not isinstance(item, dict):
            raise RegistryError(f"单位名录「{path.name}」units 第 {i} 项不是单位（应为名称或含 name 的映射）")
        where = f"第 {item.get('__line__', '?')} 行（units 第 {i} 项）"
        values = {}
        for k, v in item.items():
            if k == "__line__":
                continue
            role = keys.get(str(k))
            if role is None:
                raise RegistryError(f"单位名录「{path.name}」{where}：未知字段「{k}」")
            if v not in (None, ""):
                values[role] = v
        rows.append(_Row(where, values))
    return name, rows


def _units_from_rows(path: Path, registry: str, rows: list[_Row]) -> list[Unit]:
    units: list[Unit] = []
    owner: dict[str, tuple[str, str]] = {}  # key -> (unit name, where)
    for row in rows:
        v = row.values
        if not v:
            continue
        where = f"单位名录「{path.name}」{row.where}"
        name = v.get("name")
        if not isinstance(name, str) or not normalize_name(name):
            raise RegistryError(f"{where}：「名称」为空或不是文字")
        name = name.strip()
        aliases = _aliases(v.get("aliases"), where)
        renamed_to = v.get("renamed_to")
        if renamed_to is not None and not isinstance(renamed_to, str):
            raise RegistryError(f"{where}：「更名为」应为单位名称")
        renamed_to = renamed_to.strip() if renamed_to else None
        renamed_on = _date(v.get("renamed_on"), where) if v.get("renamed_on") is not None else None
        if renamed_on and not renamed_to:
            raise RegistryError(f"{where}：有「更名日期」却没有「更名为」")
        if renamed_to and normalize_name(renamed_to) == normalize_name(name):
            raise RegistryError(f"{where}：「{name}」更名为它自己")
        own = normalize_name(name)
        for key, text in [(own, name)] + [(normalize_name(a), a) for a in aliases]:
            if key in owner and owner[key][0] != name:
                raise RegistryError(
                    f"{where}：「{text}」已在{owner[key][1]}用于「{owner[key][0]}」，同一名称不能指两个单位"
                )
            if key == own and key in owner:
                raise RegistryError(f"{where}：单位「{name}」重复（{owner[key][1]}已有）")
            owner.setdefault(key, (name, row.where))
        aliases = tuple(a for a in aliases if normalize_name(a) != own)
        units.append(Unit(name, aliases, renamed_to, renamed_on, registry))
    if not units:
        raise RegistryError(f"单位名录「{path.name}」中没有任何单位")
    return units


def _aliases(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = _ALIAS_SPLIT.split(value)
    elif isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if not isinstance(item, str):
                raise RegistryError(f"{where}：别名「{item}」不是文字")
            items.append(item)
    else:
        raise RegistryError(f"{where}：「别名」应为文字（用、分隔）或列表")
    return tuple(dict.fromkeys(a.strip() for a in items if normalize_name(a)))


_DATE_RE = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(?:(\d{1,2})\s*日?)?)?)?\s*$")


def _date(value: Any, where: str) -> _dt.date:
    """A rename date: a date cell, an Excel serial, 2018-12-01, 2018-12, 2018年12月, or a year."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1900 <= value <= 2200 and float(value).is_integer():
            return _dt.date(int(value), 1, 1)
        if 1 <= value < 2_958_466:
            return _dt.date(1899, 12, 30) + _dt.timedelta(days=int(value))
    if isinstance(value, str):
        m = _DATE_RE.match(_half(value).strip())
        if m:
            try:
                return _dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
            except ValueError:
                pass
    raise RegistryError(f"{where}：更名日期「{value}」无法识别（应写成 2018-12-01 或 2018年12月）")


__all__ = ["Unit", "Registry", "RegistryError", "builtin_names", "normalize_name", "UNITS_DIR"]
