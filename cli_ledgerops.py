"""taizhang rollup / template / import / split / merge：生成、分发、合并、汇总台账。

The front door of the ledger operations (ledgerops/): parse options, refuse what would touch an
input or cannot be written, call the core and print its summary. cli.py registers these commands;
no rule lives here.
"""

from __future__ import annotations  # options are evaluated only for the command typer builds (cli_lazy.py)

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from taizhang.cli_shared import (Lang, LangOpt, TypeOpt, UnitsOpt, YearOpt, fail, refuse_input_as_output,
                                 require_writable_folder, say, user_errors)


def rollup_cmd(
    master: Annotated[Path, typer.Argument(help="总台账（合并后的台账）。Master ledger.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="截至日期，如 2019-06-27；默认今天。As-of date.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="写出汇总工作簿（.xlsx）。Roll-up workbook.")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="写出 JSON 汇总（- 为屏幕）。JSON file.")] = None,
    previous: Annotated[Optional[Path], typer.Option("--previous", help="上次的汇总（.xlsx / .json）或总台账：显示各单位的变化。")] = None,
    ledger_type: TypeOpt = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="工作表名称或序号（从 1 起）。")] = None,
    year: YearOpt = None,
    units: UnitsOpt = None,
    rules_file: Annotated[Optional[Path], typer.Option("--rules", help="状态规则文件；默认 templates/status-rules.yaml。")] = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """汇总总台账：每项的状态（及判定规则）、逾期事项、按单位和分类计数。

    一行有多个责任单位时每个单位各计一次。逾期：节点日期早于截至日期且事项未完成（持续实施的不计）。

    示例 / examples:

      taizhang rollup 总台账.xlsx --as-of 2019-06-27 -o 汇总.xlsx

      taizhang rollup 总台账.xlsx -o 汇总-0926.xlsx --previous 汇总-0627.xlsx --json 汇总.json
    """
    import datetime as dt
    import json

    from taizhang.ledgerops.rollup import StatusRulesError, parse_as_of, render_summary, rollup
    from taizhang.ledgerops.safe_write import OutputLocked, write_atomic, write_text_atomic
    from taizhang.validator.filecheck import ReadError

    zh = lang == Lang.zh
    if output is not None and output.suffix.lower() != ".xlsx":
        fail(f"{output}：汇总工作簿须保存为 .xlsx。" if zh else f"{output}: the roll-up workbook must be an .xlsx file.")
    inputs = {p.resolve() for p in (master, previous) if p is not None}
    for target in (output, json_out):
        if target is not None and str(target) != "-" and target.resolve() in inputs:
            fail(f"{target}：输出文件不能是输入文件（输入文件从不改动）。" if zh else
                  f"{target}: the output cannot be an input file (inputs are never modified).")
    try:
        day = parse_as_of(as_of) if as_of else dt.date.today()
    except ValueError:
        fail(f"--as-of「{as_of}」不是日期，请写成 2019-06-27。" if zh else f"--as-of '{as_of}' is not a date (use 2019-06-27).")
    try:
        result = rollup(master, day, previous, ledger_type=ledger_type, sheet=sheet, year=year, units=units,
                        rules=rules_file)
    except ReadError as exc:
        fail(exc.message(lang.value))
    except StatusRulesError as exc:
        fail(str(exc))
    written = []
    try:
        if output is not None:
            from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx

            write_atomic(output, lambda tmp: write_rollup_xlsx(result, tmp))
            written.append(str(output))
        if json_out is not None:
            text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
            if str(json_out) == "-":
                say(text)
                return
            write_text_atomic(json_out, text)
            written.append(str(json_out))
    except OutputLocked as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"无法写出汇总：{exc}" if zh else f"cannot write the roll-up: {exc}")
    say(render_summary(result, lang.value))
    if written:
        say(("已写入 " if zh else "Written: ") + "、".join(written) + "\n")


