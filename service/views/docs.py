"""OpenAPI docs at /docs with swagger-ui served by the app (FastAPI's self-hosted docs recipe).

FastAPI's default /docs loads swagger-ui from a CDN, which an office intranet cannot reach; the
files come from the fastapi-offline package instead (swagger-ui 5, which reads the OpenAPI 3.1
FastAPI writes; swagger-ui-bundle's 4.x shows nothing for it), mounted at /static/swagger.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
SWAGGER = "/static/swagger"


def swagger_dir() -> str:
    from pathlib import Path

    import fastapi_offline

    return str(Path(fastapi_offline.__file__).resolve().parent / "static")


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=request.app.openapi_url, title="taizhang API 文档",
                               oauth2_redirect_url="/docs/oauth2-redirect",
                               swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                               swagger_css_url=f"{SWAGGER}/swagger-ui.css",
                               swagger_favicon_url="/static/favicon.png")


@router.get("/docs/oauth2-redirect")
def oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
