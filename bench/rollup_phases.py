"""Where the time of `taizhang rollup FILE -o OUT.xlsx` goes, phase by phase.

    python bench/rollup_phases.py bench/out/data/ledger_20000.xlsx          # phase table
    python bench/rollup_phases.py FILE --profile 20                        # and cProfile's top 20

One process does what the rollup command does, in its order, timing each phase by wall clock,
this process's CPU and its children's CPU (the forked reader, ended after the read so that it
is counted there; the forked writers of the largest table bodies): the imports, reading the
ledger (read_ledger), the roll-up itself, writing the workbook, the text summary. `--profile` runs the write once more under cProfile (this process
only) and lists the functions with the most time of their own. Run it with PYTHONPATH pointing at
another checkout to get the same table for that code. On a shared machine read CPU and shares.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _clock() -> tuple[float, float, float]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), time.process_time(), children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger", type=Path)
    parser.add_argument("--as-of", default="2019-09-30")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile the write, top N")
    args = parser.parse_args()
    rows: list[tuple[str, tuple[float, float, float], tuple[float, float, float]]] = []
    start = last = _clock()

    def phase(name: str) -> None:
        nonlocal last
        now = _clock()
        rows.append((name, last, now))
        last = now

    import taizhang.cli  # noqa: F401  (what the command loads before it runs)
    from taizhang.ledgerops.rollup import parse_as_of, render_summary, rollup_ledger, StatusRules
    from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx
    from taizhang.ledgerops.safe_write import write_atomic
    from taizhang.validator.reader import read_ledger
    from taizhang.validator.validate import Options, resolve_type
    phase("imports (typer, cli, roll-up)")

    try:  # rollup() reads and computes with the collector paused (code before it did not)
        from taizhang.validator.gc_pause import collector_paused
    except ImportError:
        from contextlib import nullcontext as collector_paused
    pause = collector_paused()
    pause.__enter__()
    as_of = parse_as_of(args.as_of)
    rules = StatusRules.load()
    ledger = read_ledger(args.ledger, ledger_type=resolve_type(Options()))
    from taizhang.validator.isolate import reset

    reset()  # end the forked reader now, so that its CPU is counted here (as the children's)
    phase("read_ledger")
    result = rollup_ledger(ledger, as_of, rules=rules)
    pause.__exit__(None, None, None)
    phase("roll-up computation")
    out = Path(tempfile.mkdtemp()) / "rollup.xlsx"
    write_atomic(out, lambda tmp: write_rollup_xlsx(result, tmp))
    phase("write workbook")
    render_summary(result)
    phase("summary text")
    rows.append(("total (after interpreter start)", start, last))

    print(f"{'phase':34s} {'wall s':>7s} {'cpu s':>7s} {'children':>9s}")
    for name, (w0, c0, k0), (w1, c1, k1) in rows:
        print(f"{name:34s} {w1 - w0:7.3f} {c1 - c0:7.3f} {k1 - k0:9.3f}")
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        write_atomic(out, lambda tmp: write_rollup_xlsx(result, tmp))
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
