"""命令行各命令共用的选项与输出：语言、类型、名录、年份选项，屏幕输出与一行错误信息。

What every command module (cli_validator, cli_units, cli_ledgerops, ...) shares: the common options
and how output and errors reach the terminal, so that every command escapes cell text, words its
errors and picks its exit code the same way. Heavy modules are imported inside the functions.
"""


import sys
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer


class Lang(str, Enum):
    zh = "zh"
    en = "en"


LangOpt = Annotated[Lang, typer.Option("--lang", help="消息语言 zh|en。Message language.")]
TypeOpt = Annotated[Optional[str], typer.Option("--type", "-t", help="台账类型（名称或 YAML 文件）；默认按表头识别。Ledger type.")]
UnitsOpt = Annotated[Optional[str], typer.Option("--units", help="单位名录：内置名称（如 大连市）或 csv/xlsx/yaml 文件。Unit registry.")]
YearOpt = Annotated[Optional[int], typer.Option("--year", min=1949, max=2100,
                                                 help="台账年份；默认取标题中的年份。Ledger year.")]


def say(text: str, *, inert: bool = False) -> None:
    """Print `text`, its cell text shown as escapes so it never steers the terminal; `inert` says
    that is done already (a report: every renderer escapes what it writes, 15 ms saved on 1 MB)."""
    if not inert:
        from taizhang.validator.report import printable

        text = printable(text)
    sys.stdout.write(text)
    sys.stdout.flush()


def note(message: str) -> None:
    """A remark for the person at the terminal, on stderr so machine formats on stdout stay clean."""
    sys.stderr.write(message.rstrip("\n") + "\n")


def fail(message: str, code: int = 2) -> None:
    from taizhang.validator.report import printable

    sys.stderr.write(printable(message.rstrip("\n")) + "\n")
    raise typer.Exit(code)


@contextmanager
def user_errors(lang: "Lang", path: Path | None = None) -> Iterator[None]:
    """Turn the core's user-facing errors into one line on stderr and exit code 2."""
    from taizhang.ledgerops.errors import LedgerOpError
    from taizhang.ledgerops.safe_write import OutputLocked
    from taizhang.validator.filecheck import ReadError

    try:
        yield
    except ReadError as exc:
        fail(f"{path}：{exc.message(lang.value)}" if path else exc.message(lang.value))
    except LedgerOpError as exc:
        fail(exc.message(lang.value))
    except OutputLocked as exc:
        fail(str(exc))
    except OSError as exc:  # a folder that does not exist, no permission, a full disk
        from taizhang.ledgerops.safe_write import os_error_message

        fail(os_error_message(exc, lang.value))


def refuse_input_as_output(output: Path | None, inputs: list[Path], lang: "Lang") -> None:
    """Inputs are never modified: an output path naming one of them is a usage error."""
    if output is None or str(output) == "-":
        return
    target = output.resolve()
    files = set()
    for p in inputs:
        files.update(f.resolve() for f in (p.rglob("*") if p.is_dir() else [p]))
    if target in files:
        fail(f"{output}：输出文件不能是输入文件（输入文件从不改动）。" if lang == Lang.zh else
              f"{output}: the output cannot be an input file (inputs are never modified).")


def require_writable_folder(path: Path | None, lang: "Lang") -> None:
    import os

    if path is None:
        return
    folder = path.resolve().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # write_atomic creates the missing folders below this one
    if not os.access(folder, os.W_OK):
        fail(f"无法写入 {path}：没有写入权限；未合并。" if lang == Lang.zh else f"cannot write {path}: permission denied; nothing merged.")


def write_output(text: str, output: Path | None, *, inert: bool = False) -> None:
    if output is None:
        say(text, inert=inert)
        return
    from taizhang.ledgerops.safe_write import write_text_atomic

    write_text_atomic(output, text)


def problem_message(problem, value: str, lang: str) -> str:
    """A deadline's or a unit name's problem in the words of the finding a report would show."""
    from taizhang.validator.findings import Finding

    return Finding(problem.code, "", None, None, None, value, dict(problem.params)).message(lang)

