"""Where the time of `taizhang validate FILE --format json` goes, phase by phase.

    python bench/phases.py bench/out/data/ledger_20000.xlsx            # table on the terminal
    python bench/phases.py FILE --markdown --top 15                    # the section RESULTS.md embeds

One process does what the validate command does, in its order, timing each phase: the imports
(typer and cli, typer's pydantic layer, validator), reading the ledger (in the isolation worker,
while this process imports pandas, pandera and phonenumbers and then scans the sheet's formulas;
the worker's CPU time is given apart), the field grammars (deadlines, units, contacts and phones: each wrapped to sum its own time and count
its calls), the rest of validation (pandera and the mapping of failures to cells), and rendering
JSON. Then cProfile runs read + validate + render once more, the read in-process, and lists the
functions with the most time of their own. Timings come from one run on a shared machine: read them as shares.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_mb() -> float:
    """This process's peak resident set so far (ru_maxrss is in kilobytes on Linux)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB -> MB


class Phases:
    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str, float | None]] = []

    @contextmanager
    def phase(self, name: str, note: str = ""):
        t0 = time.perf_counter()
        yield
        self.rows.append((name, time.perf_counter() - t0, note, peak_mb()))


class Meter:
    """Wraps a function to add up the time spent in it (calls nested in it included)."""

    def __init__(self, owner, attr: str, static: bool = False) -> None:
        self.owner, self.attr = owner, attr
        self.original = getattr(owner, attr)
        self.raw = owner.__dict__[attr] if static else self.original
        self.seconds = 0.0
        self.calls = 0
        original = self.original

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t0
                self.calls += 1

        # a classmethod is replaced by a staticmethod calling the bound original
        setattr(owner, attr, staticmethod(timed) if static else timed)

    def restore(self) -> None:
        setattr(self.owner, self.attr, self.raw)


def measure(path: Path) -> tuple[Phases, dict]:
    """Run the validate path on `path` once, phase by phase."""
    import resource

    p = Phases()
    with p.phase("import typer + cli", "the CLI front door"):
        from taizhang import cli  # noqa: F401
        import typer  # noqa: F401
    with p.phase("import typer._adapters", "typer loads it (and pydantic) to run any command"):
        try:
            import typer._adapters  # noqa: F401
        except ImportError:
            pass
    with p.phase("import validator", "what the command imports before it reads"):
        from taizhang.validator import isolate, reader
        from taizhang.validator.report import render
        from taizhang.validator.validate import FileResult, Options, load_engine, validate_ledger
    engine: dict[str, float] = {}

    def timed_engine() -> None:
        t0 = time.perf_counter()
        load_engine()
        engine.update(seconds=time.perf_counter() - t0, mb=peak_mb())

    isolate.reset()
    formulas = Meter(reader, "_scan_formulas")
    try:
        with p.phase("read_ledger", "the worker parses and builds; the caller meanwhile does the two rows below"):
            ledger = reader.read_ledger(path, meanwhile=timed_engine)
    finally:
        formulas.restore()
    read = p.rows[-1][1]
    isolate.reset()  # the worker ends and is reaped: its CPU time is now the children's
    worker_cpu = sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f) for f in ("ru_utime", "ru_stime"))
    p.rows.append(("  import pandas, pandera, phonenumbers, the grammars", engine.get("seconds", 0.0),
                   "in the caller while the worker reads (validate.load_engine)", engine.get("mb")))
    p.rows.append(("  formula scan of the sheet XML", formulas.seconds, "in the caller while the worker builds", None))
    p.rows.append(("  waiting for the worker, receiving the ledger", read - engine.get("seconds", 0.0) - formulas.seconds,
                   f"the worker's own CPU time: {worker_cpu:.3f} s (calamine, header, build, pickle)", None))
    from taizhang.validator import contacts, deadlines, units  # loaded by load_engine: costs nothing here

    meters = {
        "unit registries loaded (Registry.from_option)": Meter(units.Registry, "from_option", static=True),
        "deadlines (parse_deadline)": Meter(deadlines, "parse_deadline"),
        "units (Registry.check)": Meter(units.Registry, "check"),
        "contacts + phones (check_contact)": Meter(contacts, "check_contact"),
    }
    try:
        with p.phase("validate_ledger", "everything below"):
            findings, year = validate_ledger(ledger, Options())
    finally:
        for m in meters.values():
            m.restore()
    grammar = 0.0
    total_validate = p.rows[-1][1]
    for name, m in meters.items():
        note = "" if "registr" in name else f"{m.calls} calls (one per distinct value)"
        p.rows.append((f"  {name}", m.seconds, note, None))
        grammar += m.seconds
    p.rows.append(("  the rest: pandera, keys, mapping failures to cells", total_validate - grammar,
                   "includes pandera's first-use imports", None))
    result = FileResult(path=path, sheet=ledger.sheet, ledger_type=ledger.ledger_type.name, rows=len(ledger),
                        findings=findings, year=year)
    with p.phase("render json"):
        out = render([result], "json", "zh")
    info = {"rows": len(ledger), "findings": len(findings), "json_bytes": len(out.encode("utf-8"))}
    return p, info


