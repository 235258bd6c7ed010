"""The service under load: `taizhang serve` started as an office would, requests from this process.

    python bench/serve_bench.py [--data bench/out/data] [--runs 5]      # prints the Markdown section

Three figures, each against its target (issue 14):

- a warm request: POST /api/v1/validate with the 000 example, request to response (the server
  has answered one before), median of 20: under 0.2 s;
- the 20,000-row ledger validated through the API (the upload included, timed from the first
  byte sent to the last byte of JSON received) against `taizhang validate --format json` as a
  whole process, interleaved run by run: at most 1.2x;
- 20 departments of one round uploading their files at the same moment: every upload answered
  with its findings, every one stored (the round's status lists 20 submitted, once each), and
  their findings the same as validating each file alone.

Called by bench/run.py (a section of RESULTS.md); runnable alone.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EX000 = ROOT / "examples" / "000_dalian_2019_reform_ledger.xlsx"
PASSWORD = "bench-only-password"
DEPARTMENTS = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TARGETS = {"warm": 0.2, "api_vs_cli": 1.2, "api_vs_read": 1.2}  # issue 18: "20k rows at most 1.2x the read"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`taizhang serve` on a free port with a fresh data folder; stopped (by its pid) on exit."""

    def __init__(self, data: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, TAIZHANG_ADMIN_PASSWORD=PASSWORD)
        self.proc = subprocess.Popen([sys.executable, "-c", "import sys; from taizhang.cli import main; "
                                      "sys.argv[0] = 'taizhang'; main()", "serve", "--port", str(self.port),
                                      "--data", str(data)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def __enter__(self) -> "Server":
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/login", timeout=2)
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"taizhang serve did not start: {self.proc.stderr.read().decode()[-300:]}")
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _validate(client, path: Path) -> tuple[float, dict]:
    t0 = time.perf_counter()
    response = client.post("/api/v1/validate", files={"file": (path.name, path.read_bytes(), XLSX)})
    doc = response.json()
    wall = time.perf_counter() - t0
    if response.status_code != 200 or doc["files"][0]["error"]:
        raise RuntimeError(f"validate through the API failed: {response.text[:300]}")
    return wall, doc


def warm_request(client, runs: int = 20) -> dict:
    _validate(client, EX000)  # the first request of the server's life
    walls = [_validate(client, EX000)[0] for _ in range(runs)]
    return {"median": statistics.median(walls), "max": max(walls), "runs": runs}


def api_vs_cli(client, ledger: Path, runs: int, work: Path) -> dict:
    """Interleaved: CLI process, API request, CLI, API ... (a busy moment hits both alike)."""
    sys.path.insert(0, str(HERE))
    from run import TAIZHANG, timed

    api, cli, read = [], [], []
    _, reference = _validate(client, ledger)  # warm the disk cache and check the answer
    bare_read = [sys.executable, "-c", f"import pandas; pandas.read_excel({str(ledger)!r}, engine='calamine')"]
    for _ in range(runs):
        code, wall, *_ = timed(TAIZHANG + ["validate", str(ledger), "--format", "json"], cwd=work,
                               stdout=work / "cli.json")
        if code not in (0, 1):
            raise RuntimeError(f"taizhang validate exited {code}")
        cli.append(wall)
        api.append(_validate(client, ledger)[0])
        read.append(timed(bare_read, cwd=work, stdout=None)[1])
    import json

    by_cli = json.loads((work / "cli.json").read_text(encoding="utf-8"))["files"][0]["findings"]
    same = by_cli == reference["files"][0]["findings"]
    return {"api": statistics.median(api), "cli": statistics.median(cli), "read": statistics.median(read),
            "rows": reference["files"][0]["rows"],
            "findings": len(by_cli), "same": same, "runs": runs}


def concurrent_uploads(client, base_url: str, ledger: Path, work: Path) -> dict:
    """Create a round from `ledger`, then DEPARTMENTS departments upload their own files at once."""
    import httpx

    from taizhang.validator.validate import Options, validate_file

    response = client.post("/api/v1/rounds", auth=("office", PASSWORD),
                           data={"name": "bench", "due": "2100-01-01", "split_by": "联系人"},
                           files={"master": (ledger.name, ledger.read_bytes(), XLSX)})
    if response.status_code != 201:
        raise RuntimeError(f"creating the round failed: {response.text[:300]}")
    rnd = response.json()["round"]
    chosen = rnd["departments"][:DEPARTMENTS]
    files = {}
    for d in chosen:
        token = d["link"].rsplit("/", 1)[1]
        path = work / f"dept-{d['id']}.xlsx"
        path.write_bytes(client.get(f"/api/v1/d/{token}/file").content)
        files[token] = (d["name"], path, validate_file(path, Options(ledger_type=rnd["ledger_type"])).errors)

    def send(token: str) -> tuple[str, int, dict, float]:
        name, path, _ = files[token]
        with httpx.Client(base_url=base_url, timeout=300) as c:
            t0 = time.perf_counter()
            r = c.post(f"/api/v1/d/{token}/upload", files={"file": (path.name, path.read_bytes(), XLSX)})
            return token, r.status_code, r.json(), time.perf_counter() - t0

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=len(files)) as pool:
        answers = list(pool.map(send, files))
    wall = time.perf_counter() - t0
    status = client.get(f"/api/v1/rounds/{rnd['id']}", auth=("office", PASSWORD)).json()["status"]
    stored = {s["name"]: s for s in status}
    ok = [a for a in answers if a[1] == 200]
    agree = sum(1 for token, code, doc, _ in ok if doc["errors"] == files[token][2])
    once = sum(1 for name, _, _ in files.values() if stored[name]["submitted"] and stored[name]["submissions"] == 1)
    return {"departments": len(files), "answered": len(ok), "stored": once, "agree": agree, "wall": wall,
            "slowest": max(a[3] for a in answers), "rows": sum(len(d["rows"]) for d in chosen)}


