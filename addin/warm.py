"""The warm engine: ask a running `taizhang serve` to validate a grid instead of doing it here.

A click that starts Python spends most of its time importing pandas and pandera before it reads a
cell. When the service runs on the PC or the office server (`SERVICE_URL` in the add-in's config,
or the TAIZHANG_SERVICE environment variable), the add-in's Python only reads the sheet, posts the
grid request to `POST /api/v1/grid/validate` and paints the plan that comes back: no pandas in the
clicking process. Any failure (no service, timeout, an answer we do not understand) returns None and
the add-in validates locally, so the service is never required. xlwings itself still imports pandas
when it starts, so the saving is pandera, the validator and the validation's own time.

Only the standard library is used here: this runs in the short-lived process Excel starts.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import json
import os
import urllib.parse
from typing import Any

GRID_PATH = "/api/v1/grid/validate"
CONNECT_TIMEOUT = 1.0  # seconds: no service there, validate locally at once
READ_TIMEOUT = 60.0  # seconds a service that took the request has to answer
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


def validate_remote(url: str, request: dict[str, Any], connect_timeout: float = CONNECT_TIMEOUT,
                    read_timeout: float = READ_TIMEOUT) -> dict[str, Any] | None:
    """{"file": ..., "marks": ...} from the service at `url`, or None when it does not answer well.

    Two timeouts: a service that is not there fails within `connect_timeout`, so the click goes on
    locally at once; one that accepted the request gets `read_timeout` to validate a large sheet.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    body = json.dumps(request, ensure_ascii=False, default=_iso).encode("utf-8")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = kind(parts.hostname, parts.port, timeout=connect_timeout)
    try:
        conn.connect()
        conn.sock.settimeout(read_timeout)
        conn.request("POST", parts.path.rstrip("/") + GRID_PATH, body,
                     {"Content-Type": "application/json; charset=utf-8"})
        resp = conn.getresponse()
        if resp.status != 200:
            return None
        answer = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        conn.close()
    if not isinstance(answer, dict) or not isinstance(answer.get("file"), dict):
        return None
    if answer.get("marks") is not None and not isinstance(answer["marks"], dict):
        return None
    return answer
