"""taizhang validate / inspect / types / rules / parse-deadline：校验台账，并说明它是如何被读懂和检查的。

The front door of the validator (validator/): check ledgers, show how one was read, and print
the catalogue behind the checks (ledger types, finding rules, how a deadline text is parsed).
cli.py registers these commands; no rule lives here.
"""

from __future__ import annotations  # options are evaluated only for the command typer builds (cli_lazy.py)

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from taizhang.cli_shared import (Lang, LangOpt, TypeOpt, UnitsOpt, YearOpt, fail, note, problem_message,
                                 refuse_input_as_output, say, user_errors, write_output)


class Format(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"
    sarif = "sarif"


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
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="同时校验的进程数（多个文件时；0 = CPU 核数）。Processes.")] = 1,
) -> None:
    """校验台账：必填项、序号、完成时限、责任单位、联系人与电话。

    退出码：0 无错误；1 有错误（--strict 时警告也算）；2 用法错误或有文件无法读取。

    示例 / examples:

      taizhang validate examples/000_dalian_2019_reform_ledger.xlsx

      taizhang validate 台账/ --format junit -o report.xml

      taizhang validate 报送/ --jobs 0          # 每个 CPU 核一个进程
    """
    from functools import partial

    from taizhang.validator.report import prepare, render, summary
    from taizhang.validator.validate import Options, collect_paths, validate_files

    from taizhang.validator.metadata import OUTPUT_TYPES

    skipped: list[tuple[Path, str]] = []
    files = collect_paths(paths, skipped)
    for path, kind in skipped:
        what = OUTPUT_TYPES[kind][0 if lang == Lang.zh else 1]
        note(f"跳过 {path}：这是 taizhang 生成的{what}，不是台账（直接指定该文件仍可校验）" if lang == Lang.zh else
              f"skipped {path}: a {what} written by taizhang, not a ledger (name the file to validate it anyway)")
    refuse_input_as_output(output, files, lang)
    if not files:
        fail("没有找到要校验的表格文件。" if lang == Lang.zh else "No spreadsheet files found.")
    options = Options(ledger_type=ledger_type, sheet=sheet, year=year, units=units, area_code=area_code)
    results = validate_files(files, options, jobs, each=partial(prepare, fmt=fmt.value, lang=lang.value))
    with user_errors(lang):
        write_output(render(results, fmt.value, lang.value), output, inert=True)
    s = summary(results)
    if s["unreadable"]:
        raise typer.Exit(2)
    if s["errors"] or (strict and s["warnings"]):
        raise typer.Exit(1)


class InspectFormat(str, Enum):
    text = "text"
    json = "json"


def inspect(
    path: Annotated[Path, typer.Argument(help="台账文件（.xlsx .xlsm .xls .csv）。A ledger file.")],
    ledger_type: TypeOpt = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作表名称或序号（从 1 起）。Sheet name or 1-based index.")] = None,
    year: YearOpt = None,
    fmt: Annotated[InspectFormat, typer.Option("--format", "-f", help="输出格式 text|json。")] = InspectFormat.text,
    lang: LangOpt = Lang.zh,
) -> None:
    """查看台账是如何被读懂的：选了哪张表及原因、表头行、每列的角色及依据、每行的类别。

    认错了列，可在台账的 _taizhang 工作表中加一行「列:表头」=「类型中的列名」（或 - 表示不用），
    或用 --type 指定自己的 YAML 类型（在 aliases 中写上本台账的表头）。

    示例 / example:

      taizhang inspect examples/000_dalian_2019_reform_ledger.xlsx
    """
    from taizhang.validator.inspect import inspect_file, render_text, to_json

    with user_errors(lang, path):
        doc = inspect_file(path, ledger_type=ledger_type, sheet=sheet, year=year)
    say(to_json(doc) if fmt == InspectFormat.json else render_text(doc, lang.value))


