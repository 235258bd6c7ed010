"""The one exception shape split, merge and the other ledger operations raise for usage problems."""

from __future__ import annotations


class LedgerOpError(ValueError):
    """A problem the user can fix (unknown column, wrong output type); messages in zh and en."""

    def __init__(self, zh: str, en: str):
        super().__init__(zh)
        self.zh, self.en = zh, en

    def message(self, lang: str = "zh") -> str:
        return self.zh if lang == "zh" else self.en

    def __reduce__(self):
        # the default rebuilds from `args` (the Chinese text alone) and fails for every subclass:
        # an error raised in a worker process could not come back to the caller
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type, args: tuple, state: dict) -> LedgerOpError:
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc
