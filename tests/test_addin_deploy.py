"""Putting the add-in on office PCs: install, config Excel can read, uninstall, status, the built wheel.

Windows is played by a folder tree: USERPROFILE, LOCALAPPDATA and APPDATA point into a tmp
"C:\\Users\\张三" (Chinese user names are the norm on government PCs), and sys.platform says win32.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taizhang.addin import deploy

ROOT = Path(__file__).resolve().parents[1]


def _app():
    from taizhang.cli import app

    return app


@pytest.fixture
def windows(tmp_path, monkeypatch):
    """A Windows-like profile of user 张三; returns its folders."""
    home = tmp_path / "Users" / "张三"
    folders = {"USERPROFILE": home, "LOCALAPPDATA": home / "AppData" / "Local", "APPDATA": home / "AppData" / "Roaming"}
    for name, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TAIZHANG_CODEPAGE", "cp936")  # what locale.getencoding() answers on Chinese Windows
    CliRunner().invoke(_app(), ["addin", "status", "--json"])  # typer imports lazily: not under a fake win32
    monkeypatch.setattr(sys, "platform", "win32")
    return folders


@pytest.fixture(scope="module")
def xlam_file(tmp_path_factory) -> Path:
    from taizhang.addin.xlam import build_xlam

    return build_xlam(tmp_path_factory.mktemp("xlam"))


def vba_read_config(data: bytes, codepage: str, windows_env: dict[str, str]) -> dict[str, str]:
    """The config as xlwings' VBA gets it: bytes in the ANSI code page, `Input #` fields, then
    GetConfig's ExpandEnvironmentStrings (WScript.Shell, Unicode)."""
    out = {}
    for line in data.decode(codepage, errors="replace").splitlines():  # VBA shows ? for what it cannot map
        fields = re.findall(r'"([^"]*)"', line)
        if len(fields) == 2:
            value = fields[1]
            for name, folder in windows_env.items():
                value = value.replace(f"%{name}%", folder)
            out[fields[0]] = value
    return out


def test_config_reads_back_through_cp936_under_a_chinese_user_name(windows, xlam_file):
    python = windows["LOCALAPPDATA"] / "taizhang" / "venv" / "Scripts" / "python.exe"
    python.parent.mkdir(parents=True)
    python.write_bytes(b"")
    (python.parent / "pythonw.exe").write_bytes(b"")
    done = deploy.install(xlam_file, python=str(python), codepage="cp936")
    data = done.config.read_bytes()
    data.decode("ascii")  # under the user's folder the line is ASCII: no code page can garble it
    # on the PC the variables hold Windows paths with the user's Chinese name
    pc = {"LOCALAPPDATA": r"C:\Users\张三\AppData\Local", "USERPROFILE": r"C:\Users\张三"}
    assert vba_read_config(data, "cp936", pc)["INTERPRETER_WIN"] == \
        r"C:\Users\张三\AppData\Local\taizhang\venv\Scripts\pythonw.exe"
    assert done.xlam == windows["APPDATA"] / "Microsoft" / "Excel" / "XLSTART" / "taizhang.xlam"
    assert done.xlam.read_bytes() == xlam_file.read_bytes()


def test_a_chinese_path_outside_the_profile_is_written_in_the_ansi_code_page(windows, xlam_file):
    python = r"D:\软件\Python311\python.exe"
    done = deploy.install(xlam_file, python=python, codepage="cp936")
    data = done.config.read_bytes()
    assert vba_read_config(data, "cp936", {})["INTERPRETER_WIN"] == python
    # what earlier versions wrote (UTF-8) comes back garbled through cp936: the defect this pins
    utf8 = '"INTERPRETER_WIN","D:\\软件\\Python311\\python.exe"\r\n'.encode("utf-8")
    assert vba_read_config(utf8, "cp936", {})["INTERPRETER_WIN"] != python
    assert data != utf8


