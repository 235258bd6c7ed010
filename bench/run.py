"""Benchmarks: time taizhang and its peers as whole processes, write bench/RESULTS.md.

    python bench/run.py                  # everything: about 6 minutes on 2 cores
    python bench/run.py --sizes 2000 --runs 1 --no-frictionless --no-merge --out /tmp/R.md   # a smoke run

What runs, in the same session and interleaved (round by round, so that a busy moment on a shared
machine hits every command alike and the ratios stay fair):

- `taizhang validate FILE --format json` on ledgers of 2,000 / 20,000 / 100,000 rows;
- `frictionless validate` of the same files with an equivalent Table Schema (required columns,
  phone and deadline patterns), from its own virtual environment bench/.venv-frictionless
  (created here when missing), in two configurations: as it reads by default, and with
  `fillMergedCells` (what our reader does with merged task groups, and what makes `required`
  on task-level columns meaningful);
- bare `pandas.read_excel(FILE, engine="calamine")`: the floor, the cost of reading the file;
- `taizhang merge MASTER SUBMISSIONS/ -o OUT` of 50 submissions of a 2,000-row ledger;
- `taizhang --help` against `python -c "import typer"`;
- the add-in's 校验 button through xlwings' remote engine on the 2,000-row ledger (bench/addin_remote.py:
  the payload Excel sends, the Book, addin.validate, the actions sent back) against the CLI on the same file;
- `taizhang serve` (bench/serve_bench.py): a warm validate request, the API against the CLI on the
  20,000-row ledger, 20 departments of a round uploading at once.

Every process is timed from spawn to exit (wall clock) and its CPU time and peak memory (maximum
resident set) are taken from os.wait4. Each command runs once to warm the disk cache (that run
also checks the output), then --runs times; medians are reported. Inputs come from
bench/generate.py (made when missing). `taizhang` is run as its console script does: `from taizhang.cli
import main; main()` with this checkout first on the path, so the numbers are those of this tree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import generate  # noqa: E402

VENV = HERE / ".venv-frictionless"
FRICTIONLESS_REQ = "frictionless[excel]>=5,<6"  # [excel] brings openpyxl, which it reads .xlsx with
SLOW = 15.0  # seconds: a command whose warm-up run takes longer runs at most 3 times
TAIZHANG = [sys.executable, "-c", "import sys; from taizhang.cli import main; sys.argv[0] = 'taizhang'; main()"]

TARGETS = {  # id: (description, limit, comparison)
    "vs_frictionless": ("validate 20,000 rows ÷ frictionless on the same file", 0.4, "<="),
    "vs_read": ("validate 20,000 rows ÷ bare pandas + calamine read", 2.0, "<="),
    "linear": ("validate 100,000 rows ÷ validate 20,000 rows", 5.5, "<="),
    "memory": ("validate 100,000 rows peak memory (MB)", 334.0, "<="),
    "merge": ("merge 50 × 2,000-row submissions (s)", 4.0, "<"),
    "rollup": ("roll-up 20,000 rows to .xlsx ÷ bare read", 5.0, "<="),
    "split": ("split 20,000 rows by 责任单位 ÷ bare read", 20.0, "<="),
    "merge_back": ("merge the 20,000-row split files back ÷ bare read", 12.0, "<="),
    "jobs": ("validate 40 × 2,000-row files with --jobs 2 ÷ serial", 0.6, "<="),
    "help": ("`taizhang --help` ÷ `python -c \"import typer\"`", 1.3, "<="),
    "addin": ("add-in 校验 via xlwings' remote engine ÷ CLI validate, 2,000 rows", 1.5, "<="),
    "addin_20k": ("add-in 校验 via xlwings' remote engine (Lite client) ÷ CLI validate, 20,000 rows", 1.2, "<="),
}


@dataclass
class Case:
    id: str
    label: str
    argv: list[str]
    group: str  # validate / frictionless / frictionless-merged / read / merge / help / typer
    size: int | None = None
    ok_codes: tuple[int, ...] = (0,)
    stdout: Path | None = None  # where stdout goes (checked after the warm-up run)
    before: object = None  # called before each run (e.g. remove the merge output)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)  # MB
    note: str = ""
    failed: str = ""
    slow: bool = False

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus else None

    @property
    def peak(self) -> float | None:
        return max(self.rss) if self.rss else None


# A small process forks and execs the command and reports its rusage: the kernel starts a child's
# peak-memory count from its parent's resident set, so spawning from run.py itself (which holds
# the inputs' manifest, maybe generated ledgers) would inflate every figure.
LAUNCHER = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(out, "w") as fh:
    json.dump([os.waitstatus_to_exitcode(status), wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss], fh)
"""


