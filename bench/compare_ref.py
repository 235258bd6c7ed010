"""Whole-process `taizhang validate` of this tree against another git ref, interleaved.

    python bench/compare_ref.py main                         # the 20,000-row bench ledger, 9 rounds
    python bench/compare_ref.py main --file F.xlsx --runs 15

A change that touches reading is judged by this ratio (issue 12: within 10%). Both trees run in
the same interpreter, round by round in alternating order, so a busy moment on a shared machine
hits both alike; wall time and CPU time (user + sys, from os.wait4) are reported as medians, and
the two JSON reports are compared so that a speed-up never hides a changed result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

CODE = "import sys; from taizhang.cli import main; sys.argv[0] = 'taizhang'; main()"


def _run(env: dict[str, str], ledger: Path, out: Path) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CODE, "validate", str(ledger), "--format", "json", "-o", str(out)],
                            env=env, cwd=tempfile.gettempdir())
    _, _, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ref", help="the git ref to compare against, e.g. main")
    ap.add_argument("--file", type=Path, help="ledger to validate (default: the bench's 20,000-row ledger)")
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args()
    ledger = args.file or generate.DEFAULT_OUT / "ledger_20000.xlsx"
    if not ledger.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--sizes", "20000", "--submissions", "0"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        (base / "taizhang").mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base / "taizhang")], input=archive, check=True)
        # this tree is the installed one (pip install -e .); the ref's copy goes first on the path
        envs = {args.ref: dict(os.environ, PYTHONPATH=str(base)), "this tree": dict(os.environ)}
        outs = {k: Path(tmp) / f"{i}.json" for i, k in enumerate(envs)}
        wall: dict[str, list[float]] = {k: [] for k in envs}
        cpu: dict[str, list[float]] = {k: [] for k in envs}
        for k in envs:  # warm the disk cache
            _run(envs[k], ledger, outs[k])
        for i in range(args.runs):
            for k in (list(envs) if i % 2 == 0 else list(envs)[::-1]):
                w, c = _run(envs[k], ledger, outs[k])
                wall[k].append(w)
                cpu[k].append(c)
        same = [json.loads(outs[k].read_text(encoding="utf-8"))["files"][0]["findings"] for k in envs]
    for k in envs:
        print(f"{k:>10}: wall median {statistics.median(wall[k]):.3f} s, CPU median {statistics.median(cpu[k]):.3f} s")
    ref, this = list(envs)
    print(f"this tree ÷ {ref}: wall {statistics.median(wall[this]) / statistics.median(wall[ref]):.3f}, "
          f"CPU {statistics.median(cpu[this]) / statistics.median(cpu[ref]):.3f}; "
          f"findings {'identical' if same[0] == same[1] else 'DIFFER'} ({len(same[1])})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
