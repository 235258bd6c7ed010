"""The WPS and Office.js clients, end to end: Node drives each client against its host's recording
mock, filled from a real workbook, through a running `taizhang serve`; what it paints must be what
the xlwings add-in paints on the same workbook (driven through xlwings' remote engine).
"""

from __future__ import annotations

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
pytestmark = pytest.mark.skipif(NODE is None or NPM is None, reason="node and npm are installed by .ci/run")


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
def ledger_20k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--sizes", "20000", "--submissions", "0",
                    "--out", str(out)], check=True, capture_output=True)
    return out / "ledger_20000.xlsx"


def run_client(host: str, xlsx: Path, url: str, tmp: Path, action: str = "validate") -> dict[str, Any]:
    dump, out = write_dump(xlsx, tmp / f"{host}.json"), tmp / f"{host}-out.json"
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
        _XLWINGS[xlsx] = ({c: f for c, f in fills.items() if before.get(c) != f}, notes, applied.alerts[0].prompt)
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


@pytest.mark.parametrize("host", ["et", "officejs"])
def test_20k_ledger_same_marks_in_multi_area_calls(host, service, ledger_20k, tmp_path) -> None:
    got = run_client(host, ledger_20k, service, tmp_path)
    fills, notes, alert = xlwings_marks(ledger_20k, tmp_path)
    sheet = got["sheet"]
    original, _ = marks_of_xlsx(ledger_20k, sheet)
    painted = {c: f for c, f in got["fills"].items() if original.get(c) != f}
    assert len(fills) > 5000
    assert painted == fills
    assert got["notes"] == notes
    assert got["alerts"][0] == f"台账 · 校验\n\n{alert}"
    assert got["fill_cells"] == len(fills)
    assert got["fill_cells"] / got["fill_calls"] >= 20, (got["fill_cells"], got["fill_calls"])
    if host == "officejs":
        assert got["syncs"] <= 40 and got["maxSyncBytes"] < 5 * 1024 * 1024
