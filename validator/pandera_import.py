"""Import pandera without hypothesis.

pandera imports hypothesis whenever it is installed, to offer data synthesis (`schema.example()`),
which taizhang never uses: 0.05-0.3 s on every validate on machines that have hypothesis (every
developer's and CI's, through the test extra). pandera itself handles hypothesis being absent
(`HAS_HYPOTHESIS = False`), so it is hidden while pandera and its strategies module load (the
backends import the latter at the first validate) and visible again afterwards.
"""

from __future__ import annotations

import sys
import threading
from types import ModuleType


def pandera_pandas() -> ModuleType:
    """`pandera.pandas`, loaded (the first time) with hypothesis out of sight."""
    loaded = sys.modules.get("pandera.pandas")
    if loaded is not None and not getattr(loaded.__spec__, "_initializing", False):
        return loaded
    with _lock:  # a thread that comes while another imports waits for the whole of it
        hide = "hypothesis" not in sys.modules  # already imported (a test run): nothing to save
        if hide:
            sys.modules["hypothesis"] = None  # type: ignore[assignment]  # `import hypothesis` raises ImportError
        try:
            import pandera.pandas
            import pandera.strategies.pandas_strategies  # noqa: F401  (loaded by the first validate otherwise)
        finally:
            if hide:
                del sys.modules["hypothesis"]
    return pandera.pandas


_lock = threading.Lock()
