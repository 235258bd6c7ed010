"""taizhang addin …：生成、安装、卸载 Excel / WPS / Office.js 加载项，查看本机状态，生成离线安装包。

The `addin` sub-app over addin/; cli.py adds it to the app.
"""

from __future__ import annotations  # options are evaluated only for the command typer builds (cli_lazy.py)

from pathlib import Path
from typing import Annotated, Optional

import typer

from taizhang.cli_shared import Lang, fail, say, user_errors

addin_app = typer.Typer(help="Excel 加载项：生成与安装 taizhang.xlam。Excel ribbon add-in.", no_args_is_help=True)


@addin_app.command("build")
def addin_build(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹。Output folder.")] = Path("."),
    wps: Annotated[bool, typer.Option("--wps", help="生成 WPS 加载项离线包（taizhang.7z、jsplugins.xml、oem.ini 配置行）。")] = False,
    officejs: Annotated[bool, typer.Option("--officejs", help="生成 Excel 网页版 / Office.js 加载项清单（需 --url）。")] = False,
    url: Annotated[Optional[str], typer.Option("--url", help="台账服务地址（--officejs）或发布 WPS 离线包的地址（--wps）。")] = None,
    office_js: Annotated[Optional[str], typer.Option("--office-js", help="office.js 的地址（内网副本）；默认微软 CDN。")] = None,
) -> None:
    """生成 taizhang.xlam（功能区“台账”选项卡），任何操作系统均可；--wps / --officejs 生成另两种加载项。"""
    import shutil
    import tempfile

    if wps or officejs:
        _build_js_addin(out_dir, wps, officejs, url, office_js)
        return

    from taizhang.addin.xlam import build_xlam
    from taizhang.ledgerops.safe_write import write_atomic

    # -o names a folder (taizhang.xlam goes inside) or the .xlam file itself
    target = out_dir if out_dir.suffix.lower() == ".xlam" else out_dir / "taizhang.xlam"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            built = build_xlam(Path(tmp))
        except (OSError, RuntimeError, ValueError) as exc:
            fail(f"无法生成加载项：{exc}")
        with user_errors(Lang.zh):
            write_atomic(target, lambda t: shutil.copyfile(built, t))
    say(f"已生成 {target}\n在 Excel 中：文件 → 选项 → 加载项 → 管理“Excel 加载项” → 转到 → 浏览，选中该文件；"
         "或运行 taizhang addin install。\n")


def _build_js_addin(out_dir: Path, wps: bool, officejs: bool, url: Optional[str], office_js: Optional[str]) -> None:
    """The WPS offline package or the Office.js manifest (thin clients of `taizhang serve`)."""
    if wps and officejs:
        fail("--wps 与 --officejs 请分两次生成（输出不同的文件）。")
    try:
        if wps:
            from taizhang.addin.wps import build_wps

            built = build_wps(out_dir, url)
            say(f"已生成 {built.package}\n{built.jsplugins}\n{built.oem_ini}\n"
                 "把 taizhang.7z 与 jsplugins.xml 放到各电脑能访问的地址（或用 --url 指定的台账服务），"
                 "再把 oem.ini.txt 中的几行加入每台电脑 WPS 的 oem.ini，重启 WPS 后可见“台账”选项卡。\n")
        else:
            from taizhang.addin.officejs import OFFICE_JS, build_officejs

            if not url:
                fail("--officejs 需要 --url 台账服务地址，如 --url http://10.0.0.5:8765")
            manifest = build_officejs(out_dir, url, office_js or OFFICE_JS)
            say(f"已生成 {manifest}\n任务窗格的页面与脚本在 {out_dir / 'addin' / 'officejs'}，由台账服务在 /addin/officejs/ 提供；"
                 "在 Excel 中：插入 → 加载项 → 上传我的加载项，选中清单文件（或由 Microsoft 365 管理员集中部署）。\n")
    except (OSError, ValueError, ImportError) as exc:
        fail(f"无法生成加载项：{exc}")


