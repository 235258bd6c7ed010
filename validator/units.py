"""The unit registry: which units (单位 / 部门 / 处室) exist, what else they are called, and renames.

Ledgers name responsible units in free text (`市卫生健康委、市市场监管局`, `卫健局\\n财政局`,
even `市卫生计生委市人力社保局` with no separator). Split, merge and roll-up group rows by unit,
so one unit written several ways (医保局 / 县医保局) must resolve to one canonical name, an unknown
name must be flagged with a suggestion, and an old name used after an institutional reform
(市卫生计生委 → 市卫生健康委) must be flagged as renamed.

A registry is data, not code: the built-in ones are YAML files in `templates/units/`, and users
pass their own (csv / xlsx / yaml) with `--units`. Lookups are precomputed at load time because the
checks run once per distinct cell text over ledgers of tens of thousands of rows.

This module indexes units, answers lookups and checks, and keeps the built-in registries.
Reading registry files lives in unit_files and cutting a cell into names in unit_split (a Registry
is a UnitSplitter); Unit, RegistryError and normalize_name are re-exported here for callers.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import os
import re
from collections import Counter
from pathlib import Path
from typing import Iterable, Mapping

from .findings import Problem
from .unit_files import UNITS_DIR, RegistryError, Unit, read_registry_file, read_yaml
from .unit_split import UnitSplitter, normalize_name

_CUTOFF = 0.6  # difflib similarity below which closest() suggests nothing


class Registry(UnitSplitter):
    """Known units with their aliases and renames, indexed for fast lookup and splitting.

    When several registries are merged, a text that is one unit's own name always resolves to
    that unit even if another registry lists it as an alias; otherwise the first registry wins.
    """

    __slots__ = ("name", "units", "_display", "_closest", "_chars")
    _lookup: dict[str, Unit]  # set by UnitSplitter.__init__

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
        # Which source registries know each key: run-together text is only split into names
        # that one jurisdiction knows together (市卫生健康委办公室 is not 大连's 委 + 辽宁's 办公室).
        sources: dict[str, set[str]] = {}
        for u in self.units:
            for text in (u.name, *u.aliases):
                sources.setdefault(normalize_name(text), set()).add(u.registry or name)
        super().__init__(lookup, {k: frozenset(v) for k, v in sources.items() if k in lookup},
                         dict.fromkeys(u.registry or name for u in self.units))
        self._display = display
        self._closest: dict[tuple[str, str | None], str | None] = {}
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


# ====================================================================== built-ins


@functools.cache
def _builtin_files() -> tuple[tuple[str, Path], ...]:
    """(registry name, YAML path) of every built-in registry, in file-name order."""
    files = []
    for path in sorted(UNITS_DIR.glob("*.yaml")):
        doc = read_yaml(path)
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


def _load_file(path: Path) -> Registry:
    """A registry file (formats and the checks of each row: unit_files)."""
    return Registry(*read_registry_file(path))


__all__ = ["Unit", "Registry", "RegistryError", "builtin_names", "normalize_name", "UNITS_DIR"]
