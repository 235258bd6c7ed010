"""taizhang serve: the HTTP front door (API, pages, collection rounds) over the same core as cli.py.

Like datasette: one application object (`app.create_app`), one module per kind of page in
`views/`, templates and static files served by the app itself (no CDN, intranets are offline),
every page with a JSON twin, auth in its own module, and an in-process test client. No ledger
rule lives here: routes call `taizhang.validator`, `taizhang.ledgerops` and `taizhang.rounds`.
"""

from __future__ import annotations

from .app import create_app
from .config import Settings

__all__ = ["create_app", "Settings"]
