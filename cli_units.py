"""taizhang units …：单位名录的列出、生成与核对。

The `units` sub-app over validator/units.py and validator/coverage.py; cli.py adds it to the app.
"""

from __future__ import annotations  # options are evaluated only for the command typer builds (cli_lazy.py)

from pathlib import Path
from typing import Annotated, Optional

import typer

from taizhang.cli_shared import (Lang, LangOpt, TypeOpt, UnitsOpt, YearOpt, fail, problem_message,
                                 refuse_input_as_output, say, user_errors, write_output)

units_app = typer.Typer(help="单位名录：列出与核对单位名称。Unit registries.", no_args_is_help=True)


@units_app.command("list")
def units_list(units: UnitsOpt = None) -> None:
    """列出名录中的单位、别名与更名。List the units of a registry."""
    from taizhang.validator.units import Registry, RegistryError

    try:
        reg = Registry.from_option(units)
    except RegistryError as exc:
        fail(str(exc))
    for u in reg.units:
        extra = f"  别名: {'、'.join(u.aliases)}" if u.aliases else ""
        if u.renamed_to:
            extra += f"  已更名为 {u.renamed_to}（{u.renamed_on}）"
        say(f"{u.name}{extra}  [{u.registry}]\n")


@units_app.command("init")
def units_init(
    ledger: Annotated[Path, typer.Argument(help="台账文件。The ledger whose units to list.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="名录文件（.csv 或 .yaml）。Registry file to write.")],
    ledger_type: TypeOpt = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作表名称或序号（从 1 起）。")] = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """从台账用到的单位生成名录文件，核对后用 --units 传入。Write a registry from a ledger's units.

    示例 / example:

      taizhang units init 整改台账.xlsx -o 单位名录.csv
    """
    from taizhang.validator.coverage import ledger_units, registry_rows, registry_text
    from taizhang.validator.reader import read_ledger
    from taizhang.validator.units import Registry
    from taizhang.validator.validate import Options, resolve_type

    zh = lang == Lang.zh
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".yaml", ".yml"):
        fail(f"名录文件应为 .csv 或 .yaml：{output}" if zh else f"the registry file must be .csv or .yaml: {output}")
    refuse_input_as_output(output, [ledger], lang)
    with user_errors(lang, ledger):
        led = read_ledger(ledger, ledger_type=resolve_type(Options(ledger_type=ledger_type)), sheet=sheet)
        rows = registry_rows(ledger_units(led, Registry.builtin()))
        if not rows:
            fail(f"{ledger}：台账中没有单位列或单位名称" if zh else f"{ledger}: the ledger names no units")
        write_output(registry_text(rows, ".csv" if suffix == ".csv" else ".yaml"), output)
    say((f"已写入 {output}：{len(rows)} 个单位。核对后校验时加 --units {output}" if zh else
          f"wrote {output}: {len(rows)} units. Review it, then validate with --units {output}") + "\n")


@units_app.command("check")
def units_check(
    names: Annotated[list[str], typer.Argument(help="要核对的单位名称（可含多个，用顿号分隔）。")],
    units: UnitsOpt = None,
    year: YearOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """核对单位名称是否在名录中。Check unit names against a registry (exit 1 if unknown)."""
    from taizhang.validator.findings import RULES
    from taizhang.validator.units import Registry, RegistryError

    try:
        reg = Registry.from_option(units)
    except RegistryError as exc:
        fail(str(exc))
    bad = False
    for text in names:
        problems = reg.check(text, year)
        flagged = {p.params.get("unit") for p in problems}
        for n in reg.split(text):
            unit = reg.resolve(n)
            if unit is not None and n not in flagged:
                say(f"✓ {n} → {unit.name}\n")
        for p in problems:
            error = RULES[p.code].severity == "error"
            bad = bad or error
            say(f"{'✗' if error else '⚠'} {problem_message(p, text, lang.value)}\n")
    if bad:
        raise typer.Exit(1)