def types(
    name: Annotated[Optional[str], typer.Argument(help="类型名称：列出它的各列。A type name: list its columns.")] = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """列出内置台账类型，每个一行；给出名称时列出该类型的各列。List the built-in ledger types."""
    from taizhang.validator.ledger_types import LedgerTypeError, builtin_types, get_type

    zh = lang == Lang.zh
    if name is None:
        for t in builtin_types().values():
            say(f"{t.name:<18} {t.title}：{t.description}\n")
        say("\n" + ("taizhang types 名称 查看各列；未声明类型的台账按各列的作用检查（通用台账）。" if zh else
                      "taizhang types NAME lists its columns; a ledger of no declared type is checked by its columns' roles.")
             + "\n")
        return
    try:
        t = get_type(name)
    except LedgerTypeError as exc:
        fail(str(exc))
    say(f"{t.name}  {t.title}  (v{t.version})\n  {t.description}\n")
    for c in t.columns:
        flags = [c.role]
        if c.required:
            flags.append("必填" if zh else "required")
        if c.editable:
            flags.append("可编辑" if zh else "editable")
        if c.level == "task":
            flags.append("任务级" if zh else "task-level")
        alias = (f"  {'别名' if zh else 'aliases'}: {'、'.join(c.aliases)}") if c.aliases else ""
        say(f"    - {c.name} [{', '.join(flags)}]{alias}\n")


def rules(
    code: Annotated[Optional[str], typer.Argument(help="规则代码，如 missing-contact。Rule code.")] = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """列出所有问题代码，或查看一条规则的说明。Print the finding catalogue."""
    from taizhang.validator.findings import FILE_ERROR_DOCS, FILE_ERRORS, RULES

    zh = lang == Lang.zh
    labels = ("做什么", "为什么", "示例", "应改为") if zh else ("What", "Why", "Example", "Instead")
    if code in FILE_ERRORS:
        why_zh, why_en, sample, fix_zh, fix_en = FILE_ERROR_DOCS[code]
        title = FILE_ERRORS[code][0 if zh else 1]
        say((f"{code}（文件级错误，退出码 2）" if zh else f"{code} (file error, exit code 2) ") + f"{title}\n"
             f"  {labels[0]}: " + ("整个文件无法校验，只给出一行说明，同一次调用中的其他文件照常校验" if zh else
                                   "the whole file cannot be checked: one line, the other files are still checked")
             + f"\n  {labels[1]}: {why_zh if zh else why_en}\n  {labels[2]}: {sample}\n"
               f"  {labels[3]}: {fix_zh if zh else fix_en}\n")
        return
    if code:
        from taizhang.validator.rule_examples import example_findings

        rule = RULES.get(code)
        if rule is None:
            known = "、".join([*RULES, *FILE_ERRORS]) if zh else ", ".join([*RULES, *FILE_ERRORS])
            fail(f"没有规则「{code}」。可用：{known}" if zh else f"No rule '{code}'. Known: {known}")
        example = example_findings().get(code)
        shown = example.message(lang.value) if example else rule.sample(lang.value)
        severity = ("错误" if rule.severity == "error" else "警告") if zh else rule.severity
        say((f"{rule.code}（{severity}）" if zh else f"{rule.code} ({severity}) ") + f"{rule.title(lang.value)}\n"
             f"  {labels[0]}: {shown}\n"
             f"  {labels[1]}: {rule.why_zh if zh else rule.why_en}\n"
             f"  {labels[2]}: {rule.example}\n"
             f"  {labels[3]}: {rule.fix_zh if zh else rule.fix_en}\n")
        return
    error, warning, example = ("错误", "警告", "例") if zh else ("error", "warning", "e.g.")
    for rule in RULES.values():
        severity = error if rule.severity == "error" else warning
        say(f"{rule.code:<24} {severity:<8} {rule.title(lang.value)}  {example}: {rule.example}\n")
    say("\n" + ("文件级错误（退出码 2）：" if zh else "File errors (exit code 2):") + "\n")
    for c, (tzh, ten) in FILE_ERRORS.items():
        say(f"{c:<24} {error:<8} {tzh if zh else ten}\n")


def parse_deadline_cmd(
    text: Annotated[str, typer.Argument(help="完成时限文字，如 \"7月底出方案。 9月底完成考核工作。\"")],
    year: YearOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """解析一段完成时限文字，打印识别出的节点（调试用）。Parse a deadline text."""
    import json

    from taizhang.validator.deadlines import parse_deadline
    from taizhang.validator.findings import RULES

    d = parse_deadline(text, year)
    doc = d.to_dict()
    doc["problems"] = [
        {"code": p.code, "severity": RULES[p.code].severity,
         "message": problem_message(p, text, lang.value)} for p in d.problems
    ]
    say(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
