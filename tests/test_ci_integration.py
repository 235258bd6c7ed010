"""taizhang in CI: the pre-commit hook, the GitHub Action, SARIF and JUnit output, the README examples.

The hook's entry and the action's script are run for real as subprocesses on ledgers written to
tmp_path; SARIF is checked against the published SARIF 2.1.0 JSON schema (tests/data, from the
OASIS errata01 schema) and JUnit is read back with junitparser, as GitLab and Jenkins would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml
from junitparser import Error, Failure, JUnitXml

from conftest import EX000, ROOT, write_ledger
from taizhang.validator.findings import RULES

SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
ACTION = ROOT / "action.yml"
README = ROOT / "README.md"
# pre-commit's languages (pre-commit 3.x); `language` must be one of them
PRE_COMMIT_LANGUAGES = {"conda", "coursier", "dart", "docker", "docker_image", "dotnet", "fail", "golang",
                        "haskell", "lua", "node", "perl", "python", "r", "ruby", "rust", "swift", "pygrep",
                        "script", "system"}

GOOD_ROW = [1, "《2019 年工作要点》第 1 条", "出台实施方案", "市卫生健康委", "出台《实施方案》。", "6月底前",
            "正在制定。", "李光盈", "39052220"]


def _entry_argv(entry: str) -> tuple[list[str], dict[str, str]]:
    """The hook's entry as pre-commit runs it: the installed console script, or the same
    function from pyproject's [project.scripts] when taizhang is not installed here."""
    words = shlex.split(entry)
    exe = shutil.which(words[0])
    if exe:
        return [exe, *words[1:]], dict(os.environ)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module, func = scripts[words[0]].split(":")
    code = f"import sys; sys.argv[0] = {words[0]!r}; from {module} import {func}; sys.exit({func}())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return [sys.executable, "-c", code, *words[1:]], env


@pytest.fixture
def ledgers(tmp_path, copy_example):
    """A repository-like folder: a ledger with errors, a clean one, one with a warning only."""
    bad = copy_example(EX000, "bad.xlsx")
    good = write_ledger(tmp_path / "good.xlsx", [GOOD_ROW])
    warn_row = GOOD_ROW[:5] + ["尽快"] + GOOD_ROW[6:]
    warn = write_ledger(tmp_path / "warn.xlsx", [warn_row])
    return {"bad": bad, "good": good, "warn": warn}


