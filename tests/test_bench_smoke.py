"""Smoke run of the benchmarks on the 2,000-row size: the inputs are what they claim, the command
writes its results. Timings are not asserted (benchmarks are not tests)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import python_calamine as pc

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402


def test_generated_ledger_has_the_seed_shape_and_validate_reports_exactly_the_injected_faults(tmp_path):
    from taizhang.validator.validate import Options, validate_file

    texts = generate.Texts(*generate._sentences())
    built = generate.build_rows(600, random.Random(3), 0.05, texts)
    path = tmp_path / "ledger.xlsx"
    generate.write_ledger(path, built)

    sheet = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("工作台账")
    grid = sheet.to_python()
    assert "2019 年" in grid[0][0] and grid[1] == generate.HEADER_ROW
    merged = sheet.merged_cell_ranges
    assert ((0, 0), (0, 8)) in merged  # the title row
    multi = [g for g in built.groups if g[1] > g[0]]
    assert multi and len(merged) == 1 + 4 * len(multi)  # 序号 任务分类 改革事项 责任单位 per multi-row task

    result = validate_file(path, Options())
    assert result.error is None and result.rows == 600 and result.year == 2019
    got = {(f.code, f.cell) for f in result.findings}
    expected = generate.expected_findings(built)
    assert got == expected, (sorted(got - expected)[:10], sorted(expected - got)[:10])
    kinds = {code for code, _ in expected}
    assert kinds == set(generate.ALL_CODES)  # every kind the generator knows occurs at this size


def test_run_writes_results_for_the_2000_row_size(tmp_path):
    data, out = tmp_path / "data", tmp_path / "RESULTS.md"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "2000", "--runs", "1", "--no-frictionless", "--no-merge",
         "--no-profile", "--no-jobs", "--data", str(data), "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = out.read_text(encoding="utf-8")

    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    info = manifest["ledgers"]["2000"]
    assert info["rows"] == 2000 and 0.03 <= info["fault_share"] <= 0.07

    def row(label: str) -> list[str]:
        line = next(l for l in text.splitlines() if l.startswith(f"| {label} |"))
        return [c.strip() for c in line.strip("|").split("|")]

    validate = row("taizhang validate --format json (2,000 rows)")
    assert float(validate[2]) > 0 and float(validate[3]) > 0 and float(validate[4]) > 10  # wall, CPU, MB
    assert validate[5] == "1" and f"all {len(generate.ALL_CODES)} injected fault kinds reported" in validate[6]
    for label in ('pandas.read_excel(engine="calamine") (2,000 rows)', "taizhang --help", 'python -c "import typer"'):
        assert float(row(label)[2]) > 0
    assert re.search(rf"\| `taizhang --help` ÷ .*\| <= 1.3 \| \d+\.\d\d \|", text)
    assert f"Machine: {os.cpu_count()} CPUs" in text
    assert re.search(r"\| pandas \| \d+\.\d+", text) and re.search(r"\| python-calamine \| \d+\.\d+", text)
    assert "| merge 50 × 2,000-row submissions (s) | < 4 | not measured |" in text
    assert "ledger_2000.xlsx | 2,000 |" in text
    # the service: 20 departments upload at once, none lost (timings are not asserted)
    assert re.search(r"\| 20 departments upload at once .*\| 20 / 20 / 20 \| 20 / 20 / 20 \| met \|", text)
    assert "The API's findings on the large ledger are identical to the CLI's." in text

    report = json.loads((tmp_path / "runs" / "validate_2000.json").read_text(encoding="utf-8"))
    codes = {f["code"] for f in report["files"][0]["findings"]}
    assert codes == set(info["faults_by_code"])
