"""taizhang 命令行：与 Excel 加载项同一套引擎，供人和 CI 使用。

The terminal front door. It parses options, calls the core packages and renders what they
return; no rule lives here. Heavy imports (pandas, pandera) happen inside the commands so that
`taizhang --help` starts as fast as typer itself.
"""


import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator, Optional

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
YearOpt = Annotated[Optional[int], typer.Option("--year", min=1949, max=2100,
                                                 help="台账年份；默认取标题中的年份。Ledger year.")]


def _say(text: str, *, inert: bool = False) -> None:
    """Print `text`, its cell text shown as escapes so it never steers the terminal; `inert` says
    that is done already (a report: every renderer escapes what it writes, 15 ms saved on 1 MB)."""
    if not inert:
        from taizhang.validator.report import printable

        text = printable(text)
    sys.stdout.write(text)
    sys.stdout.flush()


def _note(message: str) -> None:
    """A remark for the person at the terminal, on stderr so machine formats on stdout stay clean."""
    sys.stderr.write(message.rstrip("\n") + "\n")


def _fail(message: str, code: int = 2) -> None:
    from taizhang.validator.report import printable

    sys.stderr.write(printable(message.rstrip("\n")) + "\n")
    raise typer.Exit(code)


@contextmanager
def _user_errors(lang: "Lang", path: Path | None = None) -> Iterator[None]:
    """Turn the core's user-facing errors into one line on stderr and exit code 2."""
    from taizhang.ledgerops.errors import LedgerOpError
    from taizhang.ledgerops.safe_write import OutputLocked
    from taizhang.validator.filecheck import ReadError

    try:
        yield
    except ReadError as exc:
        _fail(f"{path}：{exc.message(lang.value)}" if path else exc.message(lang.value))
    except LedgerOpError as exc:
        _fail(exc.message(lang.value))
    except OutputLocked as exc:
        _fail(str(exc))
    except OSError as exc:  # a folder that does not exist, no permission, a full disk
        from taizhang.ledgerops.safe_write import os_error_message

        _fail(os_error_message(exc, lang.value))


def _refuse_input_as_output(output: Path | None, inputs: list[Path], lang: "Lang") -> None:
    """Inputs are never modified: an output path naming one of them is a usage error."""
    if output is None or str(output) == "-":
        return
    target = output.resolve()
    files = set()
    for p in inputs:
        files.update(f.resolve() for f in (p.rglob("*") if p.is_dir() else [p]))
    if target in files:
        _fail(f"{output}：输出文件不能是输入文件（输入文件从不改动）。" if lang == Lang.zh else
              f"{output}: the output cannot be an input file (inputs are never modified).")


def _require_writable_folder(path: Path | None, lang: "Lang") -> None:
    import os

    if path is None:
        return
    folder = path.resolve().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # write_atomic creates the missing folders below this one
    if not os.access(folder, os.W_OK):
        _fail(f"无法写入 {path}：没有写入权限；未合并。" if lang == Lang.zh else f"cannot write {path}: permission denied; nothing merged.")


def _write_output(text: str, output: Path | None, *, inert: bool = False) -> None:
    if output is None:
        _say(text, inert=inert)
        return
    from taizhang.ledgerops.safe_write import write_text_atomic

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
        _note(f"跳过 {path}：这是 taizhang 生成的{what}，不是台账（直接指定该文件仍可校验）" if lang == Lang.zh else
              f"skipped {path}: a {what} written by taizhang, not a ledger (name the file to validate it anyway)")
    _refuse_input_as_output(output, files, lang)
    if not files:
        _fail("没有找到要校验的表格文件。" if lang == Lang.zh else "No spreadsheet files found.")
    options = Options(ledger_type=ledger_type, sheet=sheet, year=year, units=units, area_code=area_code)
    results = validate_files(files, options, jobs, each=partial(prepare, fmt=fmt.value, lang=lang.value))
    with _user_errors(lang):
        _write_output(render(results, fmt.value, lang.value), output, inert=True)
    s = summary(results)
    if s["unreadable"]:
        raise typer.Exit(2)
    if s["errors"] or (strict and s["warnings"]):
        raise typer.Exit(1)


class InspectFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
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

    with _user_errors(lang, path):
        doc = inspect_file(path, ledger_type=ledger_type, sheet=sheet, year=year)
    _say(to_json(doc) if fmt == InspectFormat.json else render_text(doc, lang.value))


@app.command()
def types(
    name: Annotated[Optional[str], typer.Argument(help="类型名称：列出它的各列。A type name: list its columns.")] = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """列出内置台账类型，每个一行；给出名称时列出该类型的各列。List the built-in ledger types."""
    from taizhang.validator.ledger_types import LedgerTypeError, builtin_types, get_type

    zh = lang == Lang.zh
    if name is None:
        for t in builtin_types().values():
            _say(f"{t.name:<18} {t.title}：{t.description}\n")
        _say("\n" + ("taizhang types 名称 查看各列；未声明类型的台账按各列的作用检查（通用台账）。" if zh else
                      "taizhang types NAME lists its columns; a ledger of no declared type is checked by its columns' roles.")
             + "\n")
        return
    try:
        t = get_type(name)
    except LedgerTypeError as exc:
        _fail(str(exc))
    _say(f"{t.name}  {t.title}  (v{t.version})\n  {t.description}\n")
    for c in t.columns:
        flags = [c.role]
        if c.required:
            flags.append("必填" if zh else "required")
        if c.editable:
            flags.append("可编辑" if zh else "editable")
        if c.level == "task":
            flags.append("任务级" if zh else "task-level")
        alias = (f"  {'别名' if zh else 'aliases'}: {'、'.join(c.aliases)}") if c.aliases else ""
        _say(f"    - {c.name} [{', '.join(flags)}]{alias}\n")


@app.command()
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
        _say((f"{code}（文件级错误，退出码 2）" if zh else f"{code} (file error, exit code 2) ") + f"{title}\n"
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
            _fail(f"没有规则「{code}」。可用：{known}" if zh else f"No rule '{code}'. Known: {known}")
        example = example_findings().get(code)
        shown = example.message(lang.value) if example else rule.sample(lang.value)
        severity = ("错误" if rule.severity == "error" else "警告") if zh else rule.severity
        _say((f"{rule.code}（{severity}）" if zh else f"{rule.code} ({severity}) ") + f"{rule.title(lang.value)}\n"
             f"  {labels[0]}: {shown}\n"
             f"  {labels[1]}: {rule.why_zh if zh else rule.why_en}\n"
             f"  {labels[2]}: {rule.example}\n"
             f"  {labels[3]}: {rule.fix_zh if zh else rule.fix_en}\n")
        return
    error, warning, example = ("错误", "警告", "例") if zh else ("error", "warning", "e.g.")
    for rule in RULES.values():
        severity = error if rule.severity == "error" else warning
        _say(f"{rule.code:<24} {severity:<8} {rule.title(lang.value)}  {example}: {rule.example}\n")
    _say("\n" + ("文件级错误（退出码 2）：" if zh else "File errors (exit code 2):") + "\n")
    for c, (tzh, ten) in FILE_ERRORS.items():
        _say(f"{c:<24} {error:<8} {tzh if zh else ten}\n")


@app.command("parse-deadline")
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
         "message": _problem_message(p, text, lang.value)} for p in d.problems
    ]
    _say(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def _problem_message(problem, value: str, lang: str) -> str:
    from taizhang.validator.findings import Finding

    return Finding(problem.code, "", None, None, None, value, dict(problem.params)).message(lang)


@units_app.command("list")
def units_list(units: UnitsOpt = None) -> None:
    """列出名录中的单位、别名与更名。List the units of a registry."""
    from taizhang.validator.units import Registry, RegistryError

    try:
        reg = Registry.from_option(units)
    except RegistryError as exc:
        _fail(str(exc))
    for u in reg.units:
        extra = f"  别名: {'、'.join(u.aliases)}" if u.aliases else ""
        if u.renamed_to:
            extra += f"  已更名为 {u.renamed_to}（{u.renamed_on}）"
        _say(f"{u.name}{extra}  [{u.registry}]\n")


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
        _fail(f"名录文件应为 .csv 或 .yaml：{output}" if zh else f"the registry file must be .csv or .yaml: {output}")
    _refuse_input_as_output(output, [ledger], lang)
    with _user_errors(lang, ledger):
        led = read_ledger(ledger, ledger_type=resolve_type(Options(ledger_type=ledger_type)), sheet=sheet)
        rows = registry_rows(ledger_units(led, Registry.builtin()))
        if not rows:
            _fail(f"{ledger}：台账中没有单位列或单位名称" if zh else f"{ledger}: the ledger names no units")
        _write_output(registry_text(rows, ".csv" if suffix == ".csv" else ".yaml"), output)
    _say((f"已写入 {output}：{len(rows)} 个单位。核对后校验时加 --units {output}" if zh else
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
        _fail(str(exc))
    bad = False
    for text in names:
        problems = reg.check(text, year)
        flagged = {p.params.get("unit") for p in problems}
        for n in reg.split(text):
            unit = reg.resolve(n)
            if unit is not None and n not in flagged:
                _say(f"✓ {n} → {unit.name}\n")
        for p in problems:
            error = RULES[p.code].severity == "error"
            bad = bad or error
            _say(f"{'✗' if error else '⚠'} {_problem_message(p, text, lang.value)}\n")
    if bad:
        raise typer.Exit(1)


@addin_app.command("build")
def addin_build(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹。Output folder.")] = Path("."),
    wps: Annotated[bool, typer.Option("--wps", help="生成 WPS 加载项离线包（taizhang.7z、jsplugins.xml、oem.ini 配置行）。")] = False,
    officejs: Annotated[bool, typer.Option("--officejs", help="生成 Excel 网页版 / Office.js 加载项清单（需 --url）。")] = False,
    url: Annotated[Optional[str], typer.Option("--url", help="台账服务地址（--officejs）或发布 WPS 离线包的地址（--wps）。")] = None,
    office_js: Annotated[Optional[str], typer.Option("--office-js", help="office.js 的地址（内网副本）；默认微软 CDN。")] = None,
) -> None:
    """生成 taizhang.xlam（功能区“台账”选项卡），任何操作系统均可；--wps / --officejs 生成另两种加载项。"""
    import shutil
    import tempfile

    if wps or officejs:
        _build_js_addin(out_dir, wps, officejs, url, office_js)
        return

    from taizhang.addin.xlam import build_xlam
    from taizhang.ledgerops.safe_write import write_atomic

    # -o names a folder (taizhang.xlam goes inside) or the .xlam file itself
    target = out_dir if out_dir.suffix.lower() == ".xlam" else out_dir / "taizhang.xlam"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            built = build_xlam(Path(tmp))
        except (OSError, RuntimeError, ValueError) as exc:
            _fail(f"无法生成加载项：{exc}")
        with _user_errors(Lang.zh):
            write_atomic(target, lambda t: shutil.copyfile(built, t))
    _say(f"已生成 {target}\n在 Excel 中：文件 → 选项 → 加载项 → 管理“Excel 加载项” → 转到 → 浏览，选中该文件；"
         "或运行 taizhang addin install。\n")


def _build_js_addin(out_dir: Path, wps: bool, officejs: bool, url: Optional[str], office_js: Optional[str]) -> None:
    """The WPS offline package or the Office.js manifest (thin clients of `taizhang serve`)."""
    if wps and officejs:
        _fail("--wps 与 --officejs 请分两次生成（输出不同的文件）。")
    try:
        if wps:
            from taizhang.addin.wps import build_wps

            built = build_wps(out_dir, url)
            _say(f"已生成 {built.package}\n{built.jsplugins}\n{built.oem_ini}\n"
                 "把 taizhang.7z 与 jsplugins.xml 放到各电脑能访问的地址（或用 --url 指定的台账服务），"
                 "再把 oem.ini.txt 中的几行加入每台电脑 WPS 的 oem.ini，重启 WPS 后可见“台账”选项卡。\n")
        else:
            from taizhang.addin.officejs import OFFICE_JS, build_officejs

            if not url:
                _fail("--officejs 需要 --url 台账服务地址，如 --url http://10.0.0.5:8765")
            manifest = build_officejs(out_dir, url, office_js or OFFICE_JS)
            _say(f"已生成 {manifest}\n任务窗格的页面与脚本在 {out_dir / 'addin' / 'officejs'}，由台账服务在 /addin/officejs/ 提供；"
                 "在 Excel 中：插入 → 加载项 → 上传我的加载项，选中清单文件（或由 Microsoft 365 管理员集中部署）。\n")
    except (OSError, ValueError, ImportError) as exc:
        _fail(f"无法生成加载项：{exc}")


@addin_app.command("install")
def addin_install(
    xlam: Annotated[Optional[Path], typer.Option("--xlam", help="要安装的 .xlam（默认现场生成）。The .xlam to install.")] = None,
    service: Annotated[Optional[str], typer.Option("--service", help="常驻服务地址，如 http://127.0.0.1:8765（空字符串 = 不用）。Warm service URL.")] = None,
) -> None:
    """为当前用户安装（无需管理员权限）：加载项放入 Excel 启动文件夹，写入 Excel 读取的配置。Install for this user."""
    import tempfile

    from taizhang.addin.deploy import install
    from taizhang.addin.xlam import build_xlam

    try:
        with tempfile.TemporaryDirectory() as tmp:
            done = install(xlam if xlam else build_xlam(Path(tmp)), service_url=service)
    except (OSError, RuntimeError, ValueError) as exc:
        _fail(str(exc))
    _say(f"已安装到 {done.xlam}\n配置：{done.config}（Python：{done.interpreter}）\n日志：{done.logs}\n"
         "重新启动 Excel 后可见“台账”选项卡。\n")


@addin_app.command("uninstall")
def addin_uninstall() -> None:
    """卸载：删除启动文件夹中的加载项和 taizhang 的配置项（日志保留）。Uninstall for this user."""
    from taizhang.addin.deploy import uninstall

    try:
        removed = uninstall()
    except (OSError, RuntimeError) as exc:
        _fail(str(exc))
    _say("".join(f"已删除 {p}\n" for p in removed) or "没有找到已安装的加载项。\n")


@addin_app.command("status")
def addin_status(
    json_out: Annotated[bool, typer.Option("--json", help="以 JSON 输出。JSON output.")] = False,
) -> None:
    """本机 Excel 会用到的 Python、版本、配置与加载项文件。What this PC's Excel would use."""
    import json

    from taizhang.addin.deploy import status

    info = status()
    if json_out:
        _say(json.dumps(info, ensure_ascii=False, indent=2) + "\n")
        return
    yes = lambda ok: "存在" if ok else "不存在"  # noqa: E731
    _say(f"Python：{info['python']}（{info['python_version']}）\n"
         f"taizhang {info['taizhang']}，xlwings {info['xlwings']}\n"
         f"配置：{info['config']}（{yes(info['config_exists'])}，编码 {info['codepage']}）\n"
         f"Excel 使用的 Python：{info['interpreter'] or '未设置'}"
         + (f" → {info['interpreter_expanded']}（{yes(info['interpreter_exists'])}）" if info['interpreter'] else "") + "\n"
         f"常驻服务：{info['service_url'] or '未设置'}\n"
         f"加载项：{info['xlam'] or '-'}（{yes(info['xlam_exists'])}）"
         + (f"\nSHA-256：{info['xlam_sha256']}" if info['xlam_sha256'] else "") + "\n"
         f"日志：{info['logs']}\n")


@addin_app.command("bundle")
def addin_bundle(
    out_dir: Annotated[Path, typer.Option("--output", "-o", help="输出文件夹。Output folder.")],
    python: Annotated[Optional[list[str]], typer.Option("--python", help="目标 Python 版本，可重复；默认 3.11 3.12 3.13。")] = None,
    find_links: Annotated[Optional[Path], typer.Option("--find-links", help="本地 wheel 缓存。Local wheel folder.")] = None,
    no_index: Annotated[bool, typer.Option("--no-index", help="只用本地 wheel，不访问 PyPI。Offline.")] = False,
) -> None:
    """生成离线安装包：Windows wheel、taizhang.xlam、安装/卸载脚本。Offline bundle for IT."""
    from taizhang.addin.bundle import PYTHONS, BundleError, build_bundle

    if out_dir.exists() and any(out_dir.iterdir()):
        _fail(f"输出文件夹 {out_dir} 不是空的，请换一个文件夹。")
    try:
        b = build_bundle(out_dir, pythons=tuple(python or PYTHONS), find_links=find_links, no_index=no_index)
    except (OSError, RuntimeError) as exc:
        _fail(str(exc))
    _say(f"已生成 {out_dir}：{len(b.wheels)} 个 wheel，xlwings {b.xlwings}\n"
         f"taizhang.xlam SHA-256：{b.sha256}\n每台电脑运行 install.cmd 即可（无需管理员权限）。\n")


@app.command("rollup")
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
        _fail(f"{output}：汇总工作簿须保存为 .xlsx。" if zh else f"{output}: the roll-up workbook must be an .xlsx file.")
    inputs = {p.resolve() for p in (master, previous) if p is not None}
    for target in (output, json_out):
        if target is not None and str(target) != "-" and target.resolve() in inputs:
            _fail(f"{target}：输出文件不能是输入文件（输入文件从不改动）。" if zh else
                  f"{target}: the output cannot be an input file (inputs are never modified).")
    try:
        day = parse_as_of(as_of) if as_of else dt.date.today()
    except ValueError:
        _fail(f"--as-of「{as_of}」不是日期，请写成 2019-06-27。" if zh else f"--as-of '{as_of}' is not a date (use 2019-06-27).")
    try:
        result = rollup(master, day, previous, ledger_type=ledger_type, sheet=sheet, year=year, units=units,
                        rules=rules_file)
    except ReadError as exc:
        _fail(exc.message(lang.value))
    except StatusRulesError as exc:
        _fail(str(exc))
    written = []
    try:
        if output is not None:
            from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx

            write_atomic(output, lambda tmp: write_rollup_xlsx(result, tmp))
            written.append(str(output))
        if json_out is not None:
            text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
            if str(json_out) == "-":
                _say(text)
                return
            write_text_atomic(json_out, text)
            written.append(str(json_out))
    except OutputLocked as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"无法写出汇总：{exc}" if zh else f"cannot write the roll-up: {exc}")
    _say(render_summary(result, lang.value))
    if written:
        _say(("已写入 " if zh else "Written: ") + "、".join(written) + "\n")


@app.command()
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
        _fail(f"{output} 已存在，未写入；要覆盖请加 --force。" if zh else f"{output} exists, nothing written; pass --force to overwrite.")
    try:
        with _user_errors(lang):
            path = build_template(ledger_type, output, units=units, title=title, year=year, password=password)
            count = len(registry_units(units))
    except (TemplateError, LedgerTypeError, RegistryError) as exc:
        _fail(str(exc))
    lock = ("有密码" if password else "无密码") if zh else ("with password" if password else "no password")
    _say(f"已生成模板 {path}：单位下拉 {count} 个，工作表已保护（{lock}）。\n" if zh
         else f"Template written to {path}: {count} units in the dropdowns, sheet protected ({lock}).\n")


@app.command("import")
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
        _fail(f"{output} 已存在，未写入；要覆盖请加 --force。" if zh else f"{output} exists, nothing written; pass --force to overwrite.")
    try:
        with _user_errors(lang, notice):
            result = import_notice(notice, output, ledger_type=ledger_type, year=year, units=units, title=title)
    except (TemplateError, RegistryError) as exc:
        _fail(str(exc))
    _say(report_text(result, lang.value))


@app.command()
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

    with _user_errors(lang, master):
        result = split_ledger(master, output, by, ledger_type=ledger_type, force=force)
    _say(result.summary_text(lang.value))


@app.command()
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

    _refuse_input_as_output(output, inputs, lang)  # OUT may be MASTER (with --in-place), never a submission
    if not in_place and output.resolve() == master.resolve():
        _fail("输出与总台账是同一个文件：加 --in-place 确认替换总台账（会先自动备份），或用 -o 指定新文件；未合并。"
              if lang == Lang.zh else "OUT is the master itself: add --in-place to replace it (a backup is kept "
              "first), or choose another -o; nothing merged.")
    _refuse_input_as_output(report, [master, *inputs], lang)
    for target in (output, report):  # both are written at the end: find out now that they cannot be
        _require_writable_folder(target, lang)
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:  # a mistyped path is a usage error, not a skipped submission
        _fail(f"找不到报送文件或文件夹：{'、'.join(missing)}；未合并。" if lang == Lang.zh
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
        with _user_errors(lang, master):
            result = merge_ledgers(master, inputs, output, report=report, accept_new_rows=accept_new_rows,
                                   ledger_type=ledger_type, lang=lang.value, progress=progress)
    finally:
        if bar:
            bar["p"].stop()
    _say(result.summary_text(lang.value))
    raise typer.Exit(result.exit_code(strict))


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址；本机以外需设管理员密码。Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="端口。Port.")] = 8765,
    data: Annotated[Optional[Path], typer.Option("--data", help="数据文件夹（数据库与上传文件）；默认用户数据目录。Data folder.")] = None,
    db: Annotated[Optional[str], typer.Option("--db", help="数据库 URL，如 postgresql://…；默认数据文件夹中的 SQLite。")] = None,
    admin_password_file: Annotated[Optional[Path], typer.Option("--admin-password-file", help="管理员密码文件；也可用环境变量 TAIZHANG_ADMIN_PASSWORD。")] = None,
    max_upload_mb: Annotated[int, typer.Option("--max-upload-mb", min=1, help="单次上传上限（MB）。Upload cap.")] = 50,
    cors_origin: Annotated[Optional[list[str]], typer.Option("--cors-origin", help="允许跨域调用 /api/v1 工具接口的来源（WPS / Office.js 加载项），可多次。")] = None,
    ssl_certfile: Annotated[Optional[Path], typer.Option("--ssl-certfile", help="HTTPS 证书（交给 uvicorn）。")] = None,
    ssl_keyfile: Annotated[Optional[Path], typer.Option("--ssl-keyfile", help="HTTPS 私钥（交给 uvicorn）。")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="创建示例报送轮次（examples/000）并打印改革办与各处室链接。")] = False,
    public_url: Annotated[Optional[str], typer.Option("--public-url", help="各电脑访问本服务的地址（WPS / Office.js 加载项清单中使用），如 https://taizhang.example.gov.cn；默认取请求的地址。")] = None,
) -> None:
    """启动台账服务：网页（报送轮次）与 HTTP API（/api/v1，文档在 /docs）。

    示例 / examples:

      taizhang serve --demo

      TAIZHANG_ADMIN_PASSWORD=… taizhang serve --host 0.0.0.0 --data /srv/taizhang
    """
    try:
        from taizhang.service.config import DEFAULT_MAX_UPLOAD, Settings, SettingsError, admin_password, check_exposure, check_public_url, default_data_dir
        from taizhang.service.run import run
    except ImportError as exc:
        _fail(f"台账服务需要额外的依赖（缺少 {exc.name}）：pip install 'taizhang[serve]'")

    try:
        password = admin_password(admin_password_file)
        check_exposure(host, password)
        public_url = check_public_url(public_url)
    except SettingsError as exc:
        _fail(str(exc))
    if data is None:  # the demo's round never lands among an office's real ones
        data = default_data_dir() / "demo" if demo else default_data_dir()
    settings = Settings(data_dir=data.expanduser(), db_url=db, admin_password=password,
                        max_upload=max_upload_mb * (DEFAULT_MAX_UPLOAD // 50), cors_origins=list(cors_origin or []),
                        https=ssl_certfile is not None, public_url=public_url)
    run(settings, host, port, demo=demo, ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)


# collection rounds (taizhang.rounds): `taizhang round ...` and `taizhang history`, in cli_rounds.py
from taizhang.cli_rounds import history as _history, round_app  # noqa: E402

app.add_typer(round_app, name="round")
app.command("history")(_history)


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
