"""The service publishes the add-ins: /addin/wps/ (jsplugins.xml, the 7z, the oem.ini lines) and
/addin/officejs/ (manifest, task pane, its script), over HTTP through the real app."""

from __future__ import annotations

import io
from pathlib import Path

import py7zr
from defusedxml.ElementTree import fromstring

from service_client import service_client

NS = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1"}


def test_wps_jsplugins_points_at_the_served_package_which_holds_ribbon_and_script(tmp_path: Path) -> None:
    with service_client(tmp_path / "data") as client:
        listing = client.get("/addin/wps/jsplugins.xml")
        assert listing.status_code == 200 and listing.headers["content-type"].startswith("application/xml")
        (plugin,) = list(fromstring(listing.content))
        assert (plugin.get("name"), plugin.get("type")) == ("taizhang", "et")
        assert plugin.get("url") == "http://127.0.0.1:8765/addin/wps/taizhang.7z"
        package = client.get(plugin.get("url").removeprefix("http://127.0.0.1:8765"))
        assert package.status_code == 200 and package.content[:6] == b"7z\xbc\xaf\x27\x1c"
        with py7zr.SevenZipFile(io.BytesIO(package.content)) as archive:
            assert sorted(archive.getnames()) == ["index.html", "js/taizhang-wps.js", "ribbon.xml"]
            archive.extractall(tmp_path / "unpacked")
        oem = client.get("/addin/wps/oem.ini.txt").text
    ribbon = (tmp_path / "unpacked" / "ribbon.xml").read_text(encoding="utf-8")
    for label in ("校验", "清除标记", "分发", "合并报送", "汇总", "设置", "帮助"):
        assert f'label="{label}"' in ribbon
    assert "globalThis.RunTagged = function RunTagged" in (tmp_path / "unpacked" / "js" / "taizhang-wps.js").read_text(encoding="utf-8")
    assert "JSPluginsServer=http://127.0.0.1:8765/addin/wps/jsplugins.xml\n" in oem
    assert (tmp_path / "data" / "addin" / "wps" / "taizhang.7z").is_file()  # built into the data folder


def test_public_url_is_what_the_add_ins_name(tmp_path: Path) -> None:
    with service_client(tmp_path, public_url="https://taizhang.example.gov.cn/tz") as client:
        (plugin,) = list(fromstring(client.get("/addin/wps/jsplugins.xml").content))
        manifest = fromstring(client.get("/addin/officejs/manifest.xml").content)
    assert plugin.get("url") == "https://taizhang.example.gov.cn/tz/addin/wps/taizhang.7z"
    assert manifest.find("o:DefaultSettings/o:SourceLocation", NS).get("DefaultValue") == \
        "https://taizhang.example.gov.cn/tz/addin/officejs/taskpane.html"


def test_officejs_manifest_names_the_served_task_pane(tmp_path: Path) -> None:
    with service_client(tmp_path) as client:
        manifest = client.get("/addin/officejs/manifest.xml")
        assert manifest.status_code == 200
        source = fromstring(manifest.content).find("o:DefaultSettings/o:SourceLocation", NS).get("DefaultValue")
        assert source == "http://127.0.0.1:8765/addin/officejs/taskpane.html"
        pane = client.get(source.removeprefix("http://127.0.0.1:8765"))
        assert pane.status_code == 200 and pane.headers["content-type"].startswith("text/html")
        # Excel shows the pane in a frame and the page loads office.js from Microsoft's CDN
        assert "x-frame-options" not in pane.headers and "content-security-policy" not in pane.headers
        assert '<script src="js/taizhang-officejs.js"></script>' in pane.text
        assert ">汇总</button>" in pane.text
        script = client.get("/addin/officejs/js/taizhang-officejs.js")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert "function officeHost" in script.text
        missing = client.get("/addin/officejs/js/other.js")
        assert missing.status_code == 404
        # the service's own pages keep their frame protection
        assert client.get("/login").headers["x-frame-options"] == "DENY"


def test_serve_refuses_a_public_url_that_is_not_http(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()", "serve", "--data", str(tmp_path),
                           "--public-url", "taizhang.example.gov.cn"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "--public-url 应为 http(s)://主机[:端口]，而不是「taizhang.example.gov.cn」" in done.stderr
