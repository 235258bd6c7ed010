"""`taizhang addin bundle -o DIR`: an offline folder an IT person copies to a share.

    DIR/taizhang.xlam        the add-in, built from the xlwings template installed here
    DIR/wheels/              taizhang and every dependency as wheels: win_amd64, CPython 3.11-3.13
    DIR/requirements.txt     what to install: taizhang[addin], xlwings pinned to the .xlam's version
    DIR/install.ps1 / .cmd   make %LOCALAPPDATA%\\taizhang\\venv, pip install --no-index from wheels/,
                             then `taizhang addin install` (all logic is in Python: addin/deploy.py)
    DIR/uninstall.ps1 / .cmd `taizhang addin uninstall`, then remove the venv
    DIR/SHA256SUMS.txt       hashes of every file, the .xlam's first (for antivirus allow-lists)

taizhang is not on PyPI and the name is free for anyone to take, so it never comes from an index:
its wheel is built here from the source and installs only with --no-index.

pip evaluates environment markers for the machine it runs on, not for --platform, so downloading
for Windows from Linux skips `pywin32; sys_platform == "win32"` (xlwings) and `colorama; platform_system
== "Windows"` (click). Those are named explicitly, and after each download every wheel's
Requires-Dist is scanned for Windows-only requirements until none is missing.
"""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .deploy import sha256
from .xlam import build_xlam

PYTHONS = ("3.11", "3.12", "3.13")
WINDOWS = "win_amd64"
NATIVE = "native"  # this machine's own platform and Python: the set a test installs offline here
EXPLICIT = ("pywin32", "colorama")  # Windows-only requirements pip skips when run elsewhere
_WINDOWS_MARKER = re.compile(r"""sys_platform\s*==\s*["']win32["']|platform_system\s*==\s*["']Windows["']|"""
                             r"""os_name\s*==\s*["']nt["']""")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class BundleError(RuntimeError):
    """pip could not gather the wheels; the message carries pip's last lines."""


@dataclass
class Bundle:
    folder: Path
    xlam: Path
    wheels: list[Path] = field(default_factory=list)
    xlwings: str = ""
    sha256: str = ""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def build_own_wheel(dest: Path, source: Path | None = None) -> Path:
    """taizhang's own wheel, built from `source` (this checkout) with `pip wheel --no-deps`."""
    source = source or Path(__file__).resolve().parent.parent
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.glob("taizhang-*.whl"))
    _pip(["wheel", "--no-deps", "-w", str(dest), str(source)])
    built = sorted(set(dest.glob("taizhang-*.whl")) - before) or sorted(dest.glob("taizhang-*.whl"))
    if not built:
        raise BundleError("pip wheel 没有生成 taizhang 的 wheel")
    return built[-1]


def xlwings_version() -> str:
    import importlib.metadata as md

    return md.version("xlwings")


def requirements(own_version: str, xlwings: str) -> str:
    return (f"taizhang[addin]=={own_version}\n"
            f"xlwings=={xlwings}\n"
            'pywin32; sys_platform == "win32"\n'
            'colorama; sys_platform == "win32"\n')


def download(wheels: Path, own_wheel: Path, xlwings: str, *, platform: str = WINDOWS,
             pythons: tuple[str, ...] = PYTHONS, find_links: Path | None = None, no_index: bool = False) -> None:
    """Every wheel taizhang[addin] needs on `platform` for each Python in `pythons`, into `wheels`."""
    explicit = list(EXPLICIT) if platform == WINDOWS else []
    for py in pythons if platform != NATIVE else ("",):
        wanted = [f"{own_wheel}[addin]", f"xlwings=={xlwings}", *explicit]
        for _ in range(5):  # Windows-only requirements of what came down, until nothing is missing
            args = ["download", "--only-binary=:all:", "-d", str(wheels), "--find-links", str(wheels)]
            if platform != NATIVE:
                args += ["--platform", platform, "--python-version", py, "--implementation", "cp"]
            if find_links:
                args += ["--find-links", str(find_links)]
            if no_index:
                args.append("--no-index")
            _pip(args + wanted)
            if platform != WINDOWS:
                break
            missing = windows_only_requirements(wheels) - have(wheels)
            if not missing:
                break
            wanted = sorted(missing)