@addin_app.command("install")
def addin_install(
    xlam: Annotated[Optional[Path], typer.Option("--xlam", help="要安装的 .xlam（默认现场生成）。The .xlam to install.")] = None,
    service: Annotated[Optional[str], typer.Option("--service", help="常驻服务地址，如 http://127.0.0.1:8765（空字符串 = 不用）。Warm service URL.")] = None,
) -> None:
    """为当前用户安装（无需管理员权限）：加载项放入 Excel 启动文件夹，写入 Excel 读取的配置。Install for this user."""
    import tempfile

    from taizhang.addin.deploy import install
    from taizhang.addin.xlam import build_xlam

    try:
        with tempfile.TemporaryDirectory() as tmp:
            done = install(xlam if xlam else build_xlam(Path(tmp)), service_url=service)
    except (OSError, RuntimeError, ValueError) as exc:
        fail(str(exc))
    say(f"已安装到 {done.xlam}\n配置：{done.config}（Python：{done.interpreter}）\n日志：{done.logs}\n"
         "重新启动 Excel 后可见“台账”选项卡。\n")


@addin_app.command("uninstall")
def addin_uninstall() -> None:
    """卸载：删除启动文件夹中的加载项和 taizhang 的配置项（日志保留）。Uninstall for this user."""
    from taizhang.addin.deploy import uninstall

    try:
        removed = uninstall()
    except (OSError, RuntimeError) as exc:
        fail(str(exc))
    say("".join(f"已删除 {p}\n" for p in removed) or "没有找到已安装的加载项。\n")


@addin_app.command("status")
def addin_status(
    json_out: Annotated[bool, typer.Option("--json", help="以 JSON 输出。JSON output.")] = False,
) -> None:
    """本机 Excel 会用到的 Python、版本、配置与加载项文件。What this PC's Excel would use."""
    import json

    from taizhang.addin.deploy import status

    info = status()
    if json_out:
        say(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
        return
    yes = lambda ok: "存在" if ok else "不存在"  # noqa: E731
    say(f"Python：{info['python']}（{info['python_version']}）\n"
         f"taizhang {info['taizhang']}，xlwings {info['xlwings']}\n"
         f"配置：{info['config']}（{yes(info['config_exists'])}，编码 {info['codepage']}）\n"
         f"Excel 使用的 Python：{info['interpreter'] or '未设置'}"
         + (f" → {info['interpreter_expanded']}（{yes(info['interpreter_exists'])}）" if info['interpreter'] else "") + "\n"
         f"常驻服务：{info['service_url'] or '未设置'}\n"
         f"加载项：{info['xlam'] or '-'}（{yes(info['xlam_exists'])}）"
         + (f"\nSHA-256：{info['xlam_sha256']}" if info['xlam_sha256'] else "") + "\n"
         f"日志：{info['logs']}\n")


@addin_app.command("bundle")
def addin_bundle(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹。Output folder.")],
    python: Annotated[Optional[list[str]], typer.Option("--python", help="目标 Python 版本，可重复；默认 3.11 3.12 3.13。")] = None,
    find_links: Annotated[Optional[Path], typer.Option("--find-links", help="本地 wheel 缓存。Local wheel folder.")] = None,
    no_index: Annotated[bool, typer.Option("--no-index", help="只用本地 wheel，不访问 PyPI。Offline.")] = False,
) -> None:
    """生成离线安装包：Windows wheel、taizhang.xlam、安装/卸载脚本。Offline bundle for IT."""
    from taizhang.addin.bundle import PYTHONS, build_bundle

    if out_dir.exists() and any(out_dir.iterdir()):
        fail(f"输出文件夹 {out_dir} 不是空的，请换一个文件夹。")
    try:
        b = build_bundle(out_dir, pythons=tuple(python or PYTHONS), find_links=find_links, no_index=no_index)
    except (OSError, RuntimeError) as exc:
        fail(str(exc))
    say(f"已生成 {out_dir}：{len(b.wheels)} 个 wheel，xlwings {b.xlwings}\n"
         f"taizhang.xlam SHA-256：{b.sha256}\n每台电脑运行 install.cmd 即可（无需管理员权限）。\n")