def test_install_keeps_other_settings_and_reads_an_old_utf8_config(windows, xlam_file):
    conf = windows["USERPROFILE"] / ".taizhang" / "taizhang.conf"
    conf.parent.mkdir()
    conf.write_text('"LICENSE_KEY","noncommercial"\n"INTERPRETER_WIN","C:\\旧\\python.exe"\n', encoding="utf-8")
    deploy.install(xlam_file, python=r"C:\Py311\python.exe", service_url="http://127.0.0.1:8765", codepage="cp936")
    assert conf.read_bytes().decode("cp936").splitlines() == [
        '"LICENSE_KEY","noncommercial"', '"INTERPRETER_WIN","C:\\Py311\\python.exe"',
        '"ADD_WORKBOOK_TO_PYTHONPATH","False"', '"SERVICE_URL","http://127.0.0.1:8765"']


def test_a_path_the_code_page_cannot_hold_is_refused_with_a_chinese_message(windows, xlam_file):
    with pytest.raises(RuntimeError, match="代码页 cp1252 无法表示"):
        deploy.install(xlam_file, python=r"D:\软件\python.exe", codepage="cp1252")


def test_uninstall_removes_the_addin_and_only_taizhangs_keys(windows, xlam_file):
    done = deploy.install(xlam_file, python=r"C:\Py311\python.exe", codepage="cp936")
    deploy.write_config(done.config, {"LICENSE_KEY": "noncommercial"}, "cp936")
    removed = deploy.uninstall(codepage="cp936")
    assert done.xlam in removed and not done.xlam.exists()
    assert done.config.read_bytes().decode("cp936").splitlines() == ['"LICENSE_KEY","noncommercial"']
    assert done.logs.is_dir()  # logs stay for IT to read


def test_cli_install_status_uninstall_in_a_windows_profile(windows, xlam_file):
    from taizhang.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["addin", "install", "--xlam", str(xlam_file)])
    assert result.exit_code == 0, result.output
    xlstart = windows["APPDATA"] / "Microsoft" / "Excel" / "XLSTART" / "taizhang.xlam"
    assert f"已安装到 {xlstart}" in result.output and "重新启动 Excel" in result.output
    result = runner.invoke(app, ["addin", "status"])
    assert result.exit_code == 0, result.output
    assert f"加载项：{xlstart}（存在）" in result.output
    assert f"SHA-256：{deploy.sha256(xlam_file)}" in result.output
    assert f"日志：{windows['LOCALAPPDATA'] / 'taizhang' / 'logs'}" in result.output
    assert "编码 cp936" in result.output
    result = runner.invoke(app, ["addin", "uninstall"])
    assert result.exit_code == 0 and f"已删除 {xlstart}" in result.output
    assert "加载项：" in runner.invoke(app, ["addin", "status"]).output and not xlstart.exists()


def test_install_on_linux_says_where_it_can_run(monkeypatch, tmp_path, xlam_file):
    monkeypatch.setattr(sys, "platform", "linux")
    with pytest.raises(RuntimeError, match="只能安装在 Windows 或 macOS 上"):
        deploy.install(xlam_file, env={"HOME": str(tmp_path)})


# --------------------------------------------------------------------------- the wheel


@pytest.fixture(scope="module")
def own_wheel(tmp_path_factory) -> Path:
    from taizhang.addin.bundle import build_own_wheel

    return build_own_wheel(tmp_path_factory.mktemp("wheel"), ROOT)


def test_built_wheel_installs_one_top_level_name(own_wheel):
    """xlwings puts the workbook's folder first on sys.path: generic names would be shadowed."""
    with zipfile.ZipFile(own_wheel) as z:
        names = z.namelist()
        top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
        dist_info = next(n for n in names if n.endswith(".dist-info/top_level.txt")) if any(
            n.endswith("top_level.txt") for n in names) else None
        tops = z.read(dist_info).decode().split() if dist_info else []
    assert top == {"taizhang"}
    for generic in ("addin", "validator", "templates", "ledgerops", "cli", "cli.py"):
        assert generic not in top
    assert tops in ([], ["taizhang"])
    assert "taizhang/addin/vba/Ribbon.bas" in names and "taizhang/cli.py" in names
