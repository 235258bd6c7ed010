"""校验文件: validate one workbook in the browser, for PCs with neither Python nor the add-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from ..options import validate_options
from ..rendering import page
from .tools import validate_upload

router = APIRouter(include_in_schema=False)


@router.get("/check")
def check_form(request: Request) -> Response:
    return page(request, "check.html", {"file": None})


@router.post("/check")
def check(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    """The same result as POST /api/v1/validate (the page's JSON twin is that endpoint's `files[0]`)."""
    result = validate_upload(request, file, validate_options(None, None, None, None, None))
    return page(request, "check.html", {"file": result.to_dict("zh")})
