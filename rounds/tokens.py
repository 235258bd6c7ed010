"""Department tokens: random, shown once, stored only as a hash.

A token is the whole credential of a department's link, so it is long (256 bits) and the
database holds its SHA-256 only: a copy of the database opens no link. A plain hash (no salt,
no slow KDF) is enough for random secrets of this size, and lets a request find its department
with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
