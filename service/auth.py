"""Who may do what: the office (one admin password), departments (a token each), everyone else.

- The office logs in with the admin password and gets a signed session cookie (Starlette's
  SessionMiddleware); scripts may send the password as HTTP Basic instead. Served on localhost
  without a password, the office pages are open (one person's own machine).
- Every state-changing request made with the cookie carries the session's CSRF token, in the
  form field `csrftoken` or the header `X-CSRF-Token`; Basic-auth scripts need none.
- Departments are known by the random token in their link; the rounds package decides whether
  a token is valid (revoked, other round), this module only asks it.
- Validating, splitting, merging and rolling up an uploaded file need no login: they store
  nothing, and the add-ins on department PCs call them.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets

from fastapi import HTTPException, Request

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_FIELD = "csrftoken"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """Raised by `require_office`; the app answers 401 JSON for the API, a redirect for pages."""


def _password(request: Request) -> str | None:
    return request.app.state.settings.admin_password


def _basic_ok(request: Request) -> bool:
    password = _password(request)
    header = request.headers.get("authorization", "")
    if not password or not header.lower().startswith("basic "):
        return False
    try:
        _, _, given = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode(), password.encode())


def is_office(request: Request) -> bool:
    if _password(request) is None:
        return True
    return bool(request.session.get("office")) or _basic_ok(request)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


async def check_csrf(request: Request) -> None:
    """Refuse a state change made with the session cookie but without the session's CSRF token."""
    if request.method in SAFE_METHODS or _basic_ok(request):
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("multipart/form-data", "application/x-www-form-urlencoded")):
        given = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise HTTPException(403, detail="表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。")


async def require_office(request: Request) -> None:
    """Dependency for every office route: logged in (or Basic auth), and CSRF-checked when changing state."""
    if not is_office(request):
        raise LoginRequired()
    await check_csrf(request)


async def login(request: Request, password: str) -> bool:
    """Check the password; on success the session becomes the office's, with a fresh CSRF token."""
    expected = _password(request)
    if expected is None:
        return True
    if not hmac.compare_digest(password.encode(), expected.encode()):
        await asyncio.sleep(1.0)  # slows guessing; one office, few logins
        return False
    request.session.clear()
    request.session["office"] = True
    request.session["csrf"] = secrets.token_urlsafe(24)
    return True


def logout(request: Request) -> None:
    request.session.clear()
