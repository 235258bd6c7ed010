"""Click 校验 through xlwings' remote engine, as xlwings Server runs it, as one process.

    python bench/addin_remote.py PAYLOAD.json      # prints the action and alert counts, fill writes and cells

The payload is what Excel's client sends (made once from the .xlsx by bench/run.py with the test
suite's payload builder); the process builds the Book, runs `addin.validate` and serialises the
actions Excel would replay: the whole server-side cost of one click.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def make_payload(xlsx: Path, out: Path, client: str = "officejs") -> Path:
    """Write the payload `client` sends for `xlsx` to `out` (uses tests/xlwings_payload.py).

    "officejs" is xlwings Server's client (rectangles only: one fill write per area); "lite" is
    xlwings Lite, which runs setRangeColors, so fills go out as colour matrices.
    """
    from xlwings_payload import payload_from_xlsx

    out.write_text(json.dumps(payload_from_xlsx(xlsx, client=client), ensure_ascii=False), encoding="utf-8")
    return out


def main(payload_path: str) -> int:
    os.environ["XLWINGS_LICENSE_KEY"] = os.environ.get("XLWINGS_LICENSE_KEY") or "noncommercial"  # PolyForm NC, see README
    payload = json.loads(Path(payload_path).read_text(encoding="utf-8"))
    from xlwings_payload import import_xlwings_remote

    xw = import_xlwings_remote()
    from taizhang import addin

    book = xw.Book(json=payload)
    counts = addin.run("validate", book) or {}
    actions = book.json()["actions"]
    fills = [a for a in actions if a["func"] in ("setRangeColor", "setRangeColors")]
    print(json.dumps({"actions": len(actions), "alerts": sum(a["func"] == "alert" for a in actions),
                      "fill_writes": len(fills), **counts}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