def template(
    ledger_type: Annotated[str, typer.Argument(metavar="TYPE", help="台账类型：内置名称（见 taizhang types）或 YAML 文件。Ledger type.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="模板文件 .xlsx。Output file.")],
    units: UnitsOpt = None,
    title: Annotated[Optional[str], typer.Option("--title", help="标题行；默认“<年份> 年<类型标题>”。Title row.")] = None,
    year: YearOpt = None,
    password: Annotated[Optional[str], typer.Option("--password", help="工作表保护密码；默认保护但不设密码。Protection password.")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件。Overwrite an existing file.")] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """生成台账模板：单位下拉列表、每列填写提示、电话与时限按文本、锁定改革办的列、打印设置。

    示例 / examples:

      taizhang template reform-ledger -o 2019年工作台账.xlsx --year 2019 --units 大连市
    """
    from taizhang.ledgerops.template import TemplateError, build_template, registry_units
    from taizhang.validator.ledger_types import LedgerTypeError
    from taizhang.validator.units import RegistryError

    zh = lang == Lang.zh
    if output.exists() and not force:
        fail(f"{output} 已存在，未写入；要覆盖请加 --force。" if zh else f"{output} exists, nothing written; pass --force to overwrite.")
    try:
        with user_errors(lang):
            path = build_template(ledger_type, output, units=units, title=title, year=year, password=password)
            count = len(registry_units(units))
    except (TemplateError, LedgerTypeError, RegistryError) as exc:
        fail(str(exc))
    lock = ("有密码" if password else "无密码") if zh else ("with password" if password else "no password")
    say(f"已生成模板 {path}：单位下拉 {count} 个，工作表已保护（{lock}）。\n" if zh
         else f"Template written to {path}: {count} units in the dropdowns, sheet protected ({lock}).\n")


def import_cmd(
    notice: Annotated[Path, typer.Argument(help="通知文件：.docx（正文和表格）或 .txt（UTF-8 / GB18030）。Notice file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="要生成的台账 .xlsx。Ledger to write.")],
    ledger_type: Annotated[Optional[str], typer.Option("--type", "-t", help="台账类型；默认：表格按表头识别，正文分牵头/配合时用 key-tasks，否则 reform-ledger。")] = None,
    year: YearOpt = None,
    units: UnitsOpt = None,
    title: Annotated[Optional[str], typer.Option("--title", help="台账标题；默认由通知标题得出。Title row.")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件。Overwrite an existing file.")] = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """由通知生成台账：编号任务（一、（一）1.）、责任单位（牵头/配合/分别负责）、正文中的时限，或 Word 表格逐行导入。

    打印任务、子项、单位的数目和校验结果。单位按名录核对，未知单位按原文保留并报告。

    示例 / examples:

      taizhang import 通知.docx -o 2019年工作台账.xlsx

      taizhang import 分工方案.txt --type key-tasks --units 辽宁省卫生健康委 -o 台账.xlsx
    """
    from taizhang.ledgerops.importer import import_notice, report_text
    from taizhang.ledgerops.template import TemplateError
    from taizhang.validator.units import RegistryError

    zh = lang == Lang.zh
    if output.exists() and not force:
        fail(f"{output} 已存在，未写入；要覆盖请加 --force。" if zh else f"{output} exists, nothing written; pass --force to overwrite.")
    try:
        with user_errors(lang, notice):
            result = import_notice(notice, output, ledger_type=ledger_type, year=year, units=units, title=title)
    except (TemplateError, RegistryError) as exc:
        fail(str(exc))
    say(report_text(result, lang.value))


def split(
    master: Annotated[Path, typer.Argument(help="总台账 .xlsx（也可 .xls .csv）。Master ledger.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="写入分发文件的文件夹。Output folder.")],
    by: Annotated[Optional[str], typer.Option("--by", help="按哪一列分发；默认联系人列，没有则责任单位列。Column to split on.")] = None,
    ledger_type: TypeOpt = None,
    lang: LangOpt = Lang.zh,
    force: Annotated[bool, typer.Option("--force", help="文件夹中已有同名文件时覆盖（原文件先备份）。Replace files already there, backed up first.")] = False,
) -> None:
    """分发：每个处室（或联系人）一个文件，只含自己的行，保留原表格式。

    一格写了几个人或几个单位时，这一行进入每个人的文件；该列为空的行进入 未指定.xlsx。
    只有可编辑列（如 推进情况、联系人、联系电话）解除锁定；文件带有隐藏的 _taizhang 工作表，
    合并时据此对应行并统计谁未报送。

    文件夹中已有同名文件（可能已有处室填写）时不写入任何文件，除非加 --force（原文件先备份）。

    退出码：0 成功；2 无法读取、列名不对、已有同名文件或输出文件正在 Excel 中打开。

    示例 / examples:

      taizhang split 总台账.xlsx -o 分发/

      taizhang split 总台账.xlsx --by 责任单位 -o 分发/
    """
    from taizhang.ledgerops.split import split_ledger

    with user_errors(lang, master):
        result = split_ledger(master, output, by, ledger_type=ledger_type, force=force)
    say(result.summary_text(lang.value))


def merge(
    master: Annotated[Path, typer.Argument(help="总台账（基准）。Master ledger (the base).")],
    inputs: Annotated[list[Path], typer.Argument(help="报送文件或文件夹。Submissions: files or folders.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="合并结果 .xlsx（与总台账相同时须加 --in-place）。")],
    report: Annotated[Optional[Path], typer.Option("--report", help="写出 JSON 报告。JSON report.")] = None,
    accept_new_rows: Annotated[bool, typer.Option("--accept-new-rows", help="把报送中新增的行加入其任务。Add new rows.")] = False,
    in_place: Annotated[bool, typer.Option("--in-place", help="允许 -o 与总台账相同：替换总台账，先自动备份。")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="合并结果中任何校验错误都返回 1（默认只看本次修改的单元格）。")] = False,
    ledger_type: TypeOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """合并报送：按单元格三方合并，输入文件不改动（除非 --in-place）。

    行按序号和内容对应（不按位置）。可编辑列的修改直接应用（值不合规也应用，并标红列入 findings）；
    锁定列的修改不应用；两份报送把同一格改成不同的值为冲突，保留原值并列出各方提议。
    输出中修改过的格为浅绿，冲突为橙色并附批注，另有「合并记录」「冲突」工作表。

    退出码：0 无需处理；1 有冲突、未应用的修改、跳过的文件，或本次修改的单元格有校验错误（--strict：结果中任何校验错误）；
    2 未合并（总台账无法读取、输出被占用、用法错误）。

    示例 / examples:

      taizhang merge 总台账.xlsx 报送/ -o 总台账-合并.xlsx --report 合并报告.json
    """
    from taizhang.ledgerops.merge import merge_ledgers

    refuse_input_as_output(output, inputs, lang)  # OUT may be MASTER (with --in-place), never a submission
    if not in_place and output.resolve() == master.resolve():
        fail("输出与总台账是同一个文件：加 --in-place 确认替换总台账（会先自动备份），或用 -o 指定新文件；未合并。"
              if lang == Lang.zh else "OUT is the master itself: add --in-place to replace it (a backup is kept "
              "first), or choose another -o; nothing merged.")
    refuse_input_as_output(report, [master, *inputs], lang)
    for target in (output, report):  # both are written at the end: find out now that they cannot be
        require_writable_folder(target, lang)
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:  # a mistyped path is a usage error, not a skipped submission
        fail(f"找不到报送文件或文件夹：{'、'.join(missing)}；未合并。" if lang == Lang.zh
              else f"No such submission file or folder: {', '.join(missing)}; nothing merged.")
    bar: dict = {}

    def progress(done: int, total: int, path: Path) -> None:
        if total < 10 or not sys.stderr.isatty():
            return
        if not bar:
            from rich.console import Console
            from rich.progress import Progress

            bar["p"] = Progress(console=Console(stderr=True), transient=True)
            bar["p"].start()
            bar["t"] = bar["p"].add_task("合并报送" if lang == Lang.zh else "merging", total=total)
        done_text = "写出合并结果" if lang == Lang.zh else "writing the output"
        bar["p"].update(bar["t"], completed=done, description=done_text if done == total else path.name[:30])

    try:
        with user_errors(lang, master):
            result = merge_ledgers(master, inputs, output, report=report, accept_new_rows=accept_new_rows,
                                   ledger_type=ledger_type, lang=lang.value, progress=progress)
    finally:
        if bar:
            bar["p"].stop()
    say(result.summary_text(lang.value))
    raise typer.Exit(result.exit_code(strict))
