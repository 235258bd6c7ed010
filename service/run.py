"""Start the service under uvicorn (what `taizhang serve` does once its options are parsed)."""

from __future__ import annotations

import sys
from pathlib import Path

from .config import Settings


def base_url(host: str, port: int, https: bool) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"{'https' if https else 'http'}://{shown}:{port}"


def run(settings: Settings, host: str, port: int, *, demo: bool = False, ssl_certfile: Path | None = None,
        ssl_keyfile: Path | None = None) -> None:
    import uvicorn

    from .app import create_app

    app = create_app(settings)
    url = base_url(host, port, ssl_certfile is not None)
    if demo:
        from .demo import create_demo

        sys.stdout.write(create_demo(app.state.rounds, settings, url))
    sys.stdout.write(f"台账服务：{url}/  （API 文档 {url}/docs；数据在 {settings.data_dir}；按 Ctrl+C 停止）\n")
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True,
                ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
                ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None)
