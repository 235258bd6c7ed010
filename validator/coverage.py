"""Whether any registry covers a ledger's units, and the units a ledger names.

The built-in registries cover the example cities. A ledger from anywhere else names units none
of them know, and one unknown-unit finding per cell would bury every real problem: when most of
a ledger's units are unknown to the default registries, that is said once, with how to give a
registry (`taizhang units init`, then `--units`). A registry the office chose is another matter:
there every unknown name is a finding.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .findings import Finding
from .ledger_types import UNIT_ROLES

if TYPE_CHECKING:
    from .reader import Ledger
    from .units import Registry

MIN_UNKNOWN = 2  # one unknown unit is a typo to point at, not a missing registry
EXAMPLES = 3
# a place named in a title: 瑞金市, 湘阴县, 铜梁区, 辽宁省
_PLACE = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:省|市|县|区)")


def ledger_units(ledger: "Ledger", registry: "Registry") -> list[str]:
    """Each distinct unit name the ledger's unit columns hold, in order of first appearance."""
    from .units import normalize_name

    seen: dict[str, str] = {}
    for col in ledger.columns.values():
        if col.definition.role not in UNIT_ROLES:
            continue
        for value in dict.fromkeys(v for v in ledger.values[col.name] if v):
            for name in registry.split(value):
                seen.setdefault(normalize_name(name), name)
    return list(seen.values())


def elsewhere(title: str, registry: "Registry") -> bool:
    """The title names a place and none of the registries' places (瑞金市… with 大连市, 天津市 …).

    Then a unit the registries happen to know (市财政局 is also Dalian's) does not make them cover
    the ledger: its unknown units are a missing registry, not typos.
    """
    places = {m.group(1) for m in _PLACE.finditer(title or "")}
    if not places:
        return False
    known = {m.group(1) for u in registry.units for m in [_PLACE.match(u.registry or "")] if m}
    return not any(p.startswith(k) or k.startswith(p) for p in places for k in known)


def uncovered(ledger: "Ledger", registry: "Registry", findings: list[Finding]) -> list[Finding]:
    """`findings` with the unknown-unit ones replaced by one no-unit-registry when most units are unknown."""
    names = ledger_units(ledger, registry)
    unknown = [n for n in names if registry.resolve(n) is None]
    if not unknown:
        return findings
    most = len(unknown) >= MIN_UNKNOWN and 2 * len(unknown) > len(names)
    if not most and not elsewhere(ledger.title, registry):
        return findings
    col = min((c for c in ledger.columns.values() if c.definition.role in UNIT_ROLES), key=lambda c: c.index)
    examples = {"zh": "、".join(f"「{n}」" for n in unknown[:EXAMPLES]),
                "en": ", ".join(f"'{n}'" for n in unknown[:EXAMPLES])}
    summary = Finding("no-unit-registry", ledger.sheet, ledger.header_row, col.header, f"{col.letter}{ledger.header_row}",
                      col.header, {"total": len(names), "unknown": len(unknown), "examples": examples})
    return [summary] + [f for f in findings if f.code != "unknown-unit"]


_PREFIX = re.compile(r"^(?:市|县|区|镇|省)")


def registry_rows(names: list[str]) -> list[tuple[str, list[str]]]:
    """(name, aliases) rows for a registry file made from a ledger's units, for the office to review.

    A name that is another with its level prefix dropped (卫健局 beside 县卫健局) becomes its alias;
    everything else is one unit each, in the order the ledger names them.
    """
    full = {n: n for n in names}
    for n in names:
        short = _PREFIX.sub("", n)
        if short != n and short in full:
            full[short] = n
    rows: dict[str, list[str]] = {}
    for n in names:
        if full[n] == n:
            rows.setdefault(n, [])
    for n in names:
        if full[n] != n:
            rows.setdefault(full[n], []).append(n)
    return list(rows.items())


def registry_text(rows: list[tuple[str, list[str]]], suffix: str) -> str:
    """The registry file's text: .csv (名称, 别名, 更名为, 更名日期) or .yaml, as `--units` reads them."""
    if suffix == ".csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["名称", "别名", "更名为", "更名日期"])
        for name, aliases in rows:
            writer.writerow([name, "、".join(aliases), "", ""])
        return "\ufeff" + out.getvalue()  # a BOM: Excel opens UTF-8 CSV correctly only with one
    import yaml

    doc = {"name": "本地单位名录", "units": [{"name": n, "aliases": a} if a else {"name": n} for n, a in rows]}
    head = "# 由 taizhang units init 从台账生成：请核对，把同一单位的不同写法合并为别名（aliases），再用 --units 传入。\n"
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
