"""A department's page behind its token link: download its own file, upload, see the findings.

The token in the path is the department's whole credential (no login, no CSRF token needed: a
forged request would have to know it). The rounds package decides whether it is valid and gives
back only this department, so nothing here can show another department's rows.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from ..errors import round_status_code
from ..rendering import XLSX, done, download, page, wants_json
from ..uploads import store as store_upload, workspace

router = APIRouter(tags=["处室 department"])


def _open(request: Request, token: str) -> tuple[Any, Any]:
    from taizhang.rounds import department_by_token

    return department_by_token(request.app.state.rounds, token)


def _view(request: Request, token: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
    import datetime as dt

    from taizhang.rounds import submissions

    rnd, dept = _open(request, token)
    subs = submissions(request.app.state.rounds, rnd.id, dept.id)
    latest = subs[-1].to_dict() if subs else None
    if latest is not None:
        latest.pop("file")  # the stored key is the server's business
    late_ok = rnd.allow_late or dt.date.today() <= rnd.due
    return {"round": {"name": rnd.name, "due": rnd.due.isoformat(), "state": rnd.state, "allow_late": rnd.allow_late},
            "department": {"name": dept.name, "rows": dept.rows, "file_name": dept.file_name},
            "open": rnd.state != "closed" and late_ok, "latest": latest,
            "uploads": [{"original_name": s.original_name, "submitted_at": s.submitted_at.isoformat(),
                         "errors": s.errors, "warnings": s.warnings} for s in subs],
            "error": error, "token": token}


@router.get("/d/{token}", include_in_schema=False)
@router.get("/api/v1/d/{token}", summary="处室：本处室的报送情况与最新一次上传的问题")
def department_page(request: Request, token: str) -> Response:
    return page(request, "department.html", _view(request, token))


@router.get("/d/{token}/file", include_in_schema=False)
@router.get("/api/v1/d/{token}/file", summary="处室：下载本处室的文件（只含本处室的行）")
def own_file(request: Request, token: str) -> Response:
    from taizhang.rounds import download_for_department

    rnd, dept = _open(request, token)
    path = download_for_department(request.app.state.rounds, rnd.id, dept.id)
    return download(path.read_bytes(), dept.file_name, XLSX)


@router.post("/d/{token}/upload", include_in_schema=False)
@router.post("/api/v1/d/{token}/upload", summary="处室：上传填好的文件，立即返回校验结果；截止前可重复上传")
def upload(request: Request, token: str, file: Annotated[UploadFile, File(description="填好的本处室文件")]) -> Response:
    from taizhang.rounds import SubmissionRejected, submit

    rnd, dept = _open(request, token)
    settings = request.app.state.settings
    try:
        with workspace(settings.data_dir) as folder:
            stored = store_upload(file.file, file.filename, folder, "upload", settings.max_upload)
            sub = submit(request.app.state.rounds, rnd.id, dept.id, stored.path, stored.name)
    except SubmissionRejected as exc:
        lang = "en" if request.query_params.get("lang") == "en" else "zh"
        error = {"code": exc.code, "message": exc.message(lang), "cells": exc.cells}
        status = round_status_code(exc.code)
        if wants_json(request):
            return JSONResponse({"error": error}, status_code=status)
        return page(request, "department.html", _view(request, token, error), status)
    data = sub.to_dict()
    data.pop("file")
    return done(request, f"/d/{token}", data)