def hot_functions(path: Path, top: int) -> list[tuple[str, int, float, float]]:
    """(function, calls, own seconds, cumulative seconds) of the `top` costliest by own time."""
    from taizhang.validator.reader import read_ledger
    from taizhang.validator.report import render
    from taizhang.validator.validate import FileResult, Options, validate_ledger

    import os

    prof = cProfile.Profile()
    os.environ["TAIZHANG_ISOLATION"] = "0"  # the worker's part in-process, where cProfile sees it
    try:
        prof.enable()
        ledger = read_ledger(path)
        findings, year = validate_ledger(ledger, Options())
        render([FileResult(path=path, findings=findings, rows=len(ledger))], "json", "zh")
        prof.disable()
    finally:
        del os.environ["TAIZHANG_ISOLATION"]
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((_where(file, line, func), nc, tt, ct))
    rows.sort(key=lambda r: -r[2])
    return rows[:top]


def merge_markdown(master: Path, submissions: Path, top: int) -> str:
    """cProfile's hottest functions of one in-process merge (output to a temporary folder)."""
    import tempfile

    from taizhang.ledgerops.merge import merge_ledgers

    with tempfile.TemporaryDirectory() as tmp:
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        merge_ledgers(master, [submissions], Path(tmp) / "merged.xlsx")
        prof.disable()
        total = time.perf_counter() - t0
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = sorted(((_where(f, line, fn), nc, tt, ct) for (f, line, fn), (cc, nc, tt, ct, _) in
                   stats.stats.items()), key=lambda r: -r[3])  # type: ignore[attr-defined]
    keep = [r for r in rows if "ledgerops/" in r[0] or "validator/" in r[0]][:top]
    lines = [f"One in-process merge of `{submissions.name}/` into `{master.name}` under cProfile: {total:.2f} s "
             f"(cProfile slows Python code down). taizhang's functions with the most cumulative time:", "",
             "| function | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
    lines += [f"| `{w}` | {n:,} | {o:.3f} | {c:.3f} |" for w, n, o, c in keep]
    own = sorted(rows, key=lambda r: -r[2])[:8]
    lines += ["", "Most time of their own, any module: " + "; ".join(f"`{w}` {o:.2f} s" for w, _, o, _ in own) + "."]
    return "\n".join(lines) + "\n"


def _where(file: str, line: int, func: str) -> str:
    f = Path(file)
    try:
        short = str(f.relative_to(ROOT))
    except ValueError:
        parts = f.parts
        short = "/".join(parts[parts.index("site-packages") + 1:]) if "site-packages" in parts else f.name
    return f"{short}:{line}({func})" if line else func


def markdown(path: Path, top: int) -> str:
    t0 = time.perf_counter()
    phases, info = measure(path)
    total = time.perf_counter() - t0
    lines = [f"Phases of one in-process run on `{path.name}` ({info['rows']:,} rows, {info['findings']:,} findings, "
             f"{info['json_bytes'] / 1e6:.1f} MB of JSON); total {total:.2f} s:", "",
             "| phase | seconds | share | peak memory so far, MB | note |", "|---|---:|---:|---:|---|"]
    for name, sec, note, mb in phases.rows:
        label = name.replace("  ", "&nbsp;&nbsp;· ", 1) if name.startswith("  ") else name
        lines.append(f"| {label} | {sec:.3f} | {sec / total:.0%} | {f'{mb:.0f}' if mb else ''} | {note} |")
    if top:
        lines += ["", f"Functions with the most time of their own (cProfile, read + validate + render, top {top}; "
                      "the read in-process (TAIZHANG_ISOLATION=0) so that the worker's part shows; "
                      "cProfile slows Python code down, so use these as proportions):", "",
                  "| function | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
        for where, calls, own, cum in hot_functions(path, top):
            lines.append(f"| `{where}` | {calls:,} | {own:.3f} | {cum:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path, help="a ledger; with --merge, the master")
    ap.add_argument("--merge", type=Path, metavar="SUBMISSIONS", help="profile merging this folder into FILE instead")
    ap.add_argument("--top", type=int, default=15, help="how many hot functions to list (0: none)")
    ap.add_argument("--markdown", action="store_true", help="print the Markdown section (default: same)")
    a = ap.parse_args(argv)
    if a.merge:
        sys.stdout.write(merge_markdown(a.file.resolve(), a.merge.resolve(), a.top))
    else:
        sys.stdout.write(markdown(a.file.resolve(), a.top))


if __name__ == "__main__":
    main()
