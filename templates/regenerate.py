"""Regenerate the committed template (.xlsx) beside each built-in ledger type definition (.yaml).

Run after changing a definition, a unit registry or the template generator:

    python templates/regenerate.py            # write templates/<type>.xlsx
    python templates/regenerate.py --check    # exit 1 if a committed template is out of date

The files are deterministic, so git shows a change only when the content changed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from taizhang.ledgerops.template import builtin_template_path, regenerate, template_content
    from taizhang.validator.ledger_types import builtin_types

    parser = argparse.ArgumentParser(description="重新生成内置台账类型的模板。Regenerate built-in templates.")
    parser.add_argument("--check", action="store_true", help="只检查，不写入；过期时返回 1。")
    parser.add_argument("types", nargs="*", help="类型名称；默认全部。")
    args = parser.parse_args(argv)
    names = args.types or list(builtin_types())
    if not args.check:
        for path in regenerate(names):
            print(f"已生成 {path.relative_to(ROOT)}")
        return 0
    stale = []
    with tempfile.TemporaryDirectory() as tmp:
        for path, name in zip(regenerate(names, Path(tmp)), names):
            committed = builtin_template_path(name)
            if not committed.exists() or template_content(committed) != template_content(path):
                stale.append(committed.relative_to(ROOT))
    for p in stale:
        print(f"过期：{p}（运行 python templates/regenerate.py 重新生成）")
    if not stale:
        print(f"{len(names)} 个模板都是最新的。")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
