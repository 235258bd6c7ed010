"""Build the WPS 表格 add-in (WPS 加载项) as an offline package, on any OS.

WPS JS add-ins are a web page (index.html + scripts) plus a ribbon.xml in the same customUI
2006/01 schema as Excel's. The ribbon is generated from addin/ribbon/customUI.xml, the .xlam's
own: same tab, groups, buttons, labels and tips; each button's onAction "RibbonMyAddin.RunTagged"
becomes the JS global "RunTagged" (defined in addin/js/src/wps.js), which runs the button's tag.

Offline deployment (Kingsoft's jsplugins.xml mode): WPS reads `[Server] JSPluginsServer=` from
oem.ini, fetches that jsplugins.xml, downloads the 7z each <jsplugin> names and unpacks it into
the user's jsaddons folder. `build_wps` writes the 7z, the jsplugins.xml pointing at it, and the
oem.ini lines an IT admin adds.

Why not `wpsjs build`: Kingsoft's npm tool asks its questions interactively (inquirer) and packs
with a downloaded 7-Zip binary; py7zr writes the same 7z format from Python, so the package
builds in CI and in `taizhang addin build` with nothing but pip packages.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib.metadata import version as dist_version
from pathlib import Path
from xml.sax.saxutils import quoteattr

from .jsbundle import bundle
from .xlam import CUSTOM_UI_SOURCE, RIBBON_VBA_SOURCE, _check_ribbon, ribbon_buttons

PLUGIN_NAME = "taizhang"
PACKAGE_NAME = "taizhang.7z"
SCRIPT = "js/taizhang-wps.js"

INDEX_HTML = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>台账 WPS 加载项</title>
<script src="{SCRIPT}"></script>
</head>
<body></body>
</html>
"""

_ON_ACTION = re.compile(r'onAction="(?:[\w]+\.)?(\w+)"')
_JS_GLOBAL = re.compile(r"globalThis\.(\w+)\s*=\s*function")


def ribbon_xml(custom_ui: bytes | None = None) -> bytes:
    """WPS's ribbon.xml from the .xlam's customUI.xml: JS callbacks instead of VBA module names."""
    text = (custom_ui if custom_ui is not None else CUSTOM_UI_SOURCE.read_bytes()).decode("utf-8")
    text = _ON_ACTION.sub(r'onAction="\1"', text)
    text = re.sub(r"<customUI\b", '<customUI onLoad="OnAddinLoad"', text, count=1)
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.DOTALL)  # the source's comments speak of VBA
    note = ("<!-- Generated for WPS by taizhang.addin.wps from addin/ribbon/customUI.xml: every button\n"
            "     calls the JS function RunTagged (addin/js/src/wps.js) with its tag. -->\n")
    head, sep, rest = text.partition("?>")
    text = f"{head}{sep}\n{note}{rest.lstrip()}" if sep else note + text
    return text.encode("utf-8")


def check_ribbon(ribbon: bytes, script: str) -> None:
    """The .xlam's customUI checks, plus: every onAction is a global function of the script."""
    _check_ribbon(ribbon, RIBBON_VBA_SOURCE.read_text(encoding="utf-8"))
    functions = set(_JS_GLOBAL.findall(script))
    for button in ribbon_buttons(ribbon):
        if button.on_action not in functions:
            raise ValueError(f"按钮 {button.id} 的 onAction={button.on_action} 在 {SCRIPT} 中没有对应的函数")
    if "OnAddinLoad" not in functions:
        raise ValueError(f"{SCRIPT} 缺少 OnAddinLoad")


def package_files() -> dict[str, bytes]:
    """The files inside the add-in's 7z, by path."""
    script = bundle("wps")
    ribbon = ribbon_xml()
    check_ribbon(ribbon, script)
    return {"index.html": INDEX_HTML.encode("utf-8"), "ribbon.xml": ribbon, SCRIPT: script.encode("utf-8")}


def jsplugins_xml(package_url: str, version: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<jsplugins>\n'
            f'  <jsplugin name="{PLUGIN_NAME}" type="et" enable="true" version={quoteattr(version)}'
            f" url={quoteattr(package_url)}/>\n</jsplugins>\n")


def oem_ini_lines(jsplugins_url: str) -> str:
    return ("; 台账 WPS 加载项：把以下几行加入 WPS 安装目录 office6/cfgs/oem.ini（已有的节合并到同名节下）\n"
            "; Windows: C:\\Program Files (x86)\\Kingsoft\\WPS Office\\<版本号>\\office6\\cfgs\\oem.ini\n"
            "; Linux:   /opt/kingsoft/wps-office/office6/cfgs/oem.ini（统信 UOS：/opt/apps/cn.wps.wps-office-pro/files/kingsoft/wps-office/office6/cfgs/oem.ini）\n"
            "[Support]\nJsApiPlugin=true\n\n[Server]\n"
            f"JSPluginsServer={jsplugins_url}\n")


@dataclass(frozen=True)
class WpsPackage:
    package: Path
    jsplugins: Path
    oem_ini: Path


def build_wps(out_dir: Path, base_url: str | None = None, *, version: str | None = None) -> WpsPackage:
    """Write taizhang.7z, jsplugins.xml and oem.ini.txt into `out_dir`.

    `base_url` is where the two files will be published (the service's /addin/wps/ or a file
    share, file:///…); without it they point at `out_dir` itself, for one PC.
    """
    import py7zr  # only the build needs it

    version = version or dist_version("taizhang")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = (base_url or out_dir.resolve().as_uri()).rstrip("/")
    package = out_dir / PACKAGE_NAME
    tmp = package.with_name(package.name + ".tmp")
    with py7zr.SevenZipFile(tmp, "w") as archive:
        for name, data in package_files().items():
            archive.writestr(data, name)
    os.replace(tmp, package)
    jsplugins = out_dir / "jsplugins.xml"
    jsplugins.write_text(jsplugins_xml(f"{base}/{PACKAGE_NAME}", version), encoding="utf-8")
    oem = out_dir / "oem.ini.txt"
    oem.write_text(oem_ini_lines(f"{base}/jsplugins.xml"), encoding="utf-8")
    return WpsPackage(package, jsplugins, oem)
