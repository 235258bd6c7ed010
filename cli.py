"""taizhang 命令行：与 Excel 加载项同一套引擎，供人和 CI 使用。

The terminal front door. It parses options, calls the core packages and renders what they
return; no rule lives here. Heavy imports (pandas, pandera) happen inside the commands so that
`taizhang --help` starts as fast as typer itself.

This module makes the app and registers the commands, in the order `taizhang --help` lists them;
the commands live beside it, one module per part of the core they front (cli_validator,
cli_units, cli_addin, cli_ledgerops, cli_serve, cli_rounds), with what they share in cli_shared.
"""


import sys

import typer

from taizhang.cli_addin import addin_app
from taizhang.cli_ledgerops import import_cmd, merge, rollup_cmd, split, template
from taizhang.cli_rounds import history, round_app
from taizhang.cli_serve import serve
from taizhang.cli_units import units_app
from taizhang.cli_validator import inspect, parse_deadline_cmd, rules, types, validate

app = typer.Typer(
    name="taizhang",
    help="台账：校验、分发、合并、汇总工作台账。Validate, split, merge and roll up work ledgers (工作台账).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
app.add_typer(units_app, name="units")
app.add_typer(addin_app, name="addin")

# the order here is the order of `taizhang --help` (commands first, then the groups above and `round`)
app.command()(validate)
app.command()(inspect)
app.command()(types)
app.command()(rules)
app.command("parse-deadline")(parse_deadline_cmd)
app.command("rollup")(rollup_cmd)
app.command()(template)
app.command("import")(import_cmd)
app.command()(split)
app.command()(merge)
app.command()(serve)

# collection rounds (taizhang.rounds): `taizhang round ...` and `taizhang history`, in cli_rounds.py
app.add_typer(round_app, name="round")
app.command("history")(history)


def main() -> None:
    import os

    from taizhang.cli_lazy import run

    try:
        run(app)  # app(), building only the command the command line names (--help lists them all)
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        if os.environ.get("TAIZHANG_DEBUG"):
            raise
        sys.stderr.write(f"taizhang 内部错误：{type(exc).__name__}: {exc}\n"
                         "请报告此问题；设置环境变量 TAIZHANG_DEBUG=1 可查看详细信息。\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
