"""One log line per ribbon click, in %LOCALAPPDATA%\\taizhang\\logs\\addin.log (rotating).

What IT needs to answer "the button did nothing": when, which button, which engine, how long, how
many rows and findings, whether the warm service answered, and the error's type. Never a cell's
content, a file name or a message with data in it: ledgers hold names and phone numbers.
"""

from __future__ import annotations

import logging
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

MAX_BYTES = 1_000_000
BACKUPS = 3
_LOGGER = "taizhang.addin.clicks"


def _logger() -> logging.Logger | None:
    from .deploy import log_dir

    log = logging.getLogger(_LOGGER)
    if log.handlers:
        return log
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(Path(folder) / "addin.log", maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                      encoding="utf-8")
    except OSError:  # a read-only profile must not break the button
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


class Click:
    """`with Click("validate") as click: ...; click.facts.update(rows=..)` logs one line at the end."""

    SAFE = (int, float, bool)

    def __init__(self, action: str):
        self.action = action
        self.facts: dict[str, Any] = {}
        self.start = time.perf_counter()

    def __enter__(self) -> "Click":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        log = _logger()
        if log is None:
            return
        facts = {k: v for k, v in self.facts.items() if isinstance(v, self.SAFE) or k in ("engine", "via", "error")}
        outcome = "ok" if exc_type is None else f"error={exc_type.__name__}"
        parts = [f"action={self.action}", outcome, f"seconds={time.perf_counter() - self.start:.2f}"]
        parts += [f"{k}={v}" for k, v in sorted(facts.items())]
        log.info(" ".join(parts))
        for h in log.handlers:
            h.flush()