def have(wheels: Path) -> set[str]:
    """Canonical project names of the wheels in a folder."""
    return {canonical(p.name.split("-")[0]) for p in wheels.glob("*.whl")}


def windows_only_requirements(wheels: Path) -> set[str]:
    """Names required under a Windows-only marker by any wheel in `wheels` (extras left aside)."""
    names: set[str] = set()
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as z:
            meta = next((n for n in z.namelist() if n.endswith(".dist-info/METADATA")), None)
            if meta is None:
                continue
            msg = email.parser.Parser().parsestr(z.read(meta).decode("utf-8", "replace"))
        for req in msg.get_all("Requires-Dist") or []:
            name, _, marker = req.partition(";")
            if "extra" in marker or not _WINDOWS_MARKER.search(marker):
                continue
            m = _NAME.match(name)
            if m:
                names.add(canonical(m.group(1)))
    return names


def build_bundle(out: Path, *, pythons: tuple[str, ...] = PYTHONS, platform: str = WINDOWS,
                 find_links: Path | None = None, no_index: bool = False, source: Path | None = None) -> Bundle:
    """Write the offline folder; `find_links`/`no_index` let CI build it from a local wheel cache."""
    out = Path(out)
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    xlam = build_xlam(out)
    own = build_own_wheel(wheels, source)
    own_version = own.name.split("-")[1]
    pinned = xlwings_version()
    download(wheels, own, pinned, platform=platform, pythons=pythons, find_links=find_links, no_index=no_index)
    (out / "requirements.txt").write_text(requirements(own_version, pinned), encoding="ascii", newline="\r\n")
    write_scripts(out)
    bundle = Bundle(out, xlam, sorted(wheels.glob("*.whl")), pinned, sha256(xlam))
    lines = [f"{sha256(p)}  {p.relative_to(out).as_posix()}" for p in [xlam, *bundle.wheels]]
    (out / "SHA256SUMS.txt").write_text("\n".join(lines) + "\n", encoding="ascii")
    return bundle


def _pip(args: list[str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        raise BundleError(f"pip {args[0]} 失败：\n{tail}")
    return proc.stdout


# --------------------------------------------------------------------------- scripts

# Each line that runs something starts with "& " (a test reads exactly those). The .ps1 files carry
# a UTF-8 BOM: Windows PowerShell 5.1 reads a .ps1 without one in the ANSI code page.
INSTALL_PS1 = r"""# 台账 taizhang: install for the current user, no administrator rights.
# Puts the wheels in place and hands over to `taizhang addin install`, which does the rest
# (copies taizhang.xlam into Excel's XLSTART folder, writes the config Excel reads, makes the log folder).
$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path
$Venv = Join-Path $env:LOCALAPPDATA "taizhang\venv"
$Py = $null
foreach ($v in @("3.13", "3.12", "3.11")) {
    & py "-$v" -c "import sys" 2>$null
    if ($LASTEXITCODE -eq 0) { $Py = "-$v"; break }
}
if (-not $Py) {
    Write-Host "未找到 Python 3.11-3.13。请先安装 Python（python.org，勾选 py launcher），再运行本脚本。"
    exit 1
}
& py $Py -m venv --clear $Venv
& "$Venv\Scripts\python.exe" -m pip install --no-index --find-links "$Here\wheels" -r "$Here\requirements.txt"
if ($LASTEXITCODE -ne 0) { Write-Host "安装 wheel 失败。"; exit 1 }
& "$Venv\Scripts\taizhang.exe" addin install --xlam "$Here\taizhang.xlam" @args
exit $LASTEXITCODE
"""

UNINSTALL_PS1 = r"""# 台账 taizhang: remove the add-in, its config and the environment of the current user.
$ErrorActionPreference = "Stop"
$Venv = Join-Path $env:LOCALAPPDATA "taizhang\venv"
if (Test-Path "$Venv\Scripts\taizhang.exe") {
    & "$Venv\Scripts\taizhang.exe" addin uninstall
}
& Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $Venv
exit 0
"""

CMD = '@echo off\r\npowershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0{name}.ps1" %*\r\n'


def write_scripts(out: Path) -> None:
    for name, text in (("install", INSTALL_PS1), ("uninstall", UNINSTALL_PS1)):
        (out / f"{name}.ps1").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
        (out / f"{name}.cmd").write_bytes(CMD.format(name=name).encode("ascii"))
