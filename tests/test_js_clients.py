"""The WPS and Office.js clients, end to end: Node drives each client against its host's recording
mock, filled from a real workbook, through a running `taizhang serve`; what it paints must be what
the xlwings add-in paints on the same workbook (driven through xlwings' remote engine).

The remote engine copies the whole sheet on every Range access, so the add-in's 校验 there grows
with the square of the ledger: about half a minute for the bench's 2,000-row ledger on this
machine, hours for 20,000 rows. The 20k ledger is therefore compared with the CLI's findings
(`taizhang validate --format json`, the same validate_ledger the add-in calls), painted the add-in's
way: red where a cell has an error, yellow for warnings only, a note listing its messages.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import EX000
from js_workbook import marks_of_xlsx, write_dump

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "addin" / "js"
SHEET_000 = "工作台账"
NPM = shutil.which("npm")
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif((NODE is None or NPM is None) and not os.environ.get("TAIZHANG_CI"),
                                reason="node and npm are installed by .ci/run (where their absence fails)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    """`taizhang serve` as a user starts it, on a free local port."""
    port, data = _free_port(), tmp_path_factory.mktemp("service")
    env = {k: v for k, v in os.environ.items() if k != "TAIZHANG_ADMIN_PASSWORD"}
    proc = subprocess.Popen([sys.executable, "-c", "from taizhang.cli import main; main()", "serve", "--port", str(port),
                             "--data", str(data)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(url + "/docs", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"taizhang serve exited: {proc.stderr.read().decode()}")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def bench_ledgers(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("bench")
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--sizes", "2000", "20000", "--submissions", "0",
                    "--out", str(out)], check=True, capture_output=True)
    return {n: out / f"ledger_{n}.xlsx" for n in (2000, 20000)}


@functools.cache
def cli_marks(xlsx: Path) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """The add-in's marks for the CLI's findings: worst severity's fill, messages as the note;
    and the cells holding a formula where text belongs (formula-in-cell)."""
    done = subprocess.run([sys.executable, "-c", "from taizhang.cli import main; main()", "validate", str(xlsx),
                           "--format", "json"], capture_output=True, text=True, timeout=600)
    findings = json.loads(done.stdout)["files"][0]["findings"]
    fills: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    for f in findings:
        if f["cell"]:
            red = f["severity"] == "error" or fills.get(f["cell"]) == "#FFC7CE"
            fills[f["cell"]] = "#FFC7CE" if red else "#FFEB9C"
            notes.setdefault(f["cell"], []).append(f["message"])
    formulas = {f["cell"] for f in findings if f["code"] == "formula-in-cell"}
    return fills, {c: "\n".join(m) for c, m in notes.items()}, formulas


_DUMPS: dict[Path, Path] = {}


def run_client(host: str, xlsx: Path, url: str, tmp: Path, action: str = "validate") -> dict[str, Any]:
    if xlsx not in _DUMPS:  # reading a 20k-row workbook with openpyxl takes a while: once per file
        _DUMPS[xlsx] = write_dump(xlsx, tmp / f"{xlsx.stem}.json")
    dump, out = _DUMPS[xlsx], tmp / f"{host}-out.json"
    subprocess.run([NODE, str(JS / "test" / "run-client.js"), "--host", host, "--dump", str(dump), "--service", url,
                    "--action", action, "--out", str(out)], check=True, timeout=600)
    return json.loads(out.read_text(encoding="utf-8"))


_XLWINGS: dict[Path, tuple[dict[str, str], dict[str, str], str]] = {}


def xlwings_marks(xlsx: Path, tmp: Path) -> tuple[dict[str, str], dict[str, str], str]:
    """Cells the xlwings add-in colours (those whose fill changed) and the notes it adds, and its alert."""
    if xlsx not in _XLWINGS:
        os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
        from xlwings_actions import apply_actions
        from xlwings_payload import import_xlwings_remote, payload_from_xlsx

        from taizhang import addin

        xw = import_xlwings_remote()
        book = xw.Book(json=payload_from_xlsx(xlsx, client="lite"))
        addin.run("validate", book)
        out = tmp / "xlwings.xlsx"
        applied = apply_actions(xlsx, book.json(), out, client="lite")
        sheet = book.sheets[0].name
        before, _ = marks_of_xlsx(xlsx, sheet)
        fills, notes = marks_of_xlsx(out, sheet)
        summary = applied.alerts[0].prompt.split("\n")[0]  # the count sentence; the add-in adds the header it read
        _XLWINGS[xlsx] = ({c: f for c, f in fills.items() if before.get(c) != f}, notes, summary)
    return _XLWINGS[xlsx]


def test_node_unit_tests_pass() -> None:
    """The clients' own tests (node --test) against the recording mocks."""
    subprocess.run([NPM, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True, timeout=300)
    done = subprocess.run([NPM, "test"], cwd=JS, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


@pytest.mark.parametrize("host", ["et", "officejs"])
def test_000_marks_the_same_cells_and_notes_as_the_xlwings_addin(host, service, tmp_path) -> None:
    got = run_client(host, EX000, service, tmp_path, action="validate,clear")
    fills, notes, alert = xlwings_marks(EX000, tmp_path)
    assert fills == {"H11": "#FFC7CE", "I11": "#FFC7CE", "H13": "#FFC7CE", "I13": "#FFC7CE"}
    assert set(notes) == {"H11", "I11", "H13", "I13"}
    assert got["results"][0]["cells"] == 4
    assert got["alerts"][0] == f"台账 · 校验\n\n{alert}"
    # after 清除标记 the sheet is as it was: the dump's own fills, no notes, no sheets of ours
    assert got["results"][1]["restored"] == 4
    assert got["notes"] == {}
    original, _ = marks_of_xlsx(EX000, SHEET_000)
    assert got["fills"] == original
    assert got["sheets"] == [SHEET_000]


def test_000_validate_paints_what_the_xlwings_addin_paints(service, tmp_path) -> None:
    fills, notes, _ = xlwings_marks(EX000, tmp_path)
    original, _ = marks_of_xlsx(EX000, SHEET_000)
    for host in ("et", "officejs"):
        got = run_client(host, EX000, service, tmp_path)
        painted = {c: f for c, f in got["fills"].items() if original.get(c) != f}
        assert painted == fills, host
        assert got["notes"] == notes, host
        assert got["fill_calls"] == 1 and got["fill_cells"] == 4, host  # H11:I11,H13:I13 in one call


@functools.cache
def _original_fills(xlsx: Path, sheet: str) -> dict[str, str]:
    return marks_of_xlsx(xlsx, sheet)[0]


def _painted(got: dict[str, Any], xlsx: Path) -> dict[str, str]:
    original = _original_fills(xlsx, got["sheet"])
    return {c: f for c, f in got["fills"].items() if original.get(c) != f}


def test_2000_rows_both_clients_paint_what_the_xlwings_addin_paints(service, bench_ledgers, tmp_path) -> None:
    xlsx = bench_ledgers[2000]
    fills, notes, alert = xlwings_marks(xlsx, tmp_path)
    assert len(fills) == 488 and alert == "发现 390 个错误、98 个警告，已在单元格上标出，详见「校验结果」工作表。"
    # The clients send the formulas they read; xlwings' payload has values only, so the add-in
    # cannot see the 117 formulas typed where text belongs. Every other mark is the same.
    cli_fills, cli_notes, formulas = cli_marks(xlsx)
    assert len(formulas) == 117 and formulas.isdisjoint(fills)
    for host in ("et", "officejs"):
        got = run_client(host, xlsx, service, tmp_path)
        painted = _painted(got, xlsx)
        assert {c: f for c, f in painted.items() if c not in formulas} == fills, host
        assert {c: t for c, t in got["notes"].items() if c not in formulas} == notes, host
        assert painted == cli_fills and got["notes"] == cli_notes, host
        assert got["alerts"][0] == "台账 · 校验\n\n发现 390 个错误、215 个警告，已在单元格上标出，详见「校验结果」工作表。", host


@pytest.mark.parametrize("host", ["et", "officejs"])
def test_20k_ledger_same_marks_in_multi_area_calls(host, service, bench_ledgers, tmp_path) -> None:
    xlsx = bench_ledgers[20000]
    got = run_client(host, xlsx, service, tmp_path)
    fills, notes, _ = cli_marks(xlsx)
    assert len(fills) == 6552  # bench/generate.py's faulty cells, every one flagged
    assert _painted(got, xlsx) == fills
    assert got["notes"] == notes
    assert got["fill_cells"] == len(fills)
    assert got["fill_cells"] / got["fill_calls"] >= 20, (got["fill_cells"], got["fill_calls"])
    if host == "officejs":
        assert got["syncs"] <= 40 and got["maxSyncBytes"] < 5 * 1024 * 1024
