"""The one exception shape split, merge and the other ledger operations raise for usage problems."""

from __future__ import annotations


class LedgerOpError(ValueError):
    """A problem the user can fix (unknown column, wrong output type); messages in zh and en."""

    def __init__(self, zh: str, en: str):
        super().__init__(zh)
        self.zh, self.en = zh, en

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en
