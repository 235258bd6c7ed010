"""`taizhang addin bundle`: the offline folder IT copies to a share, proven complete by pip itself.

The wheels come from a cache (TAIZHANG_WHEEL_CACHE, default ~/.cache/taizhang-test-wheels) that is
filled from PyPI once; every run after that builds the bundle with --no-index from the cache, so the
suite does not download the world each time. taizhang's own wheel is built from this checkout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taizhang.addin import bundle

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("TAIZHANG_WHEEL_CACHE") or Path.home() / ".cache" / "taizhang-test-wheels")


def _cache(kind: str, tmp: Path) -> Path:
    """The wheel cache for `kind` (win_amd64 or native), filled from PyPI if pip finds it incomplete."""
    folder = CACHE / kind
    folder.mkdir(parents=True, exist_ok=True)
    own = bundle.build_own_wheel(tmp / "own", ROOT)
    try:
        bundle.download(tmp / "probe", own, bundle.xlwings_version(), platform=kind, find_links=folder, no_index=True)
    except bundle.BundleError:  # first run, or a dependency moved: fetch what is missing once
        bundle.download(folder, own, bundle.xlwings_version(), platform=kind, find_links=folder)
        for stale in folder.glob("taizhang-*.whl"):
            stale.unlink()
    return folder


@pytest.fixture(scope="module")
def windows_bundle(tmp_path_factory) -> Path:
    from taizhang.cli import app

    tmp = tmp_path_factory.mktemp("bundle")
    cache = _cache(bundle.WINDOWS, tmp)
    out = tmp / "台账安装包"
    result = CliRunner().invoke(app, ["addin", "bundle", "-o", str(out), "--find-links", str(cache), "--no-index"])
    assert result.exit_code == 0, result.output
    assert "每台电脑运行 install.cmd 即可" in result.output
    return out


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True)


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_pip_resolves_everything_for_windows_from_the_wheelhouse_alone(windows_bundle, python, tmp_path):
    wheels = windows_bundle / "wheels"
    proc = _pip("download", "--no-index", "--find-links", str(wheels), "--only-binary=:all:", "--platform", "win_amd64",
                "--python-version", python, "--implementation", "cp", "-d", str(tmp_path / "d"),
                "-r", str(windows_bundle / "requirements.txt"), "pywin32", "colorama")
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = {p.name for p in (tmp_path / "d").iterdir()}
    tag = f"cp{python.replace('.', '')}"
    for name in ("taizhang-0.1.0-py3-none-any.whl", f"xlwings-{bundle.xlwings_version()}-{tag}-{tag}-win_amd64.whl",
                 "colorama-0.4.6-py2.py3-none-any.whl"):
        assert name in got
    assert any(n.startswith("pywin32-") and n.endswith(f"{tag}-win_amd64.whl") for n in got)
    assert any(n.startswith("pandas-") and n.endswith(f"{tag}-win_amd64.whl") for n in got)
    # pip skips Windows-only markers when it runs on Linux: every such requirement is in the folder too
    assert bundle.windows_only_requirements(wheels) <= bundle.have(wheels)
    assert {"pywin32", "colorama"} <= bundle.windows_only_requirements(wheels)


def test_bundle_pins_the_xlwings_the_xlam_was_built_with_and_lists_hashes(windows_bundle):
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(windows_bundle / "taizhang.xlam"))
    vba = "\n".join(code for _, _, _, code in parser.extract_macros())
    parser.close()
    built_with = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', vba).group(1)
    requirements = (windows_bundle / "requirements.txt").read_text(encoding="ascii").splitlines()
    assert requirements[:2] == ["taizhang[addin]==0.1.0", f"xlwings=={built_with}"]
    assert 'pywin32; sys_platform == "win32"' in requirements
    assert any(p.name == f"xlwings-{built_with}-cp312-cp312-win_amd64.whl" for p in (windows_bundle / "wheels").iterdir())
    sums = (windows_bundle / "SHA256SUMS.txt").read_text(encoding="ascii").splitlines()
    assert sums[0] == f"{bundle.sha256(windows_bundle / 'taizhang.xlam')}  taizhang.xlam"
    assert len(sums) == 1 + len(list((windows_bundle / "wheels").glob("*.whl")))


def test_install_scripts_only_place_wheels_and_call_taizhang(windows_bundle):
    """Every line the scripts run, read here: the logic is in `taizhang addin install`."""
    raw = (windows_bundle / "install.ps1").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Windows PowerShell 5.1 needs the BOM to read UTF-8
    runs = [line.strip() for line in raw.decode("utf-8-sig").splitlines() if line.strip().startswith("& ")]
    assert runs == [
        '& py "-$v" -c "import sys" 2>$null',
        "& py $Py -m venv --clear $Venv",
        '& "$Venv\\Scripts\\python.exe" -m pip install --no-index --find-links "$Here\\wheels" -r "$Here\\requirements.txt"',
        '& "$Venv\\Scripts\\taizhang.exe" addin install --xlam "$Here\\taizhang.xlam" @args',
    ]
    assert '$Venv = Join-Path $env:LOCALAPPDATA "taizhang\\venv"' in raw.decode("utf-8-sig")
    uninstall = (windows_bundle / "uninstall.ps1").read_bytes().decode("utf-8-sig")
    assert [line.strip() for line in uninstall.splitlines() if line.strip().startswith("& ")] == [
        '& "$Venv\\Scripts\\taizhang.exe" addin uninstall',
        "& Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $Venv"]
    for name in ("install", "uninstall"):
        cmd = (windows_bundle / f"{name}.cmd").read_bytes().decode("ascii")
        assert cmd == f'@echo off\r\npowershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0{name}.ps1" %*\r\n'


def test_bundle_refuses_a_folder_that_is_not_empty(tmp_path):
    from taizhang.cli import app

    (tmp_path / "old.txt").write_text("x")
    result = CliRunner().invoke(app, ["addin", "bundle", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "不是空的" in result.output


def test_the_same_set_for_this_platform_installs_offline_into_a_clean_venv(tmp_path):
    cache = _cache(bundle.NATIVE, tmp_path)
    out = bundle.build_bundle(tmp_path / "bundle", platform=bundle.NATIVE, find_links=cache, no_index=True).folder
    venv = tmp_path / "clean"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # the venv has no pip of its own: this pip installs into it, from the folder only
    proc = _pip("--python", str(python), "install", "--no-index", "--find-links", str(out / "wheels"),
                "-r", str(out / "requirements.txt"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    status = subprocess.run([str(venv / "bin" / "taizhang"), "addin", "status", "--json"], capture_output=True,
                            text=True, env={**os.environ, "HOME": str(tmp_path), "LOCALAPPDATA": str(tmp_path / "l")})
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["taizhang"] == "0.1.0" and info["xlwings"] == bundle.xlwings_version()
    assert Path(info["python"]).parent == venv / "bin"
    with zipfile.ZipFile(next((out / "wheels").glob("taizhang-*.whl"))) as z:
        assert "taizhang/addin/vba/Ribbon.bas" in z.namelist()
