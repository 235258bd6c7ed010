"""The service publishes its own add-ins: the WPS package and the Office.js task pane (/addin/…).

An IT person points each PC's oem.ini at <service>/addin/wps/jsplugins.xml and the Microsoft 365
admin centre at <service>/addin/officejs/manifest.xml; nothing is copied by hand and an upgrade
of the service upgrades the add-ins. The 7z and the pane's files do not depend on the address:
the 7z is built once per process into the data folder (on first request, by the same
`build_wps` as `taizhang addin build --wps`), the pane is kept in memory. jsplugins.xml,
oem.ini.txt and the manifest name the service's public URL (`--public-url`, else the address the
request came to) and are written per request, so a Host header never makes another build.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

router = APIRouter(prefix="/addin", include_in_schema=False)
_BUILD = threading.Lock()
XML = "application/xml; charset=utf-8"


def public_url(request: Request) -> str:
    """The address PCs reach the service at, without a trailing slash."""
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


def _wps_package(request: Request) -> Path:
    """taizhang.7z in the data folder, built on the first request of this process."""
    from taizhang.addin.wps import build_wps

    state = request.app.state
    with _BUILD:
        if getattr(state, "wps_package", None) is None:
            folder = state.settings.data_dir / "addin" / "wps"
            state.wps_package = build_wps(folder, f"{public_url(request)}/addin/wps").package
    return state.wps_package


@router.get("/wps/jsplugins.xml")
def wps_jsplugins(request: Request) -> Response:
    from taizhang.addin.wps import PACKAGE_NAME, jsplugins_xml

    _wps_package(request)  # the list never names a package that is not there
    return Response(jsplugins_xml(f"{public_url(request)}/addin/wps/{PACKAGE_NAME}", version("taizhang")), media_type=XML)


@router.get("/wps/taizhang.7z")
def wps_package(request: Request) -> FileResponse:
    return FileResponse(_wps_package(request), media_type="application/x-7z-compressed", filename="taizhang.7z")


@router.get("/wps/oem.ini.txt")
def wps_oem_ini(request: Request) -> Response:
    from taizhang.addin.wps import oem_ini_lines

    return Response(oem_ini_lines(f"{public_url(request)}/addin/wps/jsplugins.xml"), media_type="text/plain; charset=utf-8")


@router.get("/officejs/manifest.xml")
def officejs_manifest(request: Request) -> Response:
    from taizhang.addin.officejs import manifest_xml

    return Response(manifest_xml(public_url(request)), media_type=XML)


@lru_cache(maxsize=1)
def _pane_files() -> dict[str, bytes]:
    from taizhang.addin.officejs import pane_files

    return pane_files()


_PANE_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@router.get("/officejs/{name:path}")
def officejs_pane(name: str) -> Response:
    """taskpane.html and its script (the paths the manifest and the page name)."""
    data = _pane_files().get(name)
    if data is None:
        raise HTTPException(404, detail=f"没有这个文件：/addin/officejs/{name}")
    return Response(data, media_type=_PANE_TYPES[Path(name).suffix])
