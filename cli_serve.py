"""taizhang serve：启动台账服务（网页与 HTTP API）。

Checks the options that decide who may reach the service (host, password, public URL), then
hands over to service/run.py. The service's dependencies are optional, so they are imported
only here, inside the command. cli.py registers it.
"""

from __future__ import annotations  # options are evaluated only for the command typer builds (cli_lazy.py)

from pathlib import Path
from typing import Annotated, Optional

import typer

from taizhang.cli_shared import fail


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址；本机以外需设管理员密码。Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口。Port.")] = 8765,
    data: Annotated[Optional[Path], typer.Option("--data", help="数据文件夹（数据库与上传文件）；默认用户数据目录。Data folder.")] = None,
    db: Annotated[Optional[str], typer.Option("--db", help="数据库 URL，如 postgresql://…；默认数据文件夹中的 SQLite。")] = None,
    admin_password_file: Annotated[Optional[Path], typer.Option("--admin-password-file", help="管理员密码文件；也可用环境变量 TAIZHANG_ADMIN_PASSWORD。")] = None,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", min=1, help="单次上传上限（MB）。Upload cap.")] = 50,
    cors_origin: Annotated[Optional[list[str]], typer.Option("--cors-origin", help="允许跨域调用 /api/v1 工具接口的来源（WPS / Office.js 加载项），可多次。")] = None,
    ssl_certfile: Annotated[Optional[Path], typer.Option("--ssl-certfile", help="HTTPS 证书（交给 uvicorn）。")] = None,
    ssl_keyfile: Annotated[Optional[Path], typer.Option("--ssl-keyfile", help="HTTPS 私钥（交给 uvicorn）。")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="创建示例报送轮次（examples/000）并打印改革办与各处室链接。")] = False,
    public_url: Annotated[Optional[str], typer.Option("--public-url", help="各电脑访问本服务的地址（WPS / Office.js 加载项清单中使用），如 https://taizhang.example.gov.cn；默认取请求的地址。")] = None,
) -> None:
    """启动台账服务：网页（报送轮次）与 HTTP API（/api/v1，文档在 /docs）。

    示例 / examples:

      taizhang serve --demo

      TAIZHANG_ADMIN_PASSWORD=… taizhang serve --host 0.0.0.0 --data /srv/taizhang
    """
    try:
        from taizhang.service.config import DEFAULT_MAX_UPLOAD, Settings, SettingsError, admin_password, check_exposure, check_public_url, default_data_dir
        from taizhang.service.run import run
    except ImportError as exc:
        fail(f"台账服务需要额外的依赖（缺少 {exc.name}）：pip install 'taizhang[serve]'")

    try:
        password = admin_password(admin_password_file)
        check_exposure(host, password)
        public_url = check_public_url(public_url)
    except SettingsError as exc:
        fail(str(exc))
    if data is None:  # the demo's round never lands among an office's real ones
        data = default_data_dir() / "demo" if demo else default_data_dir()
    settings = Settings(data_dir=data.expanduser(), db_url=db, admin_password=password,
                        max_upload=max_upload_mb * (DEFAULT_MAX_UPLOAD // 50), cors_origins=list(cors_origin or []),
                        https=ssl_certfile is not None, public_url=public_url)
    run(settings, host, port, demo=demo, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
