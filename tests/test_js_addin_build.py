"""`taizhang addin build --wps / --officejs`: the WPS offline package and the Office.js manifest.

The WPS ribbon is generated from the .xlam's customUI.xml and must pass the same checks; the
bundled script is run in Node against the recording ET mock, through the ribbon's own callback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import py7zr
import pytest
from defusedxml.ElementTree import fromstring

from conftest import EX000
from js_workbook import write_dump

from taizhang.addin import wps
from taizhang.addin.officejs import MANIFEST_NAME, addin_id, manifest_xml
from taizhang.addin.xlam import CUSTOM_UI_SOURCE, RIBBON_VBA_SOURCE, _check_ribbon, ribbon_buttons

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node")


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_wps_ribbon_is_the_xlam_ribbon_with_js_callbacks() -> None:
    ribbon = wps.ribbon_xml()
    source, generated = ribbon_buttons(CUSTOM_UI_SOURCE.read_bytes()), ribbon_buttons(ribbon)
    assert [(b.id, b.tag, b.label, b.screentip, b.image_mso) for b in generated] == \
        [(b.id, b.tag, b.label, b.screentip, b.image_mso) for b in source]
    assert [b.label for b in generated] == ["校验", "清除标记", "分发", "合并报送", "汇总", "设置", "帮助"]
    assert {b.on_action for b in generated} == {"RunTagged"}
    _check_ribbon(ribbon, RIBBON_VBA_SOURCE.read_text(encoding="utf-8"))  # the .xlam's own check
    root = fromstring(ribbon)
    assert root.get("onLoad") == "OnAddinLoad"
    assert [t.get("label") for t in root.iter("{http://schemas.microsoft.com/office/2006/01/customui}tab")] == ["台账"]


def test_wps_ribbon_check_refuses_a_callback_the_script_lacks() -> None:
    ribbon = wps.ribbon_xml()
    with pytest.raises(ValueError, match="OnAddinLoad"):
        wps.check_ribbon(ribbon, "globalThis.RunTagged = function RunTagged(c) {};")
    broken = ribbon.replace(b'imageMso="Help" onAction="RunTagged"', b'imageMso="Help" onAction="ShowHelp"')
    assert broken != ribbon
    with pytest.raises(ValueError, match="ShowHelp"):
        wps.check_ribbon(broken, "globalThis.RunTagged = function RunTagged(c) {};\nglobalThis.OnAddinLoad = function (r) {};")


def test_addin_build_wps_writes_the_offline_package(tmp_path: Path) -> None:
    done = cli("addin", "build", "--wps", "--url", "http://10.0.0.5:8765/addin/wps/", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "已生成" in done.stdout and "oem.ini" in done.stdout
    with py7zr.SevenZipFile(tmp_path / "taizhang.7z") as archive:
        assert sorted(archive.getnames()) == ["index.html", "js/taizhang-wps.js", "ribbon.xml"]
        archive.extractall(tmp_path / "unpacked")
    unpacked = tmp_path / "unpacked"
    assert '<script src="js/taizhang-wps.js"></script>' in (unpacked / "index.html").read_text(encoding="utf-8")
    assert (unpacked / "ribbon.xml").read_bytes() == wps.ribbon_xml()
    plugins = fromstring((tmp_path / "jsplugins.xml").read_bytes())
    (plugin,) = list(plugins)
    assert (plugin.tag, plugin.get("name"), plugin.get("type")) == ("jsplugin", "taizhang", "et")
    assert plugin.get("url") == "http://10.0.0.5:8765/addin/wps/taizhang.7z"
    oem = (tmp_path / "oem.ini.txt").read_text(encoding="utf-8")
    assert "[Support]\nJsApiPlugin=true\n" in oem
    assert "[Server]\nJSPluginsServer=http://10.0.0.5:8765/addin/wps/jsplugins.xml\n" in oem


def test_addin_build_wps_without_url_points_at_the_folder(tmp_path: Path) -> None:
    wps.build_wps(tmp_path)
    plugin = list(fromstring((tmp_path / "jsplugins.xml").read_bytes()))[0]
    assert plugin.get("url") == (tmp_path / "taizhang.7z").resolve().as_uri()


@pytest.mark.skipif(NODE is None and not os.environ.get("TAIZHANG_CI"), reason="node is installed by .ci/run")
def test_the_packaged_script_runs_the_ribbon_callback_in_node(tmp_path: Path) -> None:
    """The bundle from the 7z, loaded as WPS loads it (a classic script), clicks 校验 on the ET mock."""
    wps.build_wps(tmp_path)
    with py7zr.SevenZipFile(tmp_path / "taizhang.7z") as archive:
        archive.extractall(tmp_path / "unpacked")
    shutil.copyfile(tmp_path / "unpacked" / "js" / "taizhang-wps.js", tmp_path / "bundle.js")
    dump = write_dump(EX000, tmp_path / "book.json")
    runner = tmp_path / "click.mjs"
    runner.write_text(f"""
