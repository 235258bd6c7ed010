"""The errors a collection round raises: one sentence in Chinese and English, never a traceback.

They subclass LedgerOpError so every front door that already turns ledger-operation errors into
one line (cli.py's `_user_errors`, the service's error handler) handles these too. `code` is a
stable machine-readable reason the service maps to an HTTP status.
"""

from __future__ import annotations

from taizhang.ledgerops.errors import LedgerOpError


class RoundError(LedgerOpError):
    """A problem the user can act on. `code`: not-found, closed, late, rejected, token, not-merged, ..."""

    def __init__(self, code: str, zh: str, en: str):
        super().__init__(zh, en)
        self.code = code


class NotFound(RoundError):
    def __init__(self, zh: str, en: str):
        super().__init__("not-found", zh, en)


class TokenInvalid(RoundError):
    """The link's token is unknown, revoked, or its round is closed (the message does not say which)."""

    def __init__(self) -> None:
        super().__init__("token", "链接无效或已失效，请向牵头处室索取新的报送链接",
                         "this link is invalid or has been revoked; ask the office for a new one")


class SubmissionRejected(RoundError):
    """An upload refused as a whole: unreadable, not this ledger, late, or touching others' rows."""

    def __init__(self, code: str, zh: str, en: str, cells: list[str] | None = None):
        super().__init__(code, zh, en)
        self.cells = cells or []
