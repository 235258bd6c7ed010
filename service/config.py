"""Service settings: where data lives, who may log in, what is accepted from the network.

The admin password never appears on a command line (it would show in `ps`): it comes from
TAIZHANG_ADMIN_PASSWORD or a file. Listening beyond localhost without one is refused, because
ledgers hold names and phone numbers.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_MAX_UPLOAD = 50 * 1024 * 1024


class SettingsError(ValueError):
    """A setting that keeps the service from starting; the message is one Chinese line."""


@dataclass
class Settings:
    data_dir: Path
    db_url: str | None = None  # None: SQLite in data_dir
    admin_password: str | None = None  # None: only allowed on localhost, office pages open
    max_upload: int = DEFAULT_MAX_UPLOAD
    cors_origins: list[str] = field(default_factory=list)  # origins allowed on /api/v1/grid/* etc.
    secret_key: str | None = None  # signs session cookies; kept in data_dir when not given
    https: bool = False  # cookies marked Secure

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'taizhang.db'}"

    def session_secret(self) -> str:
        """The cookie-signing key: given, or made once and kept (mode 600) so restarts keep sessions."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()


def default_data_dir() -> Path:
    """The user's data directory (XDG on Linux, AppData on Windows), as platformdirs says."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("taizhang", appauthor=False))


def admin_password(password_file: Path | None) -> str | None:
    """The office password from --admin-password-file, else TAIZHANG_ADMIN_PASSWORD, else None."""
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"无法读取管理员密码文件 {password_file}（{exc.strerror}），服务未启动。") from None
        if not text:
            raise SettingsError(f"管理员密码文件 {password_file} 是空的，服务未启动。")
        return text
    return os.environ.get("TAIZHANG_ADMIN_PASSWORD") or None


def check_exposure(host: str, password: str | None) -> None:
    """Refuse to listen beyond localhost without an office password."""
    if host not in LOCAL_HOSTS and not password:
        raise SettingsError(f"监听 {host} 需要管理员密码：请设置环境变量 TAIZHANG_ADMIN_PASSWORD "
                            "或用 --admin-password-file 指定密码文件；服务未启动。")
