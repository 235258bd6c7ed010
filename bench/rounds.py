"""Collection rounds under load: twenty departments submitting at the same moment, as whole processes.

    python bench/rounds.py                 # SQLite in a temp data folder; writes bench/RESULTS-rounds.md
    python bench/rounds.py --runs 5 --db postgresql://postgres@/taizhang?host=/tmp/pg

A clean 2,000-row ledger in the 000 seed's shape (bench/generate.py) whose tasks are shared out
among twenty liaisons is issued as a round split by 联系人: twenty files of about 100 rows. Each
department fills in 推进情况 of its rows. Timed, interleaved round by round, medians reported:

- `submit ×20`: twenty `taizhang round submit` processes started together (read, hostile-file
  checks, validation, row-ownership check, content-addressed store, one DB transaction each);
  after every run the database must hold exactly twenty more submissions (none lost);
- `validate ×20`, the peer: twenty `taizhang validate --format json` processes on the same files;
- one `round submit` and one `validate` alone, for the cost without contention.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

DEPARTMENTS = 20
ROWS = 2_000
CLI = [sys.executable, "-c", "from taizhang.cli import main; main()"]


def build_master(path: Path) -> list[str]:
    """A clean ledger whose task groups go round-robin to twenty liaisons; returns their names."""
    rng = random.Random(2019)
    built = generate.build_rows(ROWS, rng, 0.0, generate.Texts(*generate._sentences()))
    people = []
    while len(people) < DEPARTMENTS:
        name = generate._name(rng)
        if name not in people:
            people.append(name)
    for g, (first, last) in enumerate(built.groups):
        for r in range(first, last + 1):
            built.rows[r][generate.CONTACT] = people[g % DEPARTMENTS]
            built.rows[r][generate.PHONE] = f"390520{g % DEPARTMENTS:02d}"
    generate.write_ledger(path, built)
    return people


def prepare(work: Path, db: str | None) -> tuple[Path, int, list[tuple[str, Path]]]:
    """Create the round and each department's filled-in file."""
    import openpyxl

    from taizhang.rounds import Store, create_round, download_for_department

    master = work / "总台账.xlsx"
    build_master(master)
    data = work / "data"
    with Store.open(data, db) as store:
        rnd = create_round(store, master, "基准测试", date.today() + timedelta(days=30), "bench", split_by="联系人")
        files = []
        for d in rnd.departments:
            wb = openpyxl.load_workbook(download_for_department(store, rnd.id, d.id))
            ws = wb["工作台账"]
            for row in range(3, ws.max_row + 1):
                if ws.cell(row, 5).value:
                    ws.cell(row, 7).value = f"{d.name}：已完成第 {row} 行的工作。"
            path = work / f"{d.name}.xlsx"
            wb.save(path)
            files.append((d.name, path))
    if len(files) != DEPARTMENTS:
        raise SystemExit(f"expected {DEPARTMENTS} departments, the split made {len(files)}")
    return data, rnd.id, files


def together(commands: list[list[str]]) -> tuple[float, list[int]]:
    """Start every command at once; wall time until the last one exits, and their exit codes."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
    codes = []
    for p in procs:
        _, err = p.communicate()
        codes.append(p.returncode)
        if p.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(p.args[3:6])} failed ({p.returncode}): {err.decode('utf-8', 'replace')[-400:]}")
    return time.perf_counter() - t0, codes


def stored(data: Path, db: str | None, round_id: int) -> int:
    from taizhang.rounds import Store, submissions

    with Store.open(data, db) as store:
        return len(submissions(store, round_id))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--db", help="a postgresql:// URL; default SQLite in the data folder")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS-rounds.md")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tz-rounds-bench-") as tmp:
        work = Path(tmp)
        data, round_id, files = prepare(work, a.db)
        dbargs = ["--data", str(data)] + (["--db", a.db] if a.db else [])
        submit = [CLI + ["round", "submit", str(round_id), name, str(path), *dbargs] for name, path in files]
        validate = [CLI + ["validate", str(path), "--format", "json"] for _, path in files]
        times: dict[str, list[float]] = {"submit ×20": [], "validate ×20": [], "submit ×1": [], "validate ×1": []}
        together(submit[:1] + validate[:1])  # warm the disk cache and the bytecode
        expected = stored(data, a.db, round_id)
        for run in range(a.runs):
            wall, _ = together(submit)
            expected += DEPARTMENTS
            have = stored(data, a.db, round_id)
            if have != expected:
                raise SystemExit(f"run {run + 1}: {have} submissions stored, expected {expected}: some were lost")
            times["submit ×20"].append(wall)
            times["validate ×20"].append(together(validate)[0])
            times["submit ×1"].append(together(submit[:1])[0])
            expected += 1
            times["validate ×1"].append(together(validate[:1])[0])
            print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()), flush=True)
        rows = stored(data, a.db, round_id)
    med = {k: statistics.median(v) for k, v in times.items()}
    import sqlalchemy
    import sqlite3

    backend = "PostgreSQL" if a.db else f"SQLite {sqlite3.sqlite_version} (WAL)"
    lines = [
        "# Collection rounds: twenty departments at once", "",
        f"`python bench/rounds.py --runs {a.runs}`{' --db …' if a.db else ''} — {date.today().isoformat()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {backend}.",
        f"A {ROWS:,}-row ledger split by 联系人 into {DEPARTMENTS} files of about {ROWS // DEPARTMENTS} rows; every "
        f"process is a whole `taizhang` run; medians of {a.runs} interleaved runs.", "",
        "| what | median wall (s) | runs (s) |", "|---|---:|---|",
    ]
    for k, v in times.items():
        lines.append(f"| {k} | {med[k]:.2f} | {', '.join(f'{x:.2f}' for x in v)} |")
    lines += ["", "| ratio | value |", "|---|---:|",
              f"| submit ×20 ÷ validate ×20 (the cost of checking ownership, storing and recording, under contention) | "
              f"{med['submit ×20'] / med['validate ×20']:.2f} |",
              f"| submit ×1 ÷ validate ×1 | {med['submit ×1'] / med['validate ×1']:.2f} |", "",
              f"Submissions stored at the end: {rows} (= 1 warm-up + {a.runs} × ({DEPARTMENTS} + 1)): none lost.", ""]
    a.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
