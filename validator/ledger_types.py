"""Ledger types: declarative definitions of a ledger's columns, loaded from YAML files.

A ledger type says which columns a ledger has (with the header aliases offices really use),
what role each plays, whether it is required, whether departments may edit it, and whether it
is a task-level column (one value per task, usually merged over the task's sub-items). The
definitions are data in `templates/`; `schema.py` compiles them into checks.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .normalize import normalize_header

Role = Literal[
    "key", "category", "task", "units", "lead_unit", "co_units", "output",
    "deadline", "progress", "status", "contact", "phone", "note",
    "content", "responsible", "contact_phone",  # named by headers (validator.header_roles); types may use them
    "amount",  # money in 万元: checked as a number
]
ROLES: frozenset[str] = frozenset(Role.__args__)  # type: ignore[attr-defined]
UNIT_ROLES = ("units", "lead_unit", "co_units")
TEXT_ROLES = frozenset({"category", "task", "output", "deadline", "progress", "status", "units", "lead_unit",
                        "co_units", "contact", "phone", "note", "responsible", "content"})
# a bracketed note after a header's name: 办结时限（填写到日）, 总投资(万元)
_NOTE = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def strip_note(header: str) -> str:
    """A normalised header without its bracketed notes (总投资（万元） -> 总投资)."""
    return _NOTE.sub("", header)


class LedgerTypeError(ValueError):
    """A ledger type definition is malformed; the message names the file and the problem."""


@functools.lru_cache(maxsize=4096)
def _match_names(name: str, aliases: tuple[str, ...]) -> tuple[str, ...]:
    """Header matching asks for these for every header cell of every file: computed once."""
    return tuple(normalize_header(n) for n in (name, *aliases))


@dataclass(frozen=True, slots=True)
class ColumnDef:
    name: str
    role: str
    aliases: tuple[str, ...] = ()
    level: Literal["task", "item"] = "item"
    required: bool = False
    editable: bool = False

    @property
    def match_names(self) -> tuple[str, ...]:
        return _match_names(self.name, self.aliases)


@dataclass(frozen=True, slots=True)
class LedgerType:
    name: str
    title: str
    columns: tuple[ColumnDef, ...]
    description: str = ""
    version: int = 1
    sheet: str = "工作台账"
    registry: str | None = None
    area_code: str | None = None
    keywords: tuple[str, ...] = ()  # words in a ledger's title that name this kind (整改, 督办, 民生实事)
    path: Path | None = field(default=None, compare=False)

    def by_role(self, role: str) -> ColumnDef | None:
        return next((c for c in self.columns if c.role == role), None)

    def match(self, headers: list[str]) -> tuple[float, dict[int, ColumnDef]]:
        """Score how well a row of (normalised) header cells fits this type.

        Exact names weigh more than aliases, and a missing required column costs, so that a
        4-column schedule is not mistaken for the 9-column ledger that shares its aliases.
        """
        found: dict[int, ColumnDef] = {}
        score = 0.0
        bare = [strip_note(h) if h else h for h in headers]
        for col in self.columns:
            names = col.match_names
            for idx, head in enumerate(headers):
                if idx in found or not head:
                    continue
                if names[0] in (head, bare[idx]):
                    found[idx], score = col, score + 2
                    break
                if head in names[1:] or bare[idx] in names[1:]:
                    found[idx], score = col, score + 1
                    break
        matched = set(found.values())
        score -= 1.5 * sum(1 for c in self.columns if c.required and c not in matched)
        return score, found


def _parse(data: object, path: Path) -> LedgerType:
    if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
        raise LedgerTypeError(f"{path}: 台账类型定义须包含 name 和 columns 列表")
    cols = []
    for i, raw in enumerate(data["columns"], 1):
        if not isinstance(raw, dict) or "name" not in raw or "role" not in raw:
            raise LedgerTypeError(f"{path}: 第 {i} 列缺少 name 或 role")
        if raw["role"] not in ROLES:
            raise LedgerTypeError(f"{path}: 第 {i} 列的 role「{raw['role']}」无效，可用：{'、'.join(sorted(ROLES))}")
        cols.append(ColumnDef(
            name=str(raw["name"]), role=raw["role"], aliases=tuple(str(a) for a in raw.get("aliases") or ()),
            level="task" if raw.get("level") == "task" else "item",
            required=bool(raw.get("required", False)), editable=bool(raw.get("editable", False)),
        ))
    if "name" not in data:
        raise LedgerTypeError(f"{path}: 缺少 name")
    return LedgerType(
        name=str(data["name"]), title=str(data.get("title") or data["name"]), columns=tuple(cols),
        description=str(data.get("description") or ""), version=int(data.get("version") or 1),
        sheet=str(data.get("sheet") or "工作台账"), registry=data.get("registry"),
        area_code=str(data["area_code"]) if data.get("area_code") else None,
        keywords=tuple(str(k) for k in data.get("keywords") or ()), path=path,
    )


def _load_yaml(path: Path) -> object:
    import yaml

    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
        return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LedgerTypeError(f"{path}: 无法读取台账类型定义（{exc}）") from None


def load_type(path: str | Path) -> LedgerType:
    path = Path(path)
    return _parse(_load_yaml(path), path)


@functools.cache
def builtin_types() -> dict[str, LedgerType]:
    """The ledger types shipped in templates/, by name.

    templates/ also holds other data (status rules, unit registries): a ledger type is a YAML
    mapping with a `columns` list.
    """
    types = {}
    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        data = _load_yaml(path)
        if isinstance(data, dict) and "columns" in data:
            t = _parse(data, path)
            types[t.name] = t
    return types


def get_type(name_or_path: str) -> LedgerType:
    types = builtin_types()
    if name_or_path in types:
        return types[name_or_path]
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        return load_type(path)
    raise LedgerTypeError(f"未知台账类型「{name_or_path}」，可用：{'、'.join(types)}")
