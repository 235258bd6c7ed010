"""taizhang round … 与 taizhang history：报送轮次的命令行入口。

The terminal front door of collection rounds (taizhang.rounds): parse options, call the core,
print what it returns. Kept beside cli.py (which registers these commands) so cli.py stays short;
no rule lives here.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, Optional

import typer

round_app = typer.Typer(help="报送轮次：下发、收集、合并、汇总，记录每个单元格的修改。Collection rounds.",
                        no_args_is_help=True)

DataOpt = Annotated[Optional[Path], typer.Option(
    "--data", envvar="TAIZHANG_DATA", help="数据文件夹（数据库与文件）；默认用户数据目录下的 taizhang。Data folder.")]
DbOpt = Annotated[Optional[str], typer.Option(
    "--db", envvar="TAIZHANG_DB", help="数据库地址，如 postgresql://user@host/db；默认数据文件夹中的 SQLite。")]
ActorOpt = Annotated[Optional[str], typer.Option("--actor", help="操作人（写入事件记录）。Who does this.")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="输出格式 text|json。")]


def _json(doc: Any) -> str:
    import json

    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _fail(message: str, code: int = 2) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    raise typer.Exit(code)


@contextmanager
def _store(data: Path | None, db: str | None, *, must_exist: bool = False) -> Iterator[Any]:
    """Open the store; any RoundError (or unreadable file) inside becomes one line and exit code 2."""
    from taizhang.ledgerops.errors import LedgerOpError
    from taizhang.rounds import Store
    from taizhang.rounds.store import DB_NAME, default_data_dir
    from taizhang.validator.filecheck import ReadError

    data = data or default_data_dir()
    if data.is_file() or data.suffix.lower() == ".db":  # a SQLite file named directly
        if db is None:
            db = f"sqlite:///{data.resolve()}"
        if must_exist and not data.exists():
            _fail(f"找不到数据库：{data}")
        data = data.parent
    elif must_exist and db is None and not (data / DB_NAME).exists():
        _fail(f"找不到数据库：{data / DB_NAME}（用 --data 指定数据文件夹）")
    try:
        with Store.open(data, db) as store:
            yield store
    except (LedgerOpError, ReadError) as exc:
        _fail(exc.message("zh"))


def _date(text: str, option: str):
    from taizhang.ledgerops.rollup import parse_as_of

    try:
        return parse_as_of(text)
    except ValueError:
        _fail(f"{option}「{text}」不是日期，请写成 2019-06-27。")


def _copy_out(src: Path, dst: Path) -> None:
    import shutil

    from taizhang.ledgerops.safe_write import write_atomic

    write_atomic(dst, lambda tmp: shutil.copyfile(src, tmp))


@round_app.command("create")
def round_create(
    master: Annotated[Path, typer.Argument(help="总台账 .xlsx（也可 .xls .csv）。Master ledger.")],
    name: Annotated[str, typer.Option("--name", "-n", help="轮次名称，如 2019年第二季度。")],
    due: Annotated[str, typer.Option("--due", help="截止日期，如 2019-06-27。Due date.")],
    by: Annotated[Optional[str], typer.Option("--by", help="按哪一列分发；默认联系人列，没有则责任单位列。")] = None,
    allow_late: Annotated[bool, typer.Option("--allow-late", help="截止后仍接收报送。")] = False,
    data: DataOpt = None, db: DbOpt = None, actor: ActorOpt = None, fmt: FormatOpt = "text",
) -> None:
    """新建报送轮次：按处室分发总台账，每个处室一个报送令牌（只显示这一次，请妥善转交）。

    示例 / example:

      taizhang round create 总台账.xlsx --name 2019年第二季度 --due 2019-06-27 --by 责任单位 --data 台账数据/
    """
    from taizhang.rounds import create_round

    day = _date(due, "--due")
    if not master.is_file():
        _fail(f"{master}：文件不存在")
    with _store(data, db) as store:
        rnd = create_round(store, master, name, day, actor, split_by=by, allow_late=allow_late)
    if fmt == "json":
        _say(_json(rnd.to_dict()))
        return
    lines = [f"已新建报送轮次 {rnd.id}《{rnd.name}》：按「{rnd.split_by}」分发给 {len(rnd.departments)} 个处室，截止 {rnd.due}",
             "各处室的报送令牌（只显示这一次）："]
    lines += [f"  {d.id:>4}  {d.name}  {d.token}" for d in rnd.departments]
    if rnd.unassigned_rows:
        lines.append(f"  第 {'、'.join(map(str, rnd.unassigned_rows))} 行的「{rnd.split_by}」为空，未分发给任何处室")
    _say("\n".join(lines) + "\n")


@round_app.command("list")
def round_list(data: DataOpt = None, db: DbOpt = None, fmt: FormatOpt = "text") -> None:
    """列出全部报送轮次。List rounds."""
    from taizhang.rounds import list_rounds
    from taizhang.rounds.model import STATE_LABELS

    with _store(data, db, must_exist=True) as store:
        rounds = list_rounds(store)
    if fmt == "json":
        _say(_json([r.to_dict() for r in rounds]))
        return
    if not rounds:
        _say("还没有报送轮次。\n")
    for r in rounds:
        _say(f"{r.id:>4}  {r.name}  截止 {r.due}  {STATE_LABELS.get(r.state, r.state)}  {len(r.departments)} 个处室\n")


@round_app.command("status")
def round_status_cmd(
    round_id: Annotated[int, typer.Argument(help="轮次编号。Round id.")],
    data: DataOpt = None, db: DbOpt = None, fmt: FormatOpt = "text",
) -> None:
    """报送情况：谁已报送、何时、几个错误；未报送的处室（催报名单）。"""
    from taizhang.rounds import chase_text, get_round, round_status

    with _store(data, db, must_exist=True) as store:
        rnd = get_round(store, round_id)
        status = round_status(store, round_id)
        chase = chase_text(store, round_id)
    if fmt == "json":
        _say(_json({"round": rnd.to_dict(), "departments": [s.to_dict() for s in status], "chase": chase}))
        return
    lines = [f"《{rnd.name}》截止 {rnd.due}"]
    for s in status:
        if s.submitted:
            when = s.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M")
            late = "（逾期）" if s.late else ""
            lines.append(f"  已报送  {s.name}  {when}{late}  第 {s.submissions} 次  {s.errors} 个错误，{s.warnings} 个警告")
        else:
            lines.append(f"  未报送  {s.name}")
    lines.append(chase)
    _say("\n".join(lines) + "\n")


@round_app.command("download")
def round_download(
    round_id: Annotated[int, typer.Argument(help="轮次编号。")],
    department: Annotated[str, typer.Argument(help="处室名称。Department.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="保存到此文件。")],
    data: DataOpt = None, db: DbOpt = None,
) -> None:
    """导出一个处室的分发文件（只含该处室的行），用于邮件下发。"""
    from taizhang.rounds import download_for_department, get_round

    with _store(data, db, must_exist=True) as store:
        dept = get_round(store, round_id).department(department)
        _copy_out(download_for_department(store, round_id, dept.id), output)
    _say(f"已导出 {dept.name} 的文件：{output}\n")


@round_app.command("submit")
def round_submit(
    round_id: Annotated[int, typer.Argument(help="轮次编号。")],
    department: Annotated[str, typer.Argument(help="处室名称。Department.")],
    file: Annotated[Path, typer.Argument(help="该处室报送的文件。")],
    data: DataOpt = None, db: DbOpt = None, fmt: FormatOpt = "text",
) -> None:
    """代处室登记一份报送（如邮件发来的文件）：校验、检查只改了本处室的行，然后保存。

    退出码：0 已接收且无错误；1 已接收但有校验错误；2 未接收。
    """
    from taizhang.rounds import get_round, submit

    if not file.is_file():
        _fail(f"{file}：文件不存在")
    with _store(data, db, must_exist=True) as store:
        dept = get_round(store, round_id).department(department)
        sub = submit(store, round_id, dept.id, file, file.name)
    if fmt == "json":
        _say(_json(sub.to_dict()))
    else:
        lines = [f"已接收 {dept.name} 的报送 {file.name}：{sub.rows} 行，{sub.errors} 个错误，{sub.warnings} 个警告"]
        lines += [f"  {f['cell'] or '':>6}  {f['message']}" for f in sub.findings]
        _say("\n".join(lines) + "\n")
    raise typer.Exit(1 if sub.errors else 0)


@round_app.command("merge")
def round_merge(
    round_id: Annotated[int, typer.Argument(help="轮次编号。")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="把合并后的总台账另存到此文件。")] = None,
    accept_new_rows: Annotated[bool, typer.Option("--accept-new-rows", help="把报送中新增的行加入其任务。")] = False,
    data: DataOpt = None, db: DbOpt = None, actor: ActorOpt = None, fmt: FormatOpt = "text",
) -> None:
    """合并本轮各处室最新的报送（三方合并，规则同 taizhang merge），逐格记录修改。

    退出码：0 无需处理；1 有冲突、未应用的修改或本次修改的单元格有校验错误；2 未合并。
    """
    from taizhang.rounds import merge_round

    with _store(data, db, must_exist=True) as store:
        out = merge_round(store, round_id, actor, accept_new_rows=accept_new_rows)
        if output is not None:
            _copy_out(store.file_path(out.merged_file), output)
    if fmt == "json":
        _say(_json(out.to_dict()))
    else:
        _say(out.summary_zh + (f"  合并后的总台账已另存为：{output}\n" if output else ""))
    raise typer.Exit(1 if out.needs_attention else 0)


@round_app.command("rollup")
def round_rollup(
    round_id: Annotated[int, typer.Argument(help="轮次编号。")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="截至日期；默认今天。")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="把汇总工作簿另存到此文件。")] = None,
    data: DataOpt = None, db: DbOpt = None, actor: ActorOpt = None,
) -> None:
    """汇总本轮（已合并的）总台账，并与上一轮比较各单位的变化。"""
    from taizhang.rounds import rollup_round

    day = _date(as_of, "--as-of") if as_of else None
    with _store(data, db, must_exist=True) as store:
        out = rollup_round(store, round_id, day, actor)
        if output is not None:
            _copy_out(store.file_path(out.rollup_file), output)
    _say(out.summary_zh + (f"已写入 {output}\n" if output else ""))


@round_app.command("next")
def round_next(
    round_id: Annotated[int, typer.Argument(help="上一轮的编号（须已合并）。")],
    name: Annotated[str, typer.Option("--name", "-n", help="新一轮的名称。")],
    due: Annotated[str, typer.Option("--due", help="截止日期。")],
    data: DataOpt = None, db: DbOpt = None, actor: ActorOpt = None, fmt: FormatOpt = "text",
) -> None:
    """从上一轮合并后的总台账开始下一轮（上一轮随即结束，旧链接失效）。"""
    from taizhang.rounds import next_round

    day = _date(due, "--due")
    with _store(data, db, must_exist=True) as store:
        rnd = next_round(store, round_id, name, day, actor)
    if fmt == "json":
        _say(_json(rnd.to_dict()))
        return
    lines = [f"已新建报送轮次 {rnd.id}《{rnd.name}》（接续第 {round_id} 轮），截止 {rnd.due}", "各处室的报送令牌（只显示这一次）："]
    lines += [f"  {d.id:>4}  {d.name}  {d.token}" for d in rnd.departments]
    _say("\n".join(lines) + "\n")


@round_app.command("reissue")
def round_reissue(
    round_id: Annotated[int, typer.Argument(help="轮次编号。")],
    department: Annotated[str, typer.Argument(help="处室名称。Department.")],
    data: DataOpt = None, db: DbOpt = None, actor: ActorOpt = None,
) -> None:
    """给处室重发报送令牌（旧令牌立即失效），例如令牌丢失或误发时。"""
    from taizhang.rounds import get_round, reissue_token

    with _store(data, db, must_exist=True) as store:
        dept = get_round(store, round_id).department(department)
        token = reissue_token(store, round_id, dept.id, actor)
    _say(f"{dept.name} 的新报送令牌（只显示这一次，旧令牌已失效）：{token}\n")


@round_app.command("allow-late")
def round_allow_late(
    round_id: Annotated[int, typer.Argument(help="轮次编号。")],
    off: Annotated[bool, typer.Option("--off", help="不再接收逾期报送。")] = False,
    data: DataOpt = None, db: DbOpt = None, actor: ActorOpt = None,
) -> None:
    """截止后仍接收报送（补报）；--off 恢复拒收。"""
    from taizhang.rounds import get_round, set_allow_late

    with _store(data, db, must_exist=True) as store:
        set_allow_late(store, round_id, not off, actor)
        rnd = get_round(store, round_id)
    _say(f"《{rnd.name}》{'不再' if off else '截止后仍'}接收报送。\n")


@round_app.command("log")
def round_log(
    round_id: Annotated[Optional[int], typer.Argument(help="轮次编号；省略时显示全部。")] = None,
    data: DataOpt = None, db: DbOpt = None, fmt: FormatOpt = "text",
) -> None:
    """事件记录：谁在何时做了什么（新建、报送、拒收、合并、令牌……），不含单元格内容。"""
    from taizhang.rounds import events

    with _store(data, db, must_exist=True) as store:
        log = events(store, round_id)
    if fmt == "json":
        _say(_json([e.to_dict() for e in log]))
        return
    for e in log:
        when = e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        detail = "  ".join(f"{k}={v}" for k, v in e.detail.items() if v not in (None, ""))
        _say(f"{when}  第 {e.round_id or '-'} 轮  {e.actor or '-'}  {e.action}  {detail}\n")


def history(
    source: Annotated[Path, typer.Argument(metavar="DB_OR_DATA_DIR", help="数据文件夹或其中的 taizhang.db。")],
    round_id: Annotated[Optional[int], typer.Option("--round", help="只看这一轮。Only this round.")] = None,
    ledger: Annotated[Optional[int], typer.Option("--ledger", help="同一台账的全部轮次（第一轮的编号）。")] = None,
    cell: Annotated[Optional[str], typer.Option("--cell", help="单元格，如 H11。")] = None,
    row: Annotated[Optional[int], typer.Option("--row", help="行号。")] = None,
    column: Annotated[Optional[str], typer.Option("--column", help="列字母（G）或列名（推进情况）。")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="与 --round、--cell 同用：沿这一行查看本台账各轮的修改（其上新增行使行号变动时仍对得上）。")] = False,
    db: DbOpt = None, fmt: FormatOpt = "text",
) -> None:
    """谁在何时把哪个单元格从什么改成了什么（每次合并逐格记录）。

    示例 / examples:

      taizhang history 台账数据/ --cell G10

      taizhang history 台账数据/taizhang.db --round 2 --column 推进情况 --format json

      taizhang history 台账数据/ --round 3 --cell G16 --follow
    """
    from taizhang.rounds import cell_history, follow_cell, render_history

    if follow and (round_id is None or cell is None):
        _fail("--follow 需要同时给出 --round 和 --cell")
    with _store(source, db, must_exist=True) as store:
        if follow:
            changes = follow_cell(store, round_id, cell)
        else:
            changes = cell_history(store, round_id, cell=cell, row=row, column=column, ledger_id=ledger)
    if fmt == "json":
        _say(_json([c.to_dict() for c in changes]))
    else:
        _say(render_history(changes))