def run(data: Path, runs: int, log=print) -> str:
    """Measure and return the Markdown section for RESULTS.md."""
    import httpx

    sizes = sorted(int(p.stem.split("_")[1]) for p in data.glob("ledger_*.xlsx"))
    big = data / f"ledger_{20000 if 20000 in sizes else max(sizes)}.xlsx"
    small = data / f"ledger_{2000 if 2000 in sizes else min(sizes)}.xlsx"
    with tempfile.TemporaryDirectory() as tmp, Server(Path(tmp) / "data") as server, \
            httpx.Client(base_url=server.url, timeout=300) as client:
        work = Path(tmp)
        log("service: warm request ...")
        warm = warm_request(client)
        log(f"  {warm['median'] * 1000:.0f} ms")
        log(f"service: API vs CLI on {big.name} ...")
        vs = api_vs_cli(client, big, runs, work)
        log(f"  API {vs['api']:.2f} s, CLI {vs['cli']:.2f} s")
        log(f"service: {DEPARTMENTS} departments uploading at once ...")
        up = concurrent_uploads(client, server.url, small, work)
        log(f"  {up['stored']}/{up['departments']} stored in {up['wall']:.2f} s")
    ratio = vs["api"] / vs["cli"]
    verdict = lambda ok: "met" if ok else "**missed**"  # noqa: E731
    lines = [
        "## The service (`taizhang serve`)", "",
        "Measured by `bench/serve_bench.py` against `taizhang serve` started as its own process on this machine "
        "(uvicorn, one worker, SQLite), the client in the bench process (httpx); request times run from the first "
        "byte of the upload to the last byte of the answer.", "",
        "| target | limit | measured | verdict |", "|---|---|---:|---|",
        f"| warm request: POST /api/v1/validate, 000 example (median of {warm['runs']}; max "
        f"{warm['max'] * 1000:.0f} ms) | < {TARGETS['warm']:g} s | {warm['median']:.3f} s | "
        f"{verdict(warm['median'] < TARGETS['warm'])} |",
        f"| validate {vs['rows']:,} rows through the API, upload included ÷ `taizhang validate --format json` "
        f"(medians of {vs['runs']}: {vs['api']:.2f} s ÷ {vs['cli']:.2f} s) | <= {TARGETS['api_vs_cli']:g} | "
        f"{ratio:.2f} | {verdict(ratio <= TARGETS['api_vs_cli'])} |",
        f"| the same ÷ the bare pandas + calamine read of the file, in the same rounds (medians: {vs['api']:.2f} s ÷ "
        f"{vs['read']:.2f} s) | <= {TARGETS['api_vs_read']:g} | {vs['api'] / vs['read']:.2f} | "
        f"{verdict(vs['api'] / vs['read'] <= TARGETS['api_vs_read'])} |",
        f"| {up['departments']} departments upload at once ({up['rows']:,} rows in all): answered / stored once / "
        f"findings as validating alone | {up['departments']} / {up['departments']} / {up['departments']} | "
        f"{up['answered']} / {up['stored']} / {up['agree']} | "
        f"{verdict(up['answered'] == up['stored'] == up['agree'] == up['departments'])} |", "",
        f"The {up['departments']} uploads took {up['wall']:.2f} s from the first sent to the last answered (the "
        f"slowest request {up['slowest']:.2f} s): each is checked, validated against the round's ledger and stored "
        "in its own transaction. The API's findings on the large ledger are "
        + ("identical to the CLI's." if vs["same"] else "**not** identical to the CLI's.")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    import generate

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=generate.DEFAULT_OUT)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    print(run(a.data.resolve(), a.runs, log=lambda m: print(m, file=sys.stderr, flush=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
