"""Put the add-in on a PC for the current user, take it off, and say what a PC would use.

Everything the install scripts of `taizhang addin bundle` do beyond copying wheels happens here, in
Python, so it is tested: no admin rights, nothing outside the user's own folders.

- The add-in file goes to Excel's start-up folder, %APPDATA%\\Microsoft\\Excel\\XLSTART (Excel
  loads an .xlam found there at start-up, for this user only).
- The config xlwings' VBA reads, %USERPROFILE%\\.taizhang\\taizhang.conf, names the interpreter.
  VBA reads it with `Open ... For Input` / `Input #`, i.e. in the ANSI code page (cp936 on Chinese
  Windows), never UTF-8. So the file is written in that code page, and a path under the user's
  folders is written with %LOCALAPPDATA% / %USERPROFILE% in place of C:\\Users\\张三\\..., which
  xlwings expands through WScript.Shell in Unicode: the line itself stays ASCII and cannot be
  misread whatever the code page. ADD_WORKBOOK_TO_PYTHONPATH is False: taizhang lives in
  site-packages, and a ledger's folder put first on sys.path could only shadow it.
- Each click logs one line to %LOCALAPPDATA%\\taizhang\\logs\\addin.log (see addin/clicklog.py).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Mapping

from .xlam import PROJECT_NAME, XLAM_NAME

CONFIG_KEYS_OWNED = ("INTERPRETER_WIN", "INTERPRETER_MAC", "SERVICE_URL", "ADD_WORKBOOK_TO_PYTHONPATH")


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def is_windows(platform: str | None = None) -> bool:
    return (platform or sys.platform).startswith("win")


def user_profile(env: Mapping[str, str] | None = None) -> Path:
    """%USERPROFILE% (xlwings' VBA finds the config there), else the home folder."""
    e = _env(env)
    return Path(e.get("USERPROFILE") or e.get("HOME") or str(Path.home()))


def local_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """%LOCALAPPDATA%\\taizhang: logs, and the environment the install script makes."""
    e = _env(env)
    if e.get("LOCALAPPDATA"):
        return Path(e["LOCALAPPDATA"]) / "taizhang"
    if is_windows(platform):
        return user_profile(e) / "AppData" / "Local" / "taizhang"
    return user_profile(e) / ".local" / "state" / "taizhang"


def log_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    return local_dir(env, platform) / "logs"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    return user_profile(env) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf"


def startup_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Excel's per-user start-up folder (XLSTART on Windows, Startup.localized/Excel on a Mac)."""
    e = _env(env)
    platform = platform or sys.platform
    if is_windows(platform):
        appdata = e.get("APPDATA") or str(user_profile(e) / "AppData" / "Roaming")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
    if platform == "darwin":
        return (user_profile(e) / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content.localized"
                / "Startup.localized" / "Excel")
    raise RuntimeError("Excel 桌面版加载项只能安装在 Windows 或 macOS 上；"
                       f"当前系统是 {platform}。请在装有 Excel 的电脑上运行 taizhang addin install。")


def ansi_codepage(platform: str | None = None) -> str:
    """The code page VBA reads text files in: the system's ANSI code page on Windows (cp936 in China).

    TAIZHANG_CODEPAGE overrides it (a PC whose Excel runs under another locale than the system's).
    """
    if os.environ.get("TAIZHANG_CODEPAGE"):
        return os.environ["TAIZHANG_CODEPAGE"]
    if is_windows(platform) and sys.platform.startswith("win"):
        import locale

        return locale.getencoding()  # the ANSI code page, also under Python's UTF-8 mode
    return "cp936" if is_windows(platform) else "utf-8"


# --------------------------------------------------------------------------- config file

def read_config(path: Path, codepage: str) -> dict[str, str]:
    """Keys and values of an xlwings config file ("KEY","VALUE" lines), whichever way it was written."""
    if not path.is_file():
        return {}
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")  # earlier taizhang versions wrote UTF-8
    except UnicodeDecodeError:
        text = raw.decode(codepage, errors="replace")
    return dict(parse_config_line(line) for line in text.splitlines() if line.strip().startswith('"'))


def parse_config_line(line: str) -> tuple[str, str]:
    """One line as VBA's `Input #f, name, value` reads it: two quoted, comma-separated fields."""
    fields, current, quoted, i = [], "", False, 0
    while i < len(line):
        ch = line[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            fields.append(current)
            current = ""
        else:
            current += ch
        i += 1
    fields.append(current)
    return fields[0].strip(), (fields[1] if len(fields) > 1 else "").strip()


def portable_path(path: str, env: Mapping[str, str] | None = None) -> str:
    """`path` with %LOCALAPPDATA% or %USERPROFILE% in place of the user's folder, when under it."""
    e = _env(env)
    target = PureWindowsPath(path)
    for var in ("LOCALAPPDATA", "USERPROFILE"):
        base = e.get(var)
        if not base:
            continue
        try:
            rest = target.relative_to(PureWindowsPath(base))
        except ValueError:
            continue
        return f"%{var}%\\{rest}" if str(rest) != "." else f"%{var}%"
    return path


def write_config(path: Path, values: dict[str, str | None], codepage: str) -> Path:
    """Set (or, with None, remove) keys in the config, keeping the others; written in `codepage`."""
    current = read_config(path, codepage)
    for key, value in values.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    if not current:
        path.unlink(missing_ok=True)
        return path
    text = "".join(f'"{k}","{v}"\r\n' for k, v in current.items())
    try:
        data = text.encode(codepage)
    except UnicodeEncodeError:
        raise RuntimeError(f"配置中有代码页 {codepage} 无法表示的字符，Excel 读不出来：{text.strip()}。"
                           "请把 Python 安装到只含英文或本机语言字符的路径。") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def interpreter_for_excel(executable: str, platform: str | None = None) -> str:
    """pythonw.exe beside python.exe on Windows: no console window flashes on each click."""
    if is_windows(platform) and PureWindowsPath(executable).name.lower() == "python.exe":
        sibling = os.path.join(os.path.dirname(executable), "pythonw.exe")
        if os.path.exists(sibling):
            return sibling
    return executable


# --------------------------------------------------------------------------- install / uninstall / status

@dataclass
class Installed:
    xlam: Path
    config: Path
    interpreter: str
    logs: Path


def install(xlam: Path, *, python: str | None = None, service_url: str | None = None,
            env: Mapping[str, str] | None = None, platform: str | None = None,
            codepage: str | None = None) -> Installed:
    """Copy `xlam` into the start-up folder and point its config at `python` (this one by default)."""
    platform = platform or sys.platform
    codepage = codepage or ansi_codepage(platform)
    xlam = Path(xlam)
    if not xlam.is_file():
        raise RuntimeError(f"找不到加载项文件：{xlam}")
    target = startup_dir(env, platform) / XLAM_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(xlam.read_bytes())
    try:
        os.replace(tmp, target)
    except PermissionError:  # Excel holds an add-in it has loaded
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"Excel 正在使用 {target}，请先关闭所有 Excel 窗口再安装。") from None
    interpreter = portable_path(interpreter_for_excel(python or sys.executable, platform), env) \
        if is_windows(platform) else (python or sys.executable)
    key = "INTERPRETER_WIN" if is_windows(platform) else "INTERPRETER_MAC"
    # RunPython would put the ledger's folder first on sys.path: a stray .py there must not shadow anything
    values: dict[str, str | None] = {key: interpreter, "ADD_WORKBOOK_TO_PYTHONPATH": "False"}
    if service_url is not None:
        values["SERVICE_URL"] = service_url or None
    conf = write_config(config_path(env), values, codepage)
    logs = log_dir(env, platform)
    logs.mkdir(parents=True, exist_ok=True)
    return Installed(target, conf, interpreter, logs)


def uninstall(*, env: Mapping[str, str] | None = None, platform: str | None = None,
              codepage: str | None = None) -> list[Path]:
    """Remove the add-in file and taizhang's config keys; returns what was removed. Logs stay."""
    platform = platform or sys.platform
    removed = []
    target = startup_dir(env, platform) / XLAM_NAME
    if target.exists():
        target.unlink()
        removed.append(target)
    conf = config_path(env)
    if conf.exists():
        write_config(conf, {k: None for k in CONFIG_KEYS_OWNED}, codepage or ansi_codepage(platform))
        removed.append(conf)
    return removed


def expand_vars(value: str, env: Mapping[str, str] | None = None) -> str:
    """%VAR% expanded as WScript.Shell does (unknown variables are left as they are)."""
    e = _env(env)
    out, rest = "", value
    while "%" in rest:
        before, _, after = rest.partition("%")
        name, sep, tail = after.partition("%")
        if sep and name in e:
            out, rest = out + before + e[name], tail
        else:
            out, rest = out + before + "%", after
    return out + rest


def status(*, env: Mapping[str, str] | None = None, platform: str | None = None,
           codepage: str | None = None) -> dict[str, object]:
    """What Excel on this PC would use: Python, versions, config, add-in file, log folder."""
    import importlib.metadata as md

    platform = platform or sys.platform
    codepage = codepage or ansi_codepage(platform)
    conf = config_path(env)
    config = read_config(conf, codepage)
    key = "INTERPRETER_WIN" if is_windows(platform) else "INTERPRETER_MAC"
    interpreter = config.get(key, "")
    expanded = expand_vars(interpreter, env) if interpreter else ""

    def version(dist: str) -> str:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "未安装"

    try:
        xlam = startup_dir(env, platform) / XLAM_NAME
    except RuntimeError:
        xlam = None
    return {
        "python": sys.executable,
        "python_version": sys.version.split()[0],
        "taizhang": version("taizhang"),
        "xlwings": version("xlwings"),
        "config": str(conf),
        "config_exists": conf.is_file(),
        "codepage": codepage,
        "interpreter": interpreter,
        "interpreter_expanded": expanded,
        "interpreter_exists": bool(expanded) and Path(expanded.replace("\\", os.sep)).exists(),
        "service_url": config.get("SERVICE_URL", ""),
        "xlam": str(xlam) if xlam else "",
        "xlam_exists": bool(xlam and xlam.is_file()),
        "xlam_sha256": sha256(xlam) if xlam and xlam.is_file() else "",
        "logs": str(log_dir(env, platform)),
    }


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file (the .xlam's goes on antivirus allow-lists)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
