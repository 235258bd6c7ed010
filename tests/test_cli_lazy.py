"""`taizhang` builds only the command the command line names (cli_lazy.py): the help and behaviour
users see must be exactly the full app's, and no command may go missing from `taizhang --help`."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from taizhang.cli import app
from taizhang.cli_lazy import pruned

runner = CliRunner()


def _paths(command, prefix=()):
    """Every command path of a click command tree: ('validate',), ('round',), ('round', 'create'), ..."""
    for name, sub in getattr(command, "commands", {}).items():
        yield (*prefix, name)
        yield from _paths(sub, (*prefix, name))


FULL = get_command(app)
PATHS = list(_paths(FULL))


@pytest.fixture(autouse=True)
def _width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # click wraps help to the terminal: the same width everywhere


def _help(typer_app: typer.Typer, args: list[str]) -> tuple[int, str]:
    result = runner.invoke(typer_app, args)
    return result.exit_code, result.output


def test_the_full_app_has_the_commands_users_know():
    # the tree the comparisons below walk: if this shrinks, they would check less
    top = list(FULL.commands)
    assert top[:5] == ["validate", "inspect", "types", "rules", "parse-deadline"]
    assert {"split", "merge", "rollup", "serve", "history", "units", "addin", "round"} <= set(top)
    assert ("round", "create") in PATHS and ("addin", "build") in PATHS and ("units", "check") in PATHS
    assert len(PATHS) >= 31


def test_lazy_help_lists_exactly_the_full_apps_commands():
    lazy = get_command(pruned(app, ["--help"]))
    assert list(lazy.commands) == list(FULL.commands)  # same names, same order, commands before groups
    for name, command in FULL.commands.items():
        stand_in = lazy.commands[name]
        assert type(stand_in) is type(command)  # a group stays a group
        assert stand_in.get_short_help_str(60) == command.get_short_help_str(60)
        assert (stand_in.hidden, stand_in.deprecated) == (command.hidden, command.deprecated)
    assert _help(pruned(app, ["--help"]), ["--help"]) == _help(app, ["--help"])
    assert _help(pruned(app, []), []) == _help(app, [])  # no arguments: the help, exit code 2


def test_top_level_help_through_the_console_script():
    def run(entry: str) -> subprocess.CompletedProcess:
        code = f"import sys; from taizhang.cli import {entry}; sys.argv[0] = 'taizhang'; {entry}()"
        return subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, encoding="utf-8")

    lazy, full = run("main"), run("app")  # main() builds lazily; app() is typer's own, everything built
    assert lazy.returncode == full.returncode == 0, lazy.stderr + full.stderr
    assert lazy.stdout == full.stdout
    lines = lazy.stdout.splitlines()
    assert "  validate        校验台账：必填项、序号、完成时限、责任单位、联系人与电话。" in lines
    assert "  round           报送轮次：下发、收集、合并、汇总，记录每个单元格的修改。Collection rounds." in lines


@pytest.mark.parametrize("path", PATHS, ids=" ".join)
def test_every_commands_own_help_is_unchanged(path):
    args = [*path, "--help"]
    code, text = _help(pruned(app, args), args)
    assert code == 0
    assert (code, text) == _help(app, args)


@pytest.mark.parametrize("args", [["nosuch"], ["valdate", "x.xlsx"], ["round"], ["round", "nosuch"], ["units"],
                                  ["validate"], ["rules", "missing-contact", "--lang", "en"], ["--", "types"]])
def test_errors_and_output_are_the_full_apps(args):
    assert _help(pruned(app, args), args) == _help(app, args)


def test_only_the_named_command_is_built():
    def options(command):
        return [p.name for p in command.params if p.name != "help"]

    listing = get_command(pruned(app, ["--help"]))
    assert all(options(c) == [] for c in listing.commands.values())
    assert listing.commands["round"].commands == {}

    built = get_command(pruned(app, ["round", "create", "--help"]))
    rounds = built.commands["round"]
    assert list(rounds.commands) == list(FULL.commands["round"].commands)
    assert "due" in options(rounds.commands["create"]) and options(rounds.commands["list"]) == []
    assert options(built.commands["validate"]) == [] and built.commands["units"].commands == {}


def test_a_stand_in_never_runs_silently():
    stand_in = get_command(pruned(app, ["--help"])).commands["types"]
    with pytest.raises(RuntimeError, match="types was not built"):
        stand_in.callback()
