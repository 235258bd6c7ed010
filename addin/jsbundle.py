"""One classic script from the JS clients' ES modules (addin/js/src), for hosts that load files.

WPS loads its add-in from the unpacked package through file URLs, where browsers refuse ES
modules; the Office.js pane is served over HTTP but gets the same single file so both clients
ship the same code. The modules keep to one form this joiner relies on: single-line
`import {…} from "./x.js";` statements and `export` in front of top-level declarations, with no
top-level name defined twice. The output is wrapped in one function scope.
"""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parent / "js" / "src"
CORE = ("address.js", "service.js", "core.js")
ENTRIES = {"wps": CORE + ("et.js", "wps.js"), "officejs": CORE + ("officejs.js", "taskpane.js")}

_IMPORT = re.compile(r'^import\s*\{[^}]*\}\s*from\s*"\./[\w-]+\.js";\s*$', re.MULTILINE)
_EXPORT = re.compile(r"^export\s+(?=(async\s+)?(function|const|let|class)\b)", re.MULTILINE)
_TOP = re.compile(r"^(?:export\s+)?(?:async\s+)?(?:function\*?|const|let|class)\s+(\w+)", re.MULTILINE)


def bundle(client: str) -> str:
    """The client's modules joined in dependency order into one script."""
    if client not in ENTRIES:
        raise ValueError(f"unknown client {client!r}; use one of {sorted(ENTRIES)}")
    seen: dict[str, str] = {}
    parts = []
    for name in ENTRIES[client]:
        text = (SRC / name).read_text(encoding="utf-8")
        for top in _TOP.findall(text):
            if top in seen:
                raise ValueError(f"{name} 与 {seen[top]} 都定义了顶层名称 {top}，无法合并为一个脚本")
            seen[top] = name
        text = _IMPORT.sub("", text)
        if re.search(r"^\s*import\b", text, re.MULTILINE):
            raise ValueError(f"{name}: 只支持单行的 import {{…}} from \"./x.js\";")
        parts.append(f"// ---- {name}\n{_EXPORT.sub('', text).strip()}\n")
    return ('// taizhang ' + client + ' client, generated from addin/js/src by taizhang.addin.jsbundle\n'
            '(function () {\n"use strict";\n' + "\n".join(parts) + "})();\n")
