"""What reading safely costs: the parse in a child process, and the extent scan of the sheet XML.

    python bench/isolation.py            # about 2 minutes on 2 cores; writes bench/ISOLATION.md

Whole processes, interleaved round by round (as bench/run.py does, with its launcher), medians:

- `taizhang validate` on a 20,000-row ledger and on a folder of 50 small ledgers (the 000 seed
  50 times), once as shipped (files parsed in a forked worker process, `validator/isolate.py`) and
  once with TAIZHANG_ISOLATION=0 (parsed in-process, as before);
- in one process, the extent guard (`validator/extent.py`, which scans the sheet XML before
  calamine allocates anything) against reading the same ledger, medians of 7.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import generate  # noqa: E402
from run import TAIZHANG, timed  # noqa: E402

SEED = ROOT / "examples" / "000_dalian_2019_reform_ledger.xlsx"


def _inputs(data: Path, rows: int) -> tuple[Path, Path]:
    data.mkdir(parents=True, exist_ok=True)
    big = data / f"ledger_{rows}.xlsx"
    if not big.exists():
        generate.generate_ledger(big, rows)
    folder = data / "fifty"
    if not folder.exists():
        folder.mkdir()
        for i in range(50):
            shutil.copy(SEED, folder / f"{i:02d}.xlsx")
    return big, folder


def _processes(cases: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, float]:
    walls: dict[str, list[float]] = {name: [] for name in cases}
    for round_ in range(runs + 1):  # round 0 warms the disk cache
        for name, argv in cases.items():
            env_off = name.endswith("in-process")
            if env_off:
                os.environ["TAIZHANG_ISOLATION"] = "0"
            try:
                code, wall, _, _, err = timed(TAIZHANG + argv, cwd=cwd, stdout=None)
            finally:
                os.environ.pop("TAIZHANG_ISOLATION", None)
            if code not in (0, 1):
                sys.exit(f"{name}: exit {code}: {err}")
            if round_:
                walls[name].append(wall)
    return {name: statistics.median(w) for name, w in walls.items()}


def _phase(big: Path, repeat: int = 7) -> tuple[float, float]:
    from taizhang.validator.extent import check_extent
    from taizhang.validator.filecheck import sniff
    from taizhang.validator.reader import read_ledger

    kind = sniff(big)
    sheet = next(iter(kind.sheets))
    scan, read = [], []
    os.environ["TAIZHANG_ISOLATION"] = "0"
    for _ in range(repeat):
        t = time.perf_counter()
        check_extent(big, kind, sheet)
        scan.append(time.perf_counter() - t)
        t = time.perf_counter()
        read_ledger(big)
        read.append(time.perf_counter() - t)
    os.environ.pop("TAIZHANG_ISOLATION", None)
    return statistics.median(scan), statistics.median(read)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data", type=Path, default=HERE / "out" / "isolation")
    ap.add_argument("--out", type=Path, default=HERE / "ISOLATION.md")
    args = ap.parse_args()
    big, folder = _inputs(args.data, args.rows)
    cases = {}
    for label, target in ((f"{args.rows:,} rows", big), ("50 small files", folder)):
        for mode in ("worker process", "in-process"):
            cases[f"{label}, {mode}"] = ["validate", str(target), "--format", "json"]
    walls = _processes(cases, args.runs, args.data)
    scan, read = _phase(big)
    lines = ["# Reading safely: what it costs", "",
             f"Machine: {os.cpu_count()} CPUs; {args.runs} interleaved runs, medians; "
             f"made by `python bench/isolation.py` on {time.strftime('%Y-%m-%d')}.", "",
             "| taizhang validate --format json | worker process (s) | in-process (s) | ratio |", "|---|---|---|---|"]
    for label in (f"{args.rows:,} rows", "50 small files"):
        child, inproc = walls[f"{label}, worker process"], walls[f"{label}, in-process"]
        lines.append(f"| {label} | {child:.3f} | {inproc:.3f} | {child / inproc:.2f} |")
    lines += ["", "| one process, medians of 7 | seconds |", "|---|---|",
              f"| extent scan of the {args.rows:,}-row sheet XML | {scan:.3f} |",
              f"| read_ledger of the same file (in-process) | {read:.3f} |",
              f"| scan ÷ read | {scan / read:.2f} |", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
