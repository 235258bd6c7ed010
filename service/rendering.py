"""One handler, two faces: every page renders HTML for people and JSON for programs.

A route builds a plain dict; `page()` turns it into the Jinja2 page, or into JSON when the URL
is under /api/ or asks for `?format=json` (the JSON twin datasette gives every page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.query_params.get("format") == "json"


def page(request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
    """The page `template` over `data`, or `data` itself as JSON."""
    if wants_json(request):
        return JSONResponse(data, status_code=status)
    from .auth import csrf_token, is_office

    context = dict(data, request=request, csrf=csrf_token(request), office=is_office(request))
    return templates.TemplateResponse(request, template, context, status_code=status)


def done(request: Request, url: str, data: dict[str, Any], status: int = 200) -> Response:
    """After a form's action: the JSON result, or a redirect a browser follows (303: GET the page)."""
    if wants_json(request):
        return JSONResponse(data, status_code=status)
    return RedirectResponse(url, status_code=303)


def error_json(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def download(content: bytes, filename: str, media_type: str) -> Response:
    """A file to save, its Chinese name kept (RFC 6266 filename*) with an ASCII fallback."""
    stem, dot, suffix = filename.rpartition(".")
    ascii_stem = "".join(c for c in stem if c.isascii() and (c.isalnum() or c in "-_"))
    fallback = f"{ascii_stem or 'taizhang'}{dot}{suffix}" if dot else "taizhang"
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _localtime(value: str | None) -> str:
    """An ISO time from the store (UTC) as the server's local time, to the minute."""
    import datetime as dt

    if not value:
        return ""
    return dt.datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")


def _chinese_date(value: str | None) -> str:
    import datetime as dt

    if not value:
        return ""
    day = dt.date.fromisoformat(value[:10])
    return f"{day.year}年{day.month}月{day.day}日"


templates.env.filters["localtime"] = _localtime
templates.env.filters["cndate"] = _chinese_date
