"""Every failure as one clear sentence: JSON `{"error": {"code", "message"}}` for the API, a
Chinese page for people; never a traceback."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from .auth import LoginRequired
from .rendering import error_json, page, wants_json

log = logging.getLogger("taizhang.service")

_STATUS_CODES = {400: "bad-request", 401: "login-required", 403: "forbidden", 404: "not-found",
                 405: "method-not-allowed", 409: "conflict", 413: "upload-too-large", 422: "invalid-request"}

# a rounds error's code -> HTTP status (the rest are 422: the request cannot be carried out as sent)
_ROUND_STATUS = {"not-found": 404, "token": 404, "closed": 409, "late": 409, "not-merged": 409,
                 "nothing-to-merge": 409, "db-unavailable": 503}


def round_status_code(code: str) -> int:
    return _ROUND_STATUS.get(code, 422)


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


def failure(request: Request, status: int, message: str, code: str | None = None) -> Response:
    code = code or _STATUS_CODES.get(status, "error")
    if wants_json(request):
        return error_json(code, message, status)
    return page(request, "error.html", {"error": {"code": code, "message": message}}, status)


def install(app: FastAPI) -> None:
    from taizhang.ledgerops.errors import LedgerOpError
    from taizhang.ledgerops.rollup import StatusRulesError
    from taizhang.rounds import RoundError
    from taizhang.validator.filecheck import ReadError

    from .uploads import UploadTooLarge, too_large_message

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if wants_json(request):
            return error_json("login-required", "需要改革办登录（管理员密码）。", 401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = "没有这个页面。"
        elif exc.status_code == 405 and message == "Method Not Allowed":
            message = "不支持此请求方法。"
        return failure(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query"))
            parts.append(f"{where}：{e.get('msg')}" if where else str(e.get("msg")))
        return failure(request, 422, "请求参数不正确：" + "；".join(parts))

    @app.exception_handler(ReadError)
    async def unreadable(request: Request, exc: ReadError) -> Response:
        return failure(request, 422, exc.message(_lang(request)), exc.code)

    @app.exception_handler(RoundError)
    async def round_error(request: Request, exc: RoundError) -> Response:
        return failure(request, round_status_code(exc.code), exc.message(_lang(request)), exc.code)

    @app.exception_handler(LedgerOpError)
    async def ledger_op(request: Request, exc: LedgerOpError) -> Response:
        return failure(request, 422, exc.message(_lang(request)), "invalid-request")

    @app.exception_handler(StatusRulesError)
    async def rules(request: Request, exc: StatusRulesError) -> Response:
        return failure(request, 422, str(exc), "invalid-request")

    @app.exception_handler(UploadTooLarge)
    async def too_large(request: Request, exc: UploadTooLarge) -> Response:
        return failure(request, 413, too_large_message(exc.limit, _lang(request)))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return failure(request, 500, f"taizhang 内部错误（{type(exc).__name__}），请报告此问题。", "internal-error")
