"""The reform office's pages and their JSON twins: login, rounds, status, merge, downloads, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from .. import auth
from ..config import Settings
from ..rendering import page

router = APIRouter(tags=["改革办 office"])
Office = Depends(auth.require_office)


def open_rounds(settings: Settings) -> Any:
    return None


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
async def login(request: Request, password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    await auth.check_csrf(request)
    if await auth.login(request, password):
        return RedirectResponse(_safe_next(next), status_code=303)
    return page(request, "login.html", {"next": _safe_next(next), "error": "密码不正确。"}, 401)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    await auth.check_csrf(request)
    auth.logout(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/", include_in_schema=False, dependencies=[Office])
def index(request: Request) -> Response:
    return page(request, "index.html", {"rounds": []})
