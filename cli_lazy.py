"""Run the typer app building only the command that the command line names.

typer turns every registered command into a click command (reading each callback's signature and
annotations) before it parses anything: for 31 commands about half of what `taizhang --help` costs
beyond importing typer (~6 ms of ~13). Here the app is copied, before typer sees it, with every command the
command line does not name replaced by a stand-in that has the same name and help text but no
parameters. typer's own builders still build everything, so the listing in `taizhang --help` (names,
one-line help, order, groups) and the named command (its options, its help, its behaviour) are
exactly what the full app gives; tests/test_cli_lazy.py compares the two.
"""

import copy
import sys
from typing import Any, Callable

import typer
from typer.main import get_command_name
from typer.models import CommandInfo, DefaultPlaceholder, TyperInfo


def run(app: typer.Typer) -> Any:
    """`app()`, with the commands sys.argv does not name left unbuilt.

    click still reads sys.argv itself (on Windows it expands wildcards only then).
    """
    return pruned(app, sys.argv[1:])()


def pruned(app: typer.Typer, args: list[str]) -> typer.Typer:
    """A copy of `app` in which only the (sub)commands on the path `args` names are real.

    A group with its own callback may take options before its subcommand; it is kept whole, since
    which token names the subcommand is then not known before click parses it.
    """
    if _has_callback(app):
        return app
    name = next((a for a in args if not a.startswith("-")), None)
    rest = args[args.index(name) + 1:] if name is not None else []
    copied = copy.copy(app)
    copied.registered_commands = [
        info if _command_name(info) == name else _stand_in_command(info) for info in app.registered_commands
    ]
    copied.registered_groups = [_group(info, name, rest) for info in app.registered_groups]
    return copied


def _has_callback(app: typer.Typer) -> bool:
    callback = app.info.callback
    if isinstance(callback, DefaultPlaceholder):
        callback = callback.value
    return app.registered_callback is not None or callback is not None


def _command_name(info: CommandInfo) -> str:
    assert info.callback is not None, "a typer command always has a callback"
    return info.name or get_command_name(info.callback.__name__)


def _stand_in_command(info: CommandInfo) -> CommandInfo:
    """The same command for the listing: name, help, short help, hidden, deprecated; no parameters."""
    stand_in = copy.copy(info)
    stand_in.name = _command_name(info)
    stand_in.callback = _unbuilt(info.callback)
    return stand_in


def _group(info: TyperInfo, name: str | None, rest: list[str]) -> TyperInfo:
    """A sub-app: pruned further down the command line when it is the one named, else emptied."""
    if info.name is None or info.typer_instance is None:  # merged into its parent: keep as it is
        return info
    sub = copy.copy(info)
    if info.name == name:
        sub.typer_instance = pruned(info.typer_instance, rest)
    else:  # its own help and callback stay (typer takes the group's help from them), its commands go
        empty = copy.copy(info.typer_instance)
        empty.registered_commands = []
        empty.registered_groups = []
        sub.typer_instance = empty
    return sub


def _unbuilt(callback: Callable[..., Any] | None) -> Callable[[], None]:
    """A callback without parameters that carries the original's docstring (typer's help text)."""

    def unbuilt() -> None:
        raise RuntimeError(f"{getattr(callback, '__name__', callback)} was not built for this command line")

    unbuilt.__doc__ = getattr(callback, "__doc__", None)
    return unbuilt
