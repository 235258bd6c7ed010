"""The one application object: routing, configuration, middleware, static files.

`create_app(settings)` is what `taizhang serve` runs under uvicorn and what tests drive in
process (`fastapi.testclient.TestClient(create_app(...))`).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from .config import Settings
from .rendering import HERE

log = logging.getLogger("taizhang.service")
CORS_PREFIXES = ("/api/v1/grid/", "/api/v1/validate", "/api/v1/split", "/api/v1/merge", "/api/v1/rollup")
SESSION_HOURS = 12


def _warm() -> None:
    """Import the heavy core modules now, so the first request is as fast as the hundredth."""
    import taizhang.ledgerops.merge  # noqa: F401
    import taizhang.ledgerops.split  # noqa: F401
    import taizhang.validator.reader  # noqa: F401
    import taizhang.validator.schema  # noqa: F401  (pandera)
    from taizhang.validator.units import Registry

    Registry.builtin()


def create_app(settings: Settings) -> FastAPI:
    from importlib.metadata import version

    from . import errors
    from .middleware import BodyLimit, Headers, PathCORS
    from .views import check, department, docs, office, tools

    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _warm()
        log.info("taizhang service ready, data in %s", settings.data_dir)
        yield

    app = FastAPI(title="taizhang 台账服务", version=version("taizhang"), docs_url=None, redoc_url=None, lifespan=lifespan,
                  description="校验、分发、合并、汇总工作台账；报送轮次。Validate, split, merge and roll up work ledgers; "
                              "collection rounds.")
    app.state.settings = settings
    app.state.rounds = office.open_rounds(settings)
    app.mount("/static/swagger", StaticFiles(directory=docs.swagger_dir()), name="swagger")
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (tools, office, department, check, docs):
        app.include_router(module.router)
    errors.install(app)
    # the last added runs first: CORS answers preflights before anything else looks at them
    app.add_middleware(BodyLimit, limit=settings.max_upload)
    app.add_middleware(SessionMiddleware, secret_key=settings.session_secret(), session_cookie="taizhang_session",
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=settings.https)
    app.add_middleware(Headers)
    app.add_middleware(PathCORS, origins=settings.cors_origins, prefixes=CORS_PREFIXES)
    return app
