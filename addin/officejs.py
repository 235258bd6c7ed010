"""The Excel (Office.js) task-pane add-in: the manifest for a service address, and the pane.

Excel on the web, and Microsoft 365's central deployment, run only Office.js add-ins. Ours is
a task pane whose page and script the taizhang service serves (taskpane.html and
js/taizhang-officejs.js, written by `pane_files`); the manifest names the service's address,
so `taizhang addin build --officejs --url URL` writes one per office. Office.js itself is the one
script not served by the service: the page loads it from `office_js_url` (Microsoft's CDN by
default; an intranet copy's address for offices without internet, see README).
"""

from __future__ import annotations

import uuid
from html import escape
from pathlib import Path
from urllib.parse import urlparse
from xml.sax.saxutils import quoteattr

from .jsbundle import bundle

MANIFEST_NAME = "taizhang-manifest.xml"
PANE_PATH = "addin/officejs/taskpane.html"  # under the service's address
SCRIPT = "js/taizhang-officejs.js"
OFFICE_JS = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js"
_NAMESPACE = uuid.UUID("6f1c2a9e-3b0d-4d5e-9a57-0c1e7a1f2b33")


def addin_id(url: str) -> str:
    """A stable add-in id per service address: rebuilding the manifest updates, not duplicates."""
    return str(uuid.uuid5(_NAMESPACE, url.rstrip("/")))


def manifest_xml(url: str, version: str = "1.0.0.0") -> str:
    """The add-in-only XML manifest (TaskPaneApp) for a service at `url`."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"服务地址应为 http(s)://主机[:端口]，而不是「{url}」")
    base = url.rstrip("/")
    pane = f"{base}/{PANE_PATH}"
    origin = f"{parsed.scheme}://{parsed.netloc}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
           xsi:type="TaskPaneApp">
  <Id>{addin_id(url)}</Id>
  <Version>{escape(version)}</Version>
  <ProviderName>taizhang</ProviderName>
  <DefaultLocale>zh-CN</DefaultLocale>
  <DisplayName DefaultValue="台账"/>
  <Description DefaultValue="校验工作台账：问题单元格标红标黄、批注说明、生成「校验结果」工作表（规则在台账服务上）。"/>
  <IconUrl DefaultValue={quoteattr(f"{base}/static/favicon.png")}/>
  <SupportUrl DefaultValue={quoteattr(base + "/")}/>
  <AppDomains>
    <AppDomain>{escape(origin)}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Workbook"/>
  </Hosts>
  <Requirements>
    <Sets DefaultMinVersion="1.18">
      <Set Name="ExcelApi" MinVersion="1.18"/>
    </Sets>
  </Requirements>
  <DefaultSettings>
    <SourceLocation DefaultValue={quoteattr(pane)}/>
  </DefaultSettings>
  <Permissions>ReadWriteDocument</Permissions>
</OfficeApp>
"""


def taskpane_html(office_js_url: str = OFFICE_JS) -> str:
    buttons = [("validate", "校验", "检查台账，错误标红、警告标黄，并生成「校验结果」工作表"),
               ("clear", "清除标记", "恢复校验前的单元格底色和批注，删除「校验结果」"),
               ("split", "分发", "在台账服务的网页上分发给各处室"),
               ("merge", "合并报送", "在台账服务的网页上合并各单位报送"),
               ("rollup", "汇总", "在台账服务的网页上汇总"),
               ("settings", "设置", "在「设置」工作表中写入服务地址"),
               ("help", "帮助", "各按钮的用途")]
    rows = "\n".join(f'    <button data-tag="{t}" title="{escape(tip)}">{escape(label)}</button>' for t, label, tip in buttons)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>台账</title>
<script src={quoteattr(office_js_url)}></script>
<script src="{SCRIPT}"></script>
<style>
  body {{ font-family: "Microsoft YaHei", "WenQuanYi Zen Hei", sans-serif; margin: 12px; font-size: 14px; }}
  .buttons {{ display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }}
  button {{ padding: 8px; font-size: 14px; }}
  label {{ display: block; margin-top: 10px; }}
  input {{ width: 100%; box-sizing: border-box; }}
  #message {{ white-space: pre-wrap; margin-top: 12px; padding: 8px; background: #f3f6fa; min-height: 3em; }}
</style>
</head>
<body>
  <h3>台账</h3>
  <div class="buttons">
{rows}
  </div>
  <div id="message"></div>
  <details>
    <summary>服务地址与令牌</summary>
    <label>服务地址 <input id="service" placeholder="http://10.0.0.5:8765"></label>
    <label>访问令牌 <input id="token" type="password"></label>
    <button id="save">保存</button>
  </details>
</body>
</html>
"""


def pane_files(office_js_url: str = OFFICE_JS) -> dict[str, bytes]:
    """The pane's files, by path under the service's /addin/officejs/."""
    return {"taskpane.html": taskpane_html(office_js_url).encode("utf-8"), SCRIPT: bundle("officejs").encode("utf-8")}


def build_officejs(out_dir: Path, url: str, office_js_url: str = OFFICE_JS) -> Path:
    """Write the manifest for `url`, and the pane's files under addin/officejs/ beside it."""
    out_dir = Path(out_dir)
    manifest = out_dir / MANIFEST_NAME
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in pane_files(office_js_url).items():
        target = out_dir / "addin" / "officejs" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    manifest.write_text(manifest_xml(url), encoding="utf-8")
    return manifest
