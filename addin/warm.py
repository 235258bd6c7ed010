"""The warm engine: ask a running `taizhang serve` to validate a grid instead of doing it here.

A click that starts Python spends most of its time importing pandas and pandera before it reads a
cell. When the service runs on the PC or the office server (`SERVICE_URL` in the add-in's config,
or the TAIZHANG_SERVICE environment variable), the add-in's Python only reads the sheet, posts the
grid request to `POST /api/v1/grid/validate` and paints the plan that comes back: no pandas in the
clicking process. Any failure (no service, timeout, an answer we do not understand) returns None and
the add-in validates locally, so the service is never required.

Only the standard library is used here: this runs in the short-lived process Excel starts.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import urllib.error
import urllib.request
from typing import Any

GRID_PATH = "/api/v1/grid/validate"
TIMEOUT = 3.0  # seconds to wait before validating locally instead
ENV_URL = "TAIZHANG_SERVICE"


def service_url(config: dict[str, str] | None = None) -> str:
    """The configured service base URL ("" when none): environment first, then the config file."""
    url = os.environ.get(ENV_URL) or (config or {}).get("SERVICE_URL", "")
    return url.strip().rstrip("/")


def _iso(value: Any) -> str:
    """Dates read through COM travel as ISO strings, which the grid contract reads back as dates."""
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def validate_remote(url: str, request: dict[str, Any], timeout: float = TIMEOUT) -> dict[str, Any] | None:
    """{"file": ..., "marks": ...} from the service at `url`, or None when it does not answer well."""
    if not url.startswith(("http://", "https://")):
        return None
    body = json.dumps(request, ensure_ascii=False, default=_iso).encode("utf-8")
    req = urllib.request.Request(url + GRID_PATH, data=body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - a configured local URL
            if resp.status != 200:
                return None
            answer = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("file"), dict):
        return None
    if answer.get("marks") is not None and not isinstance(answer["marks"], dict):
        return None
    return answer
