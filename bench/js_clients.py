"""The WPS and Office.js clients' 校验 on the 20k ledger, against the CLI, through `taizhang serve`.

    python bench/js_clients.py                 # bench/out/data/ledger_20000.xlsx (made if missing)
    python bench/js_clients.py --rows 2000 --runs 3

For each round (interleaved, medians reported): `taizhang validate FILE --format json` as a whole
process, and each client's click → painted time in Node against its recording host mock filled
from the same workbook, through a warm `taizhang serve` on this machine (the read, the request,
the service's validate and the painting all counted; the mock stands in for WPS / Excel, whose
own per-call cost cannot be measured here). Also the fill calls and cells per call.
"""

from __future__ import annotations

import argparse
import json
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
sys.path.insert(0, str(ROOT / "tests"))


def _serve(data: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "TAIZHANG_ADMIN_PASSWORD"}
    proc = subprocess.Popen([sys.executable, "-c", "from taizhang.cli import main; main()", "serve", "--port", str(port),
                             "--data", str(data)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(url + "/docs", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("taizhang serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from js_workbook import write_dump

    xlsx = HERE / "out" / "data" / f"ledger_{args.rows}.xlsx"
    if not xlsx.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--sizes", str(args.rows), "--submissions", "0",
                        "--out", str(xlsx.parent)], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dump = write_dump(xlsx, tmp / "book.json")
        proc, url = _serve(tmp / "service")
        times: dict[str, list[float]] = {"cli": [], "et": [], "officejs": []}
        last: dict[str, dict] = {}
        try:
            for _ in range(args.runs + 1):  # the first round warms the disk cache and the service
                t = time.perf_counter()
                subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()", "validate", str(xlsx),
                                "--format", "json"], capture_output=True)
                times["cli"].append(time.perf_counter() - t)
                for host in ("et", "officejs"):
                    out = tmp / f"{host}.json"
                    subprocess.run(["node", str(ROOT / "addin/js/test/run-client.js"), "--host", host, "--dump", str(dump),
                                    "--service", url, "--out", str(out)], check=True)
                    last[host] = json.loads(out.read_text(encoding="utf-8"))
                    times[host].append(last[host]["ms"] / 1000)
        finally:
            proc.terminate()
            proc.wait()
    med = {k: statistics.median(v[1:]) for k, v in times.items()}
    print(f"{args.rows:,} rows, {args.runs} runs (medians), {os.cpu_count()} CPUs\n")
    print("| 校验 | seconds | ÷ CLI | fill calls | cells | cells per call | host calls / syncs |")
    print("|---|---|---|---|---|---|---|")
    print(f"| taizhang validate (whole process) | {med['cli']:.2f} | 1.00 | | | | |")
    for host, name in (("et", "WPS client (ET mock)"), ("officejs", "Office.js client (Excel mock)")):
        r = last[host]
        cost = f"{r['calls']:,} calls" if host == "et" else f"{r['syncs']} syncs, max {r['maxSyncBytes'] / 1e6:.1f} MB"
        print(f"| {name} + service | {med[host]:.2f} | {med[host] / med['cli']:.2f} | {r['fill_calls']} | {r['fill_cells']:,} "
              f"| {r['fill_cells'] / max(1, r['fill_calls']):.1f} | {cost} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
