"""taizhang 命令行：与 Excel 加载项同一套引擎，供人和 CI 使用。

The terminal front door. It parses options, calls the core packages and renders what they
return; no rule lives here. Heavy imports (pandas, pandera) happen inside the commands so that
`taizhang --help` starts as fast as typer itself.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(
    name="taizhang",
    help="台账：校验、分发、合并、汇总工作台账。Validate, split, merge and roll up work ledgers (工作台账).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
units_app = typer.Typer(help="单位名录：列出与核对单位名称。Unit registries.", no_args_is_help=True)
app.add_typer(units_app, name="units")
addin_app = typer.Typer(help="Excel 加载项：生成与安装 taizhang.xlam。Excel ribbon add-in.", no_args_is_help=True)
app.add_typer(addin_app, name="addin")


class Format(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


LangOpt = Annotated[Lang, typer.Option("--lang", help="消息语言 zh|en。Message language.")]
TypeOpt = Annotated[Optional[str], typer.Option("--type", "-t", help="台账类型（名称或 YAML 文件）；默认按表头识别。Ledger type.")]
UnitsOpt = Annotated[Optional[str], typer.Option("--units", help="单位名录：内置名称（如 大连市）或 csv/xlsx/yaml 文件。Unit registry.")]
YearOpt = Annotated[Optional[int], typer.Option("--year", help="台账年份；默认取标题中的年份。Ledger year.")]


def _say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


def _write_output(text: str, output: Path | None) -> None:
    if output is None:
        _say(text)
        return
    from ledgerops.safe_write import write_text_atomic

    write_text_atomic(output, text)


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="台账文件或文件夹（.xlsx .xlsm .xls .csv）。Files or folders.")],
    ledger_type: TypeOpt = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作表名称或序号（从 1 起）。Sheet name or 1-based index.")] = None,
    year: YearOpt = None,
    units: UnitsOpt = None,
    area_code: Annotated[Optional[str], typer.Option("--area-code", help="8 位座机号码的默认区号，如 0411。")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="输出格式 text|json|junit|github|sarif。")] = Format.text,
    lang: LangOpt = Lang.zh,
    strict: Annotated[bool, typer.Option("--strict", help="有警告也返回 1。Warnings fail too.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="写入文件而不是屏幕。Write to a file.")] = None,
) -> None:
    """校验台账：必填项、序号、完成时限、责任单位、联系人与电话。

    退出码：0 无错误；1 有错误（--strict 时警告也算）；2 用法错误或有文件无法读取。

    示例 / examples:

      taizhang validate examples/000_dalian_2019_reform_ledger.xlsx

      taizhang validate 台账/ --format junit -o report.xml
    """
    from validator.report import render, summary
    from validator.validate import Options, collect_paths, validate_file

    files = collect_paths(paths)
    if not files:
        _fail("没有找到要校验的表格文件。" if lang == Lang.zh else "No spreadsheet files found.")
    options = Options(ledger_type=ledger_type, sheet=sheet, year=year, units=units, area_code=area_code)
    results = [validate_file(p, options) for p in files]
    _write_output(render(results, fmt.value, lang.value), output)
    s = summary(results)
    if s["unreadable"]:
        raise typer.Exit(2)
    if s["errors"] or (strict and s["warnings"]):
        raise typer.Exit(1)


@app.command()
def types(lang: LangOpt = Lang.zh) -> None:
    """列出内置台账类型及其列。List the built-in ledger types."""
    from validator.ledger_types import builtin_types

    for t in builtin_types().values():
        _say(f"{t.name}  {t.title}  (v{t.version})\n  {t.description}\n")
        for c in t.columns:
            flags = [c.role]
            if c.required:
                flags.append("必填" if lang == Lang.zh else "required")
            if c.editable:
                flags.append("可编辑" if lang == Lang.zh else "editable")
            if c.level == "task":
                flags.append("任务级" if lang == Lang.zh else "task-level")
            alias = f"  别名: {'、'.join(c.aliases)}" if c.aliases else ""
            _say(f"    - {c.name} [{', '.join(flags)}]{alias}\n")


@app.command()
def rules(
    code: Annotated[Optional[str], typer.Argument(help="规则代码，如 missing-contact。Rule code.")] = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """列出所有问题代码，或查看一条规则的说明。Print the finding catalogue."""
    from validator.findings import FILE_ERRORS, RULES

    zh = lang == Lang.zh
    if code:
        rule = RULES.get(code)
        if rule is None:
            _fail(f"没有规则「{code}」。可用：{'、'.join(RULES)}" if zh else f"No rule '{code}'.")
        labels = ("做什么", "为什么", "示例", "应改为") if zh else ("What", "Why", "Example", "Instead")
        _say(f"{rule.code} ({rule.severity}) {rule.title(lang.value)}\n"
             f"  {labels[0]}: {rule.template_zh if zh else rule.template_en}\n"
             f"  {labels[1]}: {rule.why_zh if zh else rule.why_en}\n"
             f"  {labels[2]}: {rule.example}\n"
             f"  {labels[3]}: {rule.fix_zh if zh else rule.fix_en}\n")
        return
    for rule in RULES.values():
        _say(f"{rule.code:<24} {rule.severity:<8} {rule.title(lang.value)}  例: {rule.example}\n")
    _say("\n" + ("文件级错误：" if zh else "File errors:") + "\n")
    for c, (tzh, ten) in FILE_ERRORS.items():
        _say(f"{c:<24} {'error':<8} {tzh if zh else ten}\n")


@app.command("parse-deadline")
def parse_deadline_cmd(
    text: Annotated[str, typer.Argument(help="完成时限文字，如 \"7月底出方案。 9月底完成考核工作。\"")],
    year: YearOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """解析一段完成时限文字，打印识别出的节点（调试用）。Parse a deadline text."""
    import json

    from validator.deadlines import parse_deadline
    from validator.findings import RULES

    d = parse_deadline(text, year)
    doc = d.to_dict()
    doc["problems"] = [
        {"code": p.code, "severity": RULES[p.code].severity,
         "message": _problem_message(p, text, lang.value)} for p in d.problems
    ]
    _say(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _problem_message(problem, value: str, lang: str) -> str:
    from validator.findings import Finding

    return Finding(problem.code, "", None, None, None, value, dict(problem.params)).message(lang)


@units_app.command("list")
def units_list(units: UnitsOpt = None) -> None:
    """列出名录中的单位、别名与更名。List the units of a registry."""
    from validator.units import Registry, RegistryError

    try:
        reg = Registry.from_option(units)
    except RegistryError as exc:
        _fail(str(exc))
    for u in reg.units:
        extra = f"  别名: {'、'.join(u.aliases)}" if u.aliases else ""
        if u.renamed_to:
            extra += f"  已更名为 {u.renamed_to}（{u.renamed_on}）"
        _say(f"{u.name}{extra}  [{u.registry}]\n")


@units_app.command("check")
def units_check(
    names: Annotated[list[str], typer.Argument(help="要核对的单位名称（可含多个，用顿号分隔）。")],
    units: UnitsOpt = None,
    year: YearOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """核对单位名称是否在名录中。Check unit names against a registry (exit 1 if unknown)."""
    from validator.findings import RULES
    from validator.units import Registry, RegistryError

    try:
        reg = Registry.from_option(units)
    except RegistryError as exc:
        _fail(str(exc))
    bad = False
    for text in names:
        problems = reg.check(text, year)
        parts = reg.split(text)
        ok = [n for n in parts if reg.resolve(n)]
        for n in ok:
            _say(f"✓ {n} → {reg.resolve(n).name}\n")
        for p in problems:
            bad = bad or RULES[p.code].severity == "error"
            _say(f"✗ {_problem_message(p, text, lang.value)}\n")
    if bad:
        raise typer.Exit(1)


@addin_app.command("build")
def addin_build(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹。Output folder.")] = Path("."),
) -> None:
    """生成 taizhang.xlam（功能区“台账”选项卡），任何操作系统均可。Build the .xlam."""
    from addin.xlam import build_xlam

    try:
        path = build_xlam(out_dir)
    except (OSError, RuntimeError, ValueError) as exc:
        _fail(f"无法生成加载项：{exc}")
    _say(f"已生成 {path}\n在 Excel 中：文件 → 选项 → 加载项 → 管理 Excel 加载项 → 浏览，选中该文件；或运行 taizhang addin install。\n")


@addin_app.command("install")
def addin_install() -> None:
    """生成并安装到 Excel 的启动文件夹（Windows / macOS）。Build and install for Excel."""
    import tempfile

    from addin.xlam import build_xlam, install_xlam

    try:
        with tempfile.TemporaryDirectory() as tmp:
            target = install_xlam(build_xlam(Path(tmp)))
    except (OSError, RuntimeError, ValueError) as exc:
        _fail(str(exc))
    _say(f"已安装到 {target}，重新启动 Excel 后可见“台账”选项卡。\n")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("已中断。\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
