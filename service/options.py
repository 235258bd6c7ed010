"""The CLI's options as query parameters, with what a network caller may not name taken out.

On the command line `--type` and `--units` may name a file; over HTTP they name built-in ledger
types and unit registries only, since a path from a client must never be opened.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated, Optional

from fastapi import HTTPException, Query

from taizhang.validator.validate import Options


class Lang(str, Enum):
    zh = "zh"
    en = "en"


TypeQ = Annotated[Optional[str], Query(alias="type", description="台账类型（内置名称）；默认按表头识别。Ledger type.")]
SheetQ = Annotated[Optional[str], Query(description="工作表名称或序号（从 1 起）。Sheet name or 1-based index.")]
YearQ = Annotated[Optional[int], Query(ge=1949, le=2100, description="台账年份；默认取标题中的年份。")]
UnitsQ = Annotated[Optional[str], Query(description="单位名录：内置名称，如 大连市。Built-in unit registry.")]
AreaQ = Annotated[Optional[str], Query(pattern=r"^0\d{2,3}$", description="8 位座机号码的默认区号，如 0411。")]
LangQ = Annotated[Lang, Query(description="消息语言 zh|en。")]


def _bad(zh: str) -> HTTPException:
    return HTTPException(422, detail=zh)


def checked_type(name: str | None) -> str | None:
    from taizhang.validator.ledger_types import builtin_types

    if name and name not in builtin_types():
        raise _bad(f"未知台账类型「{name}」，可用：{'、'.join(builtin_types())}")
    return name or None


def checked_units(option: str | None) -> str | None:
    from taizhang.validator.units import builtin_names

    if not option:
        return None
    known = builtin_names()
    for part in (p.strip() for p in re.split(r"[,，]", option) if p.strip()):
        if part not in known:
            raise _bad(f"未知单位名录「{part}」，可用：{'、'.join(known)}（服务端不读取文件路径）")
    return option


def validate_options(ledger_type: str | None, sheet: str | None, year: int | None, units: str | None,
                     area_code: str | None) -> Options:
    return Options(ledger_type=checked_type(ledger_type), sheet=sheet, year=year, units=checked_units(units),
                   area_code=area_code)