def _taizhang(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    argv, env = _entry_argv("taizhang")
    return subprocess.run([*argv, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


# ------------------------------------------------------------------------------ pre-commit


def _hook() -> dict:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    found = [h for h in hooks if h.get("id") == "taizhang-validate"]
    assert len(found) == 1
    return found[0]


def test_hook_definition_has_what_pre_commit_requires():
    hook = _hook()
    for field in ("id", "name", "entry", "language"):
        assert isinstance(hook.get(field), str) and hook[field].strip(), field
    assert hook["language"] in PRE_COMMIT_LANGUAGES
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    for name in ("台账.xlsx", "sub/B.XLSM", "old.xls", "export.csv", "a b/2019年台账.Xlsx"):
        assert files.search(name) and not exclude.search(name), name
    for name in ("cli.py", "notes.xlsx.bak", "README.md", "x.csv.txt"):
        assert not files.search(name), name
    assert exclude.search("~$台账.xlsx") and exclude.search("sub/~$x.xlsx")
    assert set(hook.get("types", [])) <= {"file"}


def test_hook_entry_fails_on_a_bad_ledger_and_passes_on_a_good_one(ledgers, tmp_path):
    argv, env = _entry_argv(_hook()["entry"])

    def run(*names: str) -> subprocess.CompletedProcess:
        # pre-commit passes the staged files' paths, relative to the repository root
        return subprocess.run([*argv, *names], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)

    bad = run("bad.xlsx")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "missing-contact" in bad.stdout and "H11" in bad.stdout
    good = run("good.xlsx")
    assert good.returncode == 0, good.stdout + good.stderr
    assert run("good.xlsx", "bad.xlsx").returncode == 1
    assert run("good.xlsx", "warn.xlsx").returncode == 0  # warnings alone pass unless --strict
    assert run("--strict", "warn.xlsx").returncode == 1


# ------------------------------------------------------------------------------ GitHub Action


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def _validate_step(action: dict) -> dict:
    steps = [s for s in action["runs"]["steps"] if "run" in s and "taizhang validate" in s["run"]]
    assert len(steps) == 1
    return steps[0]


def test_action_definition():
    action = _action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    for name in ("paths", "type", "units", "strict"):
        spec = action["inputs"][name]
        assert spec["description"] and "default" in spec, name
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step  # composite run steps must name their shell
            assert "${{" not in step["run"], "inputs must reach scripts through env, not be pasted in"
    step = _validate_step(action)
    assert "--format github" in step["run"]
    install = [s for s in action["runs"]["steps"] if "run" in s and "pip install" in s["run"]]
    assert install and "GITHUB_ACTION_PATH" in install[0]["run"]


def _run_action(tmp_path: Path, inputs: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the action's validate step as the runner does: inputs -> env, bash -eo pipefail."""
    action = _action()
    values = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    values.update(inputs)
    step = _validate_step(action)
    env = dict(os.environ)
    for key, expr in step.get("env", {}).items():
        m = re.fullmatch(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", str(expr))
        assert m, f"env {key} must be a plain input reference"
        env[key] = values[m.group(1)]
    if not shutil.which("taizhang"):  # what the install step provides
        bindir = tmp_path / "_bin"
        bindir.mkdir(exist_ok=True)
        shim = bindir / "taizhang"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "cli.py"}" "$@"\n', encoding="utf-8")
        shim.chmod(0o755)
        env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    script = tmp_path / "_step.sh"
    script.write_text(step["run"], encoding="utf-8")
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=180)


def test_action_annotates_problems_and_fails(ledgers, tmp_path):
    shutil.copy(ledgers["good"], tmp_path / "台账 2019.xlsx")  # a name with a space, one path per line
    proc = _run_action(tmp_path, {"paths": "bad.xlsx\n台账 2019.xlsx\n"})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all(line.startswith(("::error ", "::warning ")) for line in lines)
    assert any(line.startswith("::error file=bad.xlsx,title=missing-contact") and "H11" in line for line in lines)
    assert not any("台账 2019" in line for line in lines)

    assert _run_action(tmp_path, {"paths": "good.xlsx"}).returncode == 0
    warn = _run_action(tmp_path, {"paths": "warn.xlsx", "strict": "false"})
    assert warn.returncode == 0 and warn.stdout.startswith("::warning file=warn.xlsx")
    assert _run_action(tmp_path, {"paths": "warn.xlsx", "strict": "true"}).returncode == 1


def test_action_passes_type_units_and_writes_sarif(ledgers, tmp_path):
    proc = _run_action(tmp_path, {"paths": "good.xlsx", "type": "reform-ledger", "units": "大连市",
                                  "year": "2019", "sarif": "out/taizhang.sarif"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _check_sarif(json.loads((tmp_path / "out" / "taizhang.sarif").read_text(encoding="utf-8")))
    # a registry that does not know the unit turns it into an error
    reg = tmp_path / "units.csv"
    reg.write_text("name\n市财政局\n", encoding="utf-8")
    proc = _run_action(tmp_path, {"paths": "good.xlsx", "units": str(reg)})
    assert proc.returncode == 1 and "unknown-unit" in proc.stdout


# ------------------------------------------------------------------------------ SARIF and JUnit


def _check_sarif(doc: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_sarif_output_is_valid_sarif_2_1_0(ledgers, tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    proc = _taizhang("validate", "bad.xlsx", "good.xlsx", "warn.xlsx", "broken.xlsx", "--format", "sarif",
                     cwd=tmp_path)
    assert proc.returncode == 2  # an unreadable file
    doc = json.loads(proc.stdout)
    _check_sarif(doc)

    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    results = run["results"]
    expected = json.loads(_taizhang("validate", "bad.xlsx", "good.xlsx", "warn.xlsx", "--format", "json",
                                    cwd=tmp_path).stdout)
    findings = [f for file in expected["files"] for f in file["findings"]]
    assert len(results) == len(findings) == 5
    for res, f in zip(results, findings):
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"] == f["code"]
        assert res["level"] == f["severity"]
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == f["row"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"bad.xlsx",
                                                                                                   "warn.xlsx"}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes] == ["broken.xlsx"]
    assert run["invocations"][0]["executionSuccessful"] is False

    # the schema check bites: a result without a message is not SARIF
    del results[0]["message"]
    with pytest.raises(AssertionError):
        _check_sarif(doc)


def test_junit_output_parses_with_a_junit_reader(ledgers, tmp_path):
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    proc = _taizhang("validate", "bad.xlsx", "good.xlsx", "warn.xlsx", "broken.xlsx", "--format", "junit",
                     "-o", "report.xml", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    xml = JUnitXml.fromfile(str(tmp_path / "report.xml"))
    suites = {s.name: s for s in xml}
    assert set(suites) == {"bad.xlsx", "good.xlsx", "warn.xlsx", "broken.xlsx"}

    def outcomes(suite):
        return {case.name: [type(r).__name__ for r in case.result] for case in suite}

    bad = outcomes(suites["bad.xlsx"])
    assert len(bad) == len(RULES) == suites["bad.xlsx"].tests
    assert bad["missing-contact"] == ["Failure"] and bad["missing-phone"] == ["Failure"]
    assert sum(1 for r in bad.values() if r) == 2 == suites["bad.xlsx"].failures
    case = next(c for c in suites["bad.xlsx"] if c.name == "missing-contact")
    failure = case.result[0]
    assert isinstance(failure, Failure) and "H11" in failure.text and "H13" in failure.text
    assert not any(outcomes(suites["good.xlsx"]).values())
    assert not any(outcomes(suites["warn.xlsx"]).values())  # a warning is not a failure
    warn_case = next(c for c in suites["warn.xlsx"] if c.name == "unparsed-deadline")
    assert "F3" in (warn_case.system_out or "")
    broken = list(suites["broken.xlsx"])
    assert len(broken) == 1 and isinstance(broken[0].result[0], Error)


# ------------------------------------------------------------------------------ README


def _readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## 模板与持续集成")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_readme_examples_are_valid_and_match_the_definitions():
    section = _readme_section()
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) >= 4  # pre-commit (remote, local), GitHub Actions, GitLab
    docs = [yaml.safe_load(b) for b in blocks]
    hook_ids = [h["id"] for d in docs if isinstance(d, dict) and "repos" in d for r in d["repos"] for h in r["hooks"]]
    assert hook_ids and set(hook_ids) == {_hook()["id"]}
    local = next(h for d in docs if "repos" in d for r in d["repos"] if r["repo"] == "local" for h in r["hooks"])
    assert local["entry"] == _hook()["entry"] and local["files"] == _hook()["files"]
    uses = [s for d in docs if "jobs" in d for job in d["jobs"].values() for s in job["steps"]
            if "taizhang" in s.get("uses", "")]
    assert uses and set(uses[0]["with"]) <= set(_action()["inputs"])
    gitlab = next(d["taizhang"] for d in docs if "taizhang" in d)
    assert any("--format junit" in line for line in gitlab["script"])
    assert gitlab["artifacts"]["reports"]["junit"] in " ".join(gitlab["script"])
    assert "junit" in re.search(r"```groovy\n(.*?)```", section, re.S).group(1)
