"""Reading unit registries from files: the built-in YAML in `templates/units/` and users' own
csv / xlsx / yaml (`--units FILE`), each row checked, with messages that name the file and row.

A registry is data, not code; this module turns a file into (registry name, units) and knows
nothing of lookups or splitting (units.Registry indexes what it returns).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .normalize import decode_text
from .unit_split import half_width, normalize_name

UNITS_DIR = Path(__file__).resolve().parent.parent / "templates" / "units"


class RegistryError(ValueError):
    """A registry file (or --units option) cannot be used; the message says which file and row."""


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit as a registry lists it: its own name, other names, and a rename if any."""

    name: str
    aliases: tuple[str, ...] = ()
    renamed_to: str | None = None
    renamed_on: _dt.date | None = None
    registry: str = ""


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


def read_registry_file(path: Path) -> tuple[str, list[Unit]]:
    """The registry name and units of a .csv, .xlsx (.xlsm .xls .ods) or .yaml file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        name, rows = path.stem, _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        name, rows = path.stem, _xlsx_rows(path)
    elif suffix in (".yaml", ".yml"):
        name, rows = _yaml_rows(path)
    else:
        raise RegistryError(f"单位名录「{path.name}」的格式不受支持：请使用 .csv、.xlsx 或 .yaml")
    return name, _units_from_rows(path, name, rows)


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


def read_yaml(path: Path, *, lines: bool = False) -> Any:
    """A registry's YAML document (RegistryError if it cannot be read)."""
    # libyaml is 10x faster; the pure-Python loader that records line numbers is used only for
    # user files, whose errors must name the line
    loader = _LineLoader if lines else getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader)  # noqa: S506 - safe loaders only
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RegistryError(f"单位名录「{path.name}」无法读取：{exc}") from exc


def _yaml_rows(path: Path) -> tuple[str, list[_Row]]:
    doc = read_yaml(path, lines=path.resolve().parent != UNITS_DIR)
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
        m = _DATE_RE.match(half_width(value).strip())
        if m:
            try:
                return _dt.date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
            except ValueError:
                pass
    raise RegistryError(f"{where}：更名日期「{value}」无法识别（应写成 2018-12-01 或 2018年12月）")