import {{ readFileSync }} from "node:fs";
import vm from "node:vm";
import {{ MockEtApp }} from {json.dumps(str(ROOT / "addin/js/test/mock-et.js"))};
const app = new MockEtApp(JSON.parse(readFileSync({json.dumps(str(dump))}, "utf-8")));
const alerts = [];
const context = vm.createContext({{ Application: app, alert: (m) => alerts.push(m), console, TextEncoder,
  fetch: async () => {{ throw new TypeError("Failed to fetch"); }},
  localStorage: {{ getItem: () => null, setItem() {{}} }} }});
vm.runInContext(readFileSync({json.dumps(str(tmp_path / "bundle.js"))}, "utf-8"), context);
console.log(JSON.stringify({{ load: context.OnAddinLoad({{}}), help: await context.RunTagged({{ Tag: "help" }}),
  validate: await context.RunTagged({{ Tag: "validate" }}), alerts }}));
""", encoding="utf-8")
    done = subprocess.run([NODE, str(runner)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["load"] is True
    assert out["alerts"][0].startswith("台账 · 帮助\n\n校验：")
    assert out["alerts"][1] == ("台账 · 出错\n\n无法连接台账服务：http://127.0.0.1:8765\n"
                                "请确认服务已启动、地址正确（「设置」中的服务地址），并且本机能访问该地址。")


def test_addin_build_officejs_writes_the_manifest_for_the_service(tmp_path: Path) -> None:
    done = cli("addin", "build", "--officejs", "--url", "http://10.0.0.5:8765", "--office-js",
               "http://10.0.0.5:8765/static/office/office.js", "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    root = fromstring((tmp_path / MANIFEST_NAME).read_bytes())
    ns = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1"}
    assert root.find("o:Id", ns).text == addin_id("http://10.0.0.5:8765/")
    assert root.find("o:DefaultSettings/o:SourceLocation", ns).get("DefaultValue") == \
        "http://10.0.0.5:8765/addin/officejs/taskpane.html"
    assert root.find("o:DisplayName", ns).get("DefaultValue") == "台账"
    assert root.find("o:Hosts/o:Host", ns).get("Name") == "Workbook"
    assert root.find("o:Permissions", ns).text == "ReadWriteDocument"
    pane = (tmp_path / "addin" / "officejs" / "taskpane.html").read_text(encoding="utf-8")
    for label in ("校验", "清除标记", "分发", "合并报送", "汇总", "设置", "帮助"):
        assert f">{label}</button>" in pane
    assert '<script src="js/taizhang-officejs.js"></script>' in pane
    assert '<script src="http://10.0.0.5:8765/static/office/office.js"></script>' in pane
    assert (tmp_path / "addin" / "officejs" / "js" / "taizhang-officejs.js").stat().st_size > 5000


def test_addin_build_officejs_needs_a_service_address(tmp_path: Path) -> None:
    done = cli("addin", "build", "--officejs", "-o", str(tmp_path))
    assert done.returncode != 0
    assert "--officejs 需要 --url 台账服务地址" in done.stderr
    with pytest.raises(ValueError, match="服务地址应为"):
        manifest_xml("10.0.0.5:8765")
