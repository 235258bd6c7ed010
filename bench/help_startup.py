"""Start-up of `taizhang --help` against `python -c "import typer"`, interleaved (issue 17).

    python bench/help_startup.py                 # 31 rounds: typer, --help, typer, --help, ...
    python bench/help_startup.py --runs 41 --full-build --also "validate --help" --also "round --help"

bench/run.py measures the same ratio among many other cases; this script measures only start-up,
so that a change to cli.py can be judged in a minute on a shared machine. Each round runs every
command once, in the same order, so a busy moment hits them alike; medians of wall time and of
CPU time (user + sys, from os.wait4, steadier when other processes share the cores) are printed
with their ratios to `import typer`. `taizhang` runs as its console script does, from this tree,
whose bytecode is written first as bench/run.py does (--no-compile: leave the tree as it is; with
PYTHONDONTWRITEBYTECODE set and no __pycache__ folders, taizhang then starts from source).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TAIZHANG = [sys.executable, "-c", "import sys; from taizhang.cli import main; sys.argv[0] = 'taizhang'; main()"]
# typer's own entry point: every command built before parsing (what main() did before cli_lazy.py)
TAIZHANG_FULL = [sys.executable, "-c", "import sys; from taizhang.cli import app; sys.argv[0] = 'taizhang'; app()"]


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process, stdout and stderr discarded."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 2):  # `taizhang round` without a subcommand prints help and exits 2
        sys.exit(f"{shlex.join(argv)} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=31, help="rounds (default 31)")
    ap.add_argument("--also", action="append", default=[], metavar="ARGS",
                    help='another taizhang command line to time, e.g. "validate --help" (repeatable)')
    ap.add_argument("--no-compile", action="store_true", help="do not write this tree's bytecode first")
    ap.add_argument("--full-build", action="store_true",
                    help="also time `taizhang --help` through `app()`, every command built (the old way)")
    args = ap.parse_args()
    cases = {"import typer": [sys.executable, "-c", "import typer"], "taizhang --help": TAIZHANG + ["--help"]}
    if args.full_build:
        cases["taizhang --help, all built"] = TAIZHANG_FULL + ["--help"]
    cases.update({f"taizhang {a}": TAIZHANG + shlex.split(a) for a in args.also})
    if not args.no_compile:
        sys.path.insert(0, str(HERE))
        from run import _compile_tree

        _compile_tree()
    for argv in cases.values():  # warm the disk cache and the .pyc files
        run_once(argv)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            times[name].append(run_once(argv))
    base_wall = statistics.median(w for w, _ in times["import typer"])
    base_cpu = statistics.median(c for _, c in times["import typer"])
    print(f"{args.runs} interleaved rounds, medians")
    print(f"{'command':<34} {'wall ms':>8} {'÷ typer':>8} {'cpu ms':>8} {'÷ typer':>8}")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:<34} {wall * 1000:8.1f} {wall / base_wall:8.2f} {cpu * 1000:8.1f} {cpu / base_cpu:8.2f}")


if __name__ == "__main__":
    main()
