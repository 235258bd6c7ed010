"""`taizhang split` on every core against the same split held to one core, interleaved (issue 18).

    python bench/split_cores.py                       # 5 rounds, the 20,000-row ledger by 责任单位
    python bench/split_cores.py --rows 2000 --by 联系人 --runs 7

Each round runs, in the same order: the bare read (pandas + calamine, the floor bench/run.py
divides by), the split as a user runs it (workers on every core), and the split pinned to one
core (sched_setaffinity before exec: what a one-core machine runs, the files written by the
process alone). Medians of wall time and of CPU time (user + sys of the whole process tree, from
os.wait4: steadier when others share the cores) are printed with their ratios to the read.
On a shared machine wall time says little; the CPU figures and the one-core run do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TAIZHANG = [sys.executable, "-c", "import sys; from taizhang.cli import main; sys.argv[0] = 'taizhang'; main()"]


def run_once(argv: list[str], *, one_core: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds of one process and everything it waited for."""
    def pin() -> None:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=pin if one_core else None)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[-6:])} failed: {proc.stderr.read().decode()[-500:]}")
    proc.stderr.close()
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--by", default="责任单位")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import generate

    data = HERE / "out" / "data" / f"ledger_{args.rows}.xlsx"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        generate.generate_ledger(data, args.rows)
    work = Path(tempfile.mkdtemp(prefix="split-cores-"))
    cases = {
        "read": ([sys.executable, "-c", f"import pandas; pandas.read_excel({str(data)!r}, engine='calamine')"], False),
        "split": ([*TAIZHANG, "split", str(data), "--by", args.by, "-o", str(work / "all")], False),
        "split, one core": ([*TAIZHANG, "split", str(data), "--by", args.by, "-o", str(work / "one")], True),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    try:
        for _ in range(args.runs):
            for name, (argv, one_core) in cases.items():
                shutil.rmtree(work / "all", ignore_errors=True)
                shutil.rmtree(work / "one", ignore_errors=True)
                times[name].append(run_once(argv, one_core=one_core))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = {k: statistics.median(t[i] for t in times["read"]) for i, k in enumerate(("wall", "cpu"))}
    print(f"{args.rows:,} rows by {args.by}, {args.runs} rounds, {len(os.sched_getaffinity(0))} cores, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'':18}{'wall s':>8}{'CPU s':>8}{'÷ read wall':>13}{'÷ read CPU':>12}")
    for name, t in times.items():
        wall, cpu = statistics.median(x for x, _ in t), statistics.median(y for _, y in t)
        print(f"{name:18}{wall:8.2f}{cpu:8.2f}{wall / floor['wall']:13.1f}{cpu / floor['cpu']:12.1f}")


if __name__ == "__main__":
    main()