def timed(argv: list[str], *, cwd: Path, stdout: Path | None) -> tuple[int, float, float, float, str]:
    """Run one process: (exit code, wall s, user+sys CPU s, peak RSS MB, stderr tail)."""
    result = (stdout.parent if stdout else cwd) / ".timing.json"
    result.unlink(missing_ok=True)
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL
    try:
        proc = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(result)] + argv, cwd=cwd, stdout=out,
                              stderr=subprocess.PIPE, env=_env())
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    err = proc.stderr.decode("utf-8", "replace")[-400:]
    if not result.exists():
        return proc.returncode or 127, 0.0, 0.0, 0.0, err or "the launcher reported nothing"
    code, wall, cpu, maxrss = json.loads(result.read_text())
    result.unlink()
    return code, wall, cpu, maxrss * 1024 / 1e6, err  # ru_maxrss is in KiB on Linux; report MB (10^6 bytes)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def _check_installed_tree() -> None:
    """Installed, this tree is the package `taizhang` (pyproject maps it): the figures must be
    this checkout's, so it has to be the one installed (`pip install -e .`)."""
    found = subprocess.run([sys.executable, "-c", "import taizhang, os; print(os.path.dirname(taizhang.__file__))"],
                           capture_output=True, text=True, env=_env())
    if found.returncode or Path(found.stdout.strip()).resolve() != ROOT.resolve():
        sys.exit(f"bench: `taizhang` is not this checkout ({found.stdout.strip() or found.stderr.strip()}); "
                 f"run `pip install -e {ROOT}` first")


def _compile_tree() -> None:
    """Write this checkout's bytecode before timing anything, as installing taizhang does.

    pip compiles every module of an installed package; typer, pandas and frictionless load those
    .pyc files. An editable checkout run with PYTHONDONTWRITEBYTECODE set (as on the machines these
    figures come from) is instead compiled from source at every start: about 6 ms of `taizhang
    --help` and 70 ms of a 2,000-row validate that no installed copy pays. The files go to
    __pycache__ folders, which git ignores; Python reads them even when it may not write them.
    """
    import compileall
    import re

    skip = re.compile(r"[/\\](\.venv[^/\\]*|\.git|node_modules|tests|bench[/\\]out)([/\\]|$)")
    if not compileall.compile_dir(ROOT, quiet=1, rx=skip):
        sys.exit("bench: some of this checkout's modules do not compile")


# ------------------------------------------------------------------------------------ inputs


def ensure_data(data: Path, sizes: list[int], submissions: int, log) -> dict:
    """Generate the inputs that are missing (same seed: same files)."""
    manifest_path = data / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    if manifest.get("version") != generate.VERSION:
        manifest = {}  # made by another version of the generator: make everything again
    have = set(manifest.get("ledgers", {}))
    missing = [s for s in sizes if str(s) not in have or not (data / f"ledger_{s}.xlsx").exists()]
    need_merge = submissions and (not manifest.get("merge") or manifest["merge"].get("submissions") != submissions
                                  or not (data / "merge" / "master.xlsx").exists())
    if missing or need_merge:
        log(f"generating inputs in {data} ...")
        t0 = time.perf_counter()
        fresh = generate.generate_all(data, missing, submissions if need_merge else 0, verbose=False)
        manifest.setdefault("ledgers", {}).update(fresh["ledgers"])
        manifest.update({k: v for k, v in fresh.items() if k not in ("ledgers", "merge")})
        manifest.setdefault("merge", None)
        if need_merge:
            manifest["merge"] = fresh["merge"]
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        log(f"  done in {time.perf_counter() - t0:.1f} s")
    return manifest


