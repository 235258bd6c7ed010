"""An in-process client for the service (datasette's utils/testing.py): the real app, real files."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

warnings.filterwarnings("ignore", message=".*httpx2.*")  # starlette nudges towards httpx2; httpx works

PASSWORD = "改革办-2019-pass"


@contextmanager
def service_client(data_dir: Path, password: str | None = PASSWORD, **settings) -> Iterator["TestClient"]:
    from fastapi.testclient import TestClient

    from taizhang.service import Settings, create_app

    app = create_app(Settings(data_dir=data_dir, admin_password=password, **settings))
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        yield client


def csrf_of(client) -> str:
    """The session's CSRF token, as a page's forms carry it."""
    import re

    html = client.get("/login").text
    return re.search(r'name="csrftoken" value="([^"]+)"', html).group(1)


def log_in(client, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"password": password, "next": "/", "csrftoken": csrf_of(client)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