def ensure_frictionless(log) -> tuple[Path | None, str]:
    """bench/.venv-frictionless/bin/frictionless, installed when missing; (None, reason) if it cannot be."""
    exe = VENV / "bin" / "frictionless"
    if not exe.exists():
        log(f"creating {VENV} and installing {FRICTIONLESS_REQ} ...")
        try:
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, capture_output=True)
            subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", FRICTIONLESS_REQ],
                           check=True, capture_output=True, timeout=900)
        except (subprocess.SubprocessError, OSError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            return None, f"could not install frictionless ({exc}; {detail.decode('utf-8', 'replace')[-200:]})"
    probe = subprocess.run([str(VENV / "bin" / "python"), "-c",
                            "import frictionless, openpyxl; print(frictionless.__version__, openpyxl.__version__)"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return None, f"frictionless cannot read .xlsx in {VENV}: {probe.stderr.strip()[-200:]}"
    fl, ox = probe.stdout.split()
    return exe, f"frictionless {fl} (openpyxl {ox})"


DIGIT = "[0-9０-９]"
DEADLINE_PATTERN = (f"[\\s\\S]*((?<!{DIGIT})(1[0-2]|１[０-２]|0?[1-9]|０?[１-９])\\s*月|年底|年末|年内|上半年|下半年"
                    "|[一二三四]季度|持续|长期|常态化|已完成)[\\s\\S]*")
PHONE_ONE = f"((0{DIGIT}{{2,3}}-?)?{DIGIT}{{7,8}}|1[3-9]{DIGIT}{{9}})"
PHONE_PATTERN = f"{PHONE_ONE}([\\s、,，;；/]+{PHONE_ONE})*"


def table_schema(fill_merged: bool) -> dict:
    """A Table Schema equivalent to reform-ledger: required columns, deadline and phone patterns.

    Without filled merged cells, a task's sub-item rows read the task-level cells as blank, so
    `required` can only be asked of the item-level columns; with them, of every required column.
    """
    from taizhang.validator.ledger_types import get_type

    ltype = get_type("reform-ledger")
    fields = []
    for col in ltype.columns:
        f: dict = {"name": col.name, "type": "integer" if col.role == "key" else "string"}
        c: dict = {}
        if (col.required and (fill_merged or col.level == "item")) or col.role in ("contact", "phone"):
            c["required"] = True
        if col.role == "deadline":
            c["pattern"] = DEADLINE_PATTERN
        if col.role == "phone":
            c["pattern"] = PHONE_PATTERN
        if c:
            f["constraints"] = c
        fields.append(f)
    return {"fields": fields}


def resource(data: Path, size: int, fill_merged: bool) -> Path:
    """Write the frictionless resource descriptor for one ledger; relative path, as it requires."""
    doc = {"name": f"ledger-{size}", "path": f"ledger_{size}.xlsx", "format": "xlsx",
           "dialect": {"headerRows": [2], "excel": {"sheet": "工作台账", "fillMergedCells": fill_merged}},
           "schema": table_schema(fill_merged)}
    path = data / f"frictionless_{size}{'_merged' if fill_merged else ''}.resource.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def merge_available() -> bool:
    proc = subprocess.run(TAIZHANG + ["merge", "--help"], cwd=ROOT, capture_output=True, env=_env())
    return proc.returncode == 0


def prepare_inputs(data: Path, work: Path, sizes: list[int], log, jobs: bool = True) -> None:
    """Inputs made from the generated ledgers: the 20,000-row ledger split by 责任单位 (merged back
    in its own case) and a folder of 40 copies of the 2,000-row ledger (validate --jobs)."""
    if 20000 in sizes:
        split_for_merge = work / "split_for_merge"
        shutil.rmtree(split_for_merge, ignore_errors=True)
        log("splitting the 20,000-row ledger once for the merge-back case ...")
        subprocess.run(TAIZHANG + ["split", str(data / "ledger_20000.xlsx"), "--by", "责任单位", "-o",
                                   str(split_for_merge)], check=True, capture_output=True, env=_env())
    if jobs and 2000 in sizes:
        folder = work / "jobs"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(40):
            target = folder / f"ledger_{i:02d}.xlsx"
            if not target.exists():
                shutil.copy(data / "ledger_2000.xlsx", target)


# ------------------------------------------------------------------------------------- cases


def build_cases(data: Path, work: Path, sizes: list[int], frictionless: Path | None, merged_sizes: list[int],
                merge: bool, jobs: bool = True) -> list[Case]:
    cases: list[Case] = []
    for s in sizes:
        f = data / f"ledger_{s}.xlsx"
        cases.append(Case(f"validate_{s}", f"taizhang validate --format json ({s:,} rows)",
                          TAIZHANG + ["validate", str(f), "--format", "json"], "validate", s, (0, 1),
                          stdout=work / f"validate_{s}.json"))
        cases.append(Case(f"read_{s}", f"pandas.read_excel(engine=\"calamine\") ({s:,} rows)",
                          [sys.executable, "-c", f"import pandas; pandas.read_excel({str(f)!r}, engine='calamine')"],
                          "read", s))
        if frictionless:
            cases.append(Case(f"frictionless_{s}", f"frictionless validate ({s:,} rows)",
                              [str(frictionless), "validate", resource(data, s, False).name, "--limit-errors",
                               "100000000", "--json"], "frictionless", s, (0, 1), stdout=work / f"frictionless_{s}.json"))
            if s in merged_sizes:
                cases.append(Case(f"frictionless_merged_{s}", f"frictionless validate, fillMergedCells ({s:,} rows)",
                                  [str(frictionless), "validate", resource(data, s, True).name, "--limit-errors",
                                   "100000000", "--json"], "frictionless-merged", s, (0, 1),
                                  stdout=work / f"frictionless_merged_{s}.json"))
    if merge:
        out = work / "merged.xlsx"

        def clean(out: Path = out) -> None:
            for p in (out, work / "merge_report.json"):
                p.unlink(missing_ok=True)

        cases.append(Case("merge", "taizhang merge, 50 × 2,000-row submissions",
                          TAIZHANG + ["merge", str(data / "merge" / "master.xlsx"), str(data / "merge" / "submissions"),
                                      "-o", str(out)], "merge", 2000, (0, 1), stdout=work / "merge.txt", before=clean))
    if 20000 in sizes:  # what people wait for besides validate: roll-up, split, merge back (issue 18)
        big = data / "ledger_20000.xlsx"
        cases.append(Case("rollup_20000", "taizhang rollup -o .xlsx (20,000 rows)",
                          TAIZHANG + ["rollup", str(big), "--as-of", "2019-09-30", "-o", str(work / "rollup.xlsx")],
                          "rollup", 20000, stdout=work / "rollup.txt"))
        split_dir = work / "split"

        def clear_split(folder: Path = split_dir) -> None:
            shutil.rmtree(folder, ignore_errors=True)

        cases.append(Case("split_20000", "taizhang split --by 责任单位 (20,000 rows)",
                          TAIZHANG + ["split", str(big), "--by", "责任单位", "-o", str(split_dir)], "split", 20000,
                          stdout=work / "split.txt", before=clear_split))
        back = work / "merged_back.xlsx"
        cases.append(Case("merge_back_20000", "taizhang merge of the split files back (20,000 rows)",
                          TAIZHANG + ["merge", str(big), str(work / "split_for_merge"), "-o", str(back)], "merge-back",
                          20000, (0, 1), stdout=work / "merge_back.txt", before=lambda: back.unlink(missing_ok=True)))
    if jobs and 2000 in sizes:  # 40 files of a folder, serial and with --jobs 2
        folder = work / "jobs"
        cases.append(Case("jobs_serial", "taizhang validate, 40 × 2,000-row files", TAIZHANG + [
            "validate", str(folder), "--format", "json"], "jobs", 2000, (0, 1), stdout=work / "jobs_serial.json"))
        cases.append(Case("jobs_2", "taizhang validate --jobs 2, 40 × 2,000-row files", TAIZHANG + [
            "validate", str(folder), "--format", "json", "--jobs", "2"], "jobs", 2000, (0, 1),
            stdout=work / "jobs_2.json"))
    if 2000 in sizes:  # the 校验 button through xlwings' remote engine (issue 7)
        import addin_remote

        payload = addin_remote.make_payload(data / "ledger_2000.xlsx", work / "payload_2000.json")
        cases.append(Case("addin_2000", "add-in 校验 via xlwings remote engine (2,000 rows)",
                          [sys.executable, str(HERE / "addin_remote.py"), str(payload)], "addin", 2000,
                          stdout=work / "addin_2000.json"))
    if 20000 in sizes:  # issue 16: 20k rows, fills as colour matrices (the Lite client runs setRangeColors)
        import addin_remote

        payload = addin_remote.make_payload(data / "ledger_20000.xlsx", work / "payload_20000.json", client="lite")
        cases.append(Case("addin_20000", "add-in 校验 via xlwings remote engine, Lite client (20,000 rows)",
                          [sys.executable, str(HERE / "addin_remote.py"), str(payload)], "addin", 20000,
                          stdout=work / "addin_20000.json"))
    cases.append(Case("help", "taizhang --help", TAIZHANG + ["--help"], "help"))
    cases.append(Case("typer", "python -c \"import typer\"", [sys.executable, "-c", "import typer"], "typer"))
    return cases


def check_output(case: Case, data: Path, manifest: dict) -> str:
    """After the warm-up run: does the output say the command did its work? Returns a note."""
    if case.group == "validate" and case.stdout:
        doc = json.loads(case.stdout.read_text(encoding="utf-8"))
        f = doc["files"][0]
        if f.get("error"):
            raise RuntimeError(f"validate could not read the file: {f['error']}")
        found = {x["code"] for x in f["findings"]}
        expected = set(manifest["ledgers"][str(case.size)]["faults_by_code"])
        missing = sorted(expected - found)
        note = f"{f['rows']:,} rows, {len(f['findings']):,} findings"
        return note + (f"; injected faults NOT reported: {', '.join(missing)}" if missing else
                       f"; all {len(expected)} injected fault kinds reported")
    if case.group.startswith("frictionless") and case.stdout:
        doc = json.loads(case.stdout.read_text(encoding="utf-8"))
        task = doc["tasks"][0]
        if task["errors"] and task["errors"][0]["type"] in ("scheme-error", "format-error", "source-error"):
            raise RuntimeError(task["errors"][0]["message"])
        return f"{task['stats']['rows']:,} rows, {task['stats']['errors']:,} errors"
    if case.group == "addin" and case.stdout:
        doc = json.loads(case.stdout.read_text(encoding="utf-8"))
        if "errors" not in doc:
            raise RuntimeError(f"the add-in did not validate: {doc}")
        per_write = doc.get("cells", 0) / max(doc.get("writes", 0), 1)
        return (f"{doc['errors']:,} errors, {doc['warnings']:,} warnings marked; {doc['actions']:,} actions for Excel; "
                f"{doc.get('cells', 0):,} cells painted in {doc.get('writes', 0):,} fill writes ({per_write:.0f} a write)")
    if case.group == "rollup":
        if not (case.stdout.parent / "rollup.xlsx").exists():
            raise RuntimeError("rollup wrote no workbook")
        return "roll-up workbook written"
    if case.group == "split":
        files = list((case.stdout.parent / "split").glob("*.xlsx"))
        if not files:
            raise RuntimeError("split wrote no files")
        return f"{len(files)} files"
    if case.group == "merge-back":
        if not (case.stdout.parent / "merged_back.xlsx").exists():
            raise RuntimeError("merge wrote no output file")
        return case.stdout.read_text(encoding="utf-8", errors="replace").splitlines()[0][:160]
    if case.group == "jobs" and case.stdout:
        doc = json.loads(case.stdout.read_text(encoding="utf-8"))
        if len(doc["files"]) != 40 or any(f.get("error") for f in doc["files"]):
            raise RuntimeError("validate did not read all 40 files")
        return f"40 files, {sum(len(f['findings']) for f in doc['files']):,} findings"
    if case.group == "merge" and case.stdout:
        if not (case.stdout.parent / "merged.xlsx").exists():
            raise RuntimeError("merge wrote no output file")
        lines = [l.strip() for l in case.stdout.read_text(encoding="utf-8", errors="replace").splitlines()]
        summary = [l for l in lines if "已应用" in l or "applied" in l.lower()]
        return (summary or lines or [""])[0][:160]
    return ""


def run_cases(cases: list[Case], runs: int, data: Path, manifest: dict, log) -> None:
    log("warm-up run of each command (checks its output) ...")
    for c in cases:
        if c.before:
            c.before()
        code, wall, cpu, rss, err = timed(c.argv, cwd=data, stdout=c.stdout)
        if code not in c.ok_codes:
            c.failed = f"exit {code}: {err.strip().splitlines()[-1] if err.strip() else ''}"
            log(f"  {c.id}: FAILED ({c.failed})")
            continue
        try:
            c.note = check_output(c, data, manifest)
        except Exception as exc:  # a broken peer must not stop the bench
            c.failed = f"output check failed: {exc}"
            log(f"  {c.id}: FAILED ({c.failed})")
            continue
        c.slow = wall > SLOW
        log(f"  {c.id}: {wall:.2f} s  {c.note}")
    for r in range(runs):
        log(f"round {r + 1}/{runs} ...")
        for c in cases:
            if c.failed or (c.slow and r >= 3):
                continue
            if c.before:
                c.before()
            code, wall, cpu, rss, err = timed(c.argv, cwd=data, stdout=c.stdout)
            if code not in c.ok_codes:
                c.failed = f"exit {code} in round {r + 1}: {err.strip()[-200:]}"
                continue
            c.walls.append(wall)
            c.cpus.append(cpu)
            c.rss.append(rss)


# ------------------------------------------------------------------------------------ report


def versions(frictionless_note: str) -> list[tuple[str, str]]:
    from importlib import metadata

    out = [("Python", platform.python_version()), ("OS", platform.platform())]
    for dist in ("pandas", "pandera", "numpy", "python-calamine", "openpyxl", "typer", "phonenumberslite", "pyyaml"):
        try:
            out.append((dist, metadata.version(dist)))
        except metadata.PackageNotFoundError:
            out.append((dist, "not installed"))
    out.append(("frictionless", frictionless_note))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True)
    except OSError:  # no git: a copy of the tree
        return out
    if commit.returncode == 0:
        out.append(("taizhang", commit.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")))
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ratio(a: Case | None, b: Case | None, attr: str = "wall") -> float | None:
    if not a or not b:
        return None
    x, y = getattr(a, attr), getattr(b, attr)
    return x / y if x is not None and y else None


def targets(by: dict[str, Case], merge_note: str) -> list[tuple[str, str, str, str, str]]:
    """(target, limit, measured by wall, measured by CPU, verdict) rows."""
    rows = []

    def add(key: str, wall: float | None, cpu: float | None, fmt: str = "{:.2f}") -> None:
        desc, limit, cmp = TARGETS[key]
        if wall is None:
            rows.append((desc, f"{cmp} {limit:g}", "not measured", "", merge_note if key == "merge" else "not measured"))
            return
        ok = wall <= limit if cmp == "<=" else wall < limit
        rows.append((desc, f"{cmp} {limit:g}", fmt.format(wall), fmt.format(cpu) if cpu is not None else "",
                     "met" if ok else "**missed**"))

    add("vs_frictionless", ratio(by.get("validate_20000"), by.get("frictionless_20000")),
        ratio(by.get("validate_20000"), by.get("frictionless_20000"), "cpu"))
    add("vs_read", ratio(by.get("validate_20000"), by.get("read_20000")),
        ratio(by.get("validate_20000"), by.get("read_20000"), "cpu"))
    add("linear", ratio(by.get("validate_100000"), by.get("validate_20000")),
        ratio(by.get("validate_100000"), by.get("validate_20000"), "cpu"))
    v100 = by.get("validate_100000")
    add("memory", v100.peak if v100 else None, None, "{:.0f}")
    m = by.get("merge")
    add("merge", m.wall if m else None, m.cpu if m else None)
    add("help", ratio(by.get("help"), by.get("typer")), ratio(by.get("help"), by.get("typer"), "cpu"))
    for key, case in (("rollup", "rollup_20000"), ("split", "split_20000"), ("merge_back", "merge_back_20000")):
        add(key, ratio(by.get(case), by.get("read_20000")), ratio(by.get(case), by.get("read_20000"), "cpu"))
    add("jobs", ratio(by.get("jobs_2"), by.get("jobs_serial")), ratio(by.get("jobs_2"), by.get("jobs_serial"), "cpu"))
    add("addin", ratio(by.get("addin_2000"), by.get("validate_2000")),
        ratio(by.get("addin_2000"), by.get("validate_2000"), "cpu"))
    add("addin_20k", ratio(by.get("addin_20000"), by.get("validate_20000")),
        ratio(by.get("addin_20000"), by.get("validate_20000"), "cpu"))
    return rows


def write_results(path: Path, cases: list[Case], manifest: dict, *, runs: int, frictionless_note: str,
                  merge_note: str, started: str, load: tuple[tuple, tuple], profile_md: str, elapsed: float,
                  service_md: str = "") -> None:
    by = {c.id: c for c in cases}
    L: list[str] = ["# Benchmark results", "",
                    f"Written by `python bench/run.py` on {started} in {elapsed / 60:.1f} min. "
                    "Absolute times drift on a shared machine; the ratios, taken within this one run with the "
                    "commands interleaved round by round, are what the targets are about.", "",
                    f"- Machine: {os.cpu_count()} CPUs ({_cpu_model()}); load average "
                    f"{' / '.join(f'{x:.2f}' for x in load[0])} at the start, "
                    f"{' / '.join(f'{x:.2f}' for x in load[1])} at the end (1 / 5 / 15 min).",
                    f"- Runs: one warm-up run per command (its output checked), then the median of {runs} "
                    f"(commands slower than {SLOW:.0f} s: of at most 3). Wall = spawn to exit; CPU = user + system "
                    "time of the process; peak memory = its maximum resident set, in MB of 10⁶ bytes.", ""]
    L += ["## Targets", "", "| target | limit | measured (wall) | (CPU) | verdict |", "|---|---|---:|---:|---|"]
    L += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in targets(by, merge_note)]
    L += ["", "## Every command", "",
          "| command | rows | median wall s | median CPU s | peak memory MB | runs | output |",
          "|---|---:|---:|---:|---:|---:|---|"]
    for c in cases:
        if c.failed:
            L.append(f"| {c.label} | {c.size or ''} | failed | | | 0 | {c.failed} |")
            continue
        L.append(f"| {c.label} | {f'{c.size:,}' if c.size else ''} | {c.wall:.3f} | {c.cpu:.3f} | {c.peak:.0f} | "
                 f"{len(c.walls)} | {c.note} |")
    if not by.get("merge"):
        L.append(f"| taizhang merge, 50 × 2,000-row submissions | 2,000 | pending | | | 0 | {merge_note} |")
    sizes = sorted({c.size for c in cases if c.group == "validate" and c.size})
    if sizes:
        L += ["", "## Ratios by size", "", "| rows | validate ÷ read (wall) | validate ÷ frictionless (wall) | "
              "validate ÷ frictionless, fillMergedCells (wall) | validate ms per 1,000 rows (wall) |",
              "|---:|---:|---:|---:|---:|"]
        for s in sizes:
            v = by.get(f"validate_{s}")
            cells = [ratio(v, by.get(f"read_{s}")), ratio(v, by.get(f"frictionless_{s}")),
                     ratio(v, by.get(f"frictionless_merged_{s}"))]
            per = v.wall / s * 1e6 if v and v.wall else None
            L.append(f"| {s:,} | " + " | ".join(f"{x:.2f}" if x is not None else "–" for x in cells)
                     + (f" | {per:.0f} |" if per else " | – |"))
    L += ["", "## Inputs", "",
          "Made by `bench/generate.py` (seed {}), in the 000 seed's shape: title row, header row, tasks of 1–5 "
          "sub-items with 序号 / 任务分类 / 改革事项 / 责任单位 merged vertically, text from the seed notices, one "
          "liaison per {} rows on average (each writes their number the same way every time).".format(
              manifest.get("seed"), generate.PEOPLE_RATIO), "",
          "| file | rows | tasks | cells | faulty cells | share | injected faults by the finding they must produce |",
          "|---|---:|---:|---:|---:|---:|---|"]
    for s, info in sorted(manifest.get("ledgers", {}).items(), key=lambda kv: int(kv[0])):
        if int(s) not in sizes:
            continue
        kinds = ", ".join(f"{k} {v}" for k, v in info["faults_by_code"].items())
        L.append(f"| {info['file']} | {info['rows']:,} | {info['tasks']:,} | {info['cells']:,} | "
                 f"{info['faulty_cells']:,} | {info['fault_share']:.1%} | {kinds} |")
    if manifest.get("merge"):
        m = manifest["merge"]
        L += ["", f"Merge input: `merge/master.xlsx` ({m['rows']:,} rows, no faults) and {m['submissions']} "
                  f"submissions, full copies of it: {m.get('progress_edits', 0):,} 推进情况 edits and "
                  f"{m.get('contact_edits', 0):,} contact/phone edits by the owning departments, "
                  f"{m.get('conflicting_cells', 0)} conflicting cell, {m.get('locked_edits', 0)} locked-column edit, "
                  f"{m.get('inserted_rows', 0)} inserted row, {m.get('without_title_row', 0)} copy without its title row."]
    L += ["", "## Peers: what they are asked to do", "",
          "- **frictionless**: `frictionless validate RESOURCE.json --limit-errors 100000000 --json` (every error, "
          "as taizhang reports every finding; its default limit of 1,000 stops reading early). The resource reads "
          "sheet 工作台账 with the header in row 2; the schema (`bench/run.py: table_schema`) declares 序号 an integer, "
          "every other column a string, `required` on the required columns, 联系人 and 联系电话, and patterns for "
          "完成时限及主要节点 (a month 1–12, 年底, 上半年, 三季度, 持续 …) and 联系电话 (8-digit local numbers, "
          "area-code numbers, mobiles, several per cell). By default it reads with openpyxl in read-only mode and "
          "sees a merged task's sub-item rows as blank, so `required` is only put on item-level columns there; the "
          "`fillMergedCells` run fills them (openpyxl in normal mode) and requires every required column: that is "
          "the configuration that does what taizhang does. Units and contact names have no Table Schema equivalent "
          "short of a regular expression of every known name; they are left out, which only makes the peer's job "
          "lighter.",
          "- **pandas + calamine**: `python -c \"import pandas; pandas.read_excel(FILE, engine='calamine')\"`, the "
          "floor: import pandas and read every cell, nothing checked.",
          "- **typer**: `python -c \"import typer\"`, the floor for a typer CLI's start-up."]
    if service_md:
        L += ["", service_md.strip()]
    analysis = HERE / "analysis.md"
    if analysis.exists():  # the reading of these figures, kept by hand beside the generated parts
        L += ["", analysis.read_text(encoding="utf-8").strip()]
    if profile_md:
        L += ["", profile_md.strip()]
    L += ["", "## Versions", "", "| component | version |", "|---|---|"]
    L += [f"| {a} | {b} |" for a, b in versions(frictionless_note)]
    path.write_text("\n".join(L) + "\n", encoding="utf-8")


def _phases(args: list[str], work: Path) -> str:
    """bench/phases.py's Markdown, run through the launcher so its memory column starts from zero."""
    result = work / ".timing.json"
    proc = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(result), sys.executable, str(HERE / "phases.py"),
                           *args], cwd=ROOT, capture_output=True, text=True, env=_env())
    result.unlink(missing_ok=True)
    return proc.stdout if proc.returncode == 0 else f"(profile failed: {proc.stderr[-300:]})\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(generate.SIZES))
    ap.add_argument("--runs", type=int, default=5, help="timed runs per command after the warm-up (default 5)")
    ap.add_argument("--data", type=Path, default=generate.DEFAULT_OUT, help="where the generated inputs live")
    ap.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--merged-sizes", type=int, nargs="*", default=[2000, 20000],
                    help="sizes to also run frictionless with fillMergedCells on (slow: about 1 s per 1,000 rows)")
    ap.add_argument("--no-frictionless", action="store_true")
    ap.add_argument("--no-merge", action="store_true")
    ap.add_argument("--no-jobs", action="store_true", help="leave out the 40-file --jobs comparison")
    ap.add_argument("--no-service", action="store_true", help="leave out `taizhang serve` (bench/serve_bench.py)")
    ap.add_argument("--no-profile", action="store_true", help="leave out the phase profile of validate")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: rewrite RESULTS.md from the last run (bench/out/runs/results.json)")
    a = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    data = a.data.resolve()
    work = data.parent / "runs"
    saved = work / "results.json"
    if a.report_only:  # re-render RESULTS.md from the last run's measurements (e.g. after editing analysis.md)
        doc = json.loads(saved.read_text(encoding="utf-8"))
        cases = [Case(**c) for c in doc.pop("cases")]
        manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
        write_results(a.out, cases, manifest, **doc)
        log(f"wrote {a.out} from {saved}")
        return 0
    _check_installed_tree()
    _compile_tree()
    t_start = time.perf_counter()
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load0 = os.getloadavg()
    work.mkdir(parents=True, exist_ok=True)
    manifest = ensure_data(data, a.sizes, 0 if a.no_merge else 50, log)

    frictionless, fl_note = (None, "not run (--no-frictionless)")
    if not a.no_frictionless:
        frictionless, fl_note = ensure_frictionless(log)
        if frictionless is None:
            log(f"frictionless left out: {fl_note}")
    merge_note = "not run (--no-merge)"
    do_merge = False
    if not a.no_merge:
        do_merge = merge_available()
        merge_note = "" if do_merge else "pending: `taizhang merge` is not in this checkout yet (issue 5)"
    prepare_inputs(data, work, a.sizes, log, jobs=not a.no_jobs)
    cases = build_cases(data, work, a.sizes, frictionless, a.merged_sizes, do_merge, jobs=not a.no_jobs)
    run_cases(cases, a.runs, data, manifest, log)

    profile_md = ""
    profile_size = 20000 if 20000 in a.sizes else max(a.sizes)
    if not a.no_profile:
        log("profiling validate ...")
        profile_md = f"## Where validate's time goes ({profile_size:,} rows)\n\n" + _phases(
            [str(data / f"ledger_{profile_size}.xlsx")], work)
        if max(a.sizes) > profile_size:  # the largest file: where the memory goes
            profile_md += "\n" + _phases(
                [str(data / f"ledger_{max(a.sizes)}.xlsx"), "--top", "0"], work)
        if do_merge:
            log("profiling merge ...")
            profile_md += "\n## Where merge's time goes\n\n" + _phases(
                [str(data / "merge" / "master.xlsx"), "--merge", str(data / "merge" / "submissions")], work)
    service_md = ""
    if not a.no_service:
        import serve_bench

        try:
            service_md = serve_bench.run(data, a.runs, log)
        except Exception as exc:  # the service's figures must not cost the others
            service_md = f"## The service (`taizhang serve`)\n\nnot measured: {exc}\n"
    meta = {"runs": a.runs, "frictionless_note": fl_note, "merge_note": merge_note, "started": started,
            "load": (load0, os.getloadavg()), "profile_md": profile_md, "elapsed": time.perf_counter() - t_start,
            "service_md": service_md}
    keep = ("id", "label", "argv", "group", "size", "walls", "cpus", "rss", "note", "failed", "slow")
    saved.write_text(json.dumps({**meta, "cases": [{k: getattr(c, k) for k in keep} for c in cases]},
                                ensure_ascii=False, indent=1), encoding="utf-8")
    write_results(a.out, cases, manifest, **meta)
    log(f"wrote {a.out}")
    return 1 if any(c.failed for c in cases) else 0


if __name__ == "__main__":
    sys.exit(main())
