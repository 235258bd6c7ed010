"""The Excel front door: what the 台账 ribbon buttons run.

Written once against the xlwings `Book` API, so the same functions serve the desktop ribbon
add-in (RunPython, COM engine) and xlwings' remote engine (Office.js / tests). No rule lives
here: each entry point reads the workbook in bulk, calls the core packages and paints the
result. On the remote engine every Range access copies the whole sheet and through COM every call
is a round trip to Excel, so reads are one bulk read and writes are blocks (addin/sheetio.py); 校验
goes through the grid contract every spreadsheet client shares (validator/grid.py, marks.py), or
through a running `taizhang serve` (addin/warm.py). Each click is logged (addin/clicklog.py).

Entry points: validate, clear, split, merge, rollup, settings, help; `ribbon_dispatch(tag)` is
what the .xlam's single VBA callback calls with the button's tag.
"""

from __future__ import annotations

import datetime as _dt
import traceback
from pathlib import Path
from typing import Any, Callable

from taizhang.validator.marks import HEADER_FILL, REPORT_HEADER, REPORT_SHEET

from .checking import MARKS_SHEET
from .sheetio import grid as _grid, sheet_names as _sheet_names

SETTINGS_SHEET = "设置"
ROLLUP_SHEET = "汇总"
OVERDUE_SHEET = "逾期清单"
ROLLUP_HEADER = ["责任单位", "事项", "已完成", "推进中", "未启动", "持续实施", "逾期"]
OVERDUE_HEADER = ["行", "责任单位", "节点日期", "逾期天数", "联系人", "联系电话"]
TITLE = "台账"
SETTINGS_DEFAULTS = (
    ("总表文件", "", "磁盘上的总台账（空 = 本工作簿；通过 xlwings Server 使用时填写服务器可访问的路径）"),
    ("报送文件夹", "报送", "合并报送时读取的文件夹（相对本工作簿所在文件夹）"),
    ("分发文件夹", "分发", "分发时写入的文件夹"),
    ("输出文件夹", "", "合并结果与汇总表写入的文件夹（空 = 本工作簿所在文件夹）"),
    ("汇总日期", "", "汇总的截止日期，如 2019-06-27（空 = 今天）"),
    ("接受新增行", "否", "合并时是否把报送中新增的行加入总表（是/否）"),
)


class AddinError(Exception):
    """A problem the user can act on; shown as an alert, never as a traceback."""


# --------------------------------------------------------------------------- reading

def _metadata(book: Any) -> dict[str, str]:
    from taizhang.validator.metadata import META_SHEET
    from taizhang.validator.reader import metadata_from_rows

    if META_SHEET not in _sheet_names(book):
        return {}
    return metadata_from_rows(_grid(book.sheets[META_SHEET]))


def _find_ledger(book: Any):
    """The active sheet if it holds a ledger header, else the first sheet that does."""
    from taizhang.validator.reader import read_grid

    meta = _metadata(book)
    path = Path(_book_path(book) or book.name)
    active = book.sheets.active
    candidates = [active] + [s for s in book.sheets if s.name != active.name]
    for sheet in candidates:
        if sheet.name.startswith("_") or sheet.name in (REPORT_SHEET, SETTINGS_SHEET, ROLLUP_SHEET, OVERDUE_SHEET):
            continue
        ledger = read_grid(_grid(sheet), sheet=sheet.name, path=path, metadata=meta)
        if ledger is not None:
            return sheet, ledger
    raise AddinError("找不到台账表头（如 序号、改革事项、责任单位、完成时限）。请切换到台账所在的工作表后再试。")


def _book_path(book: Any) -> Path | None:
    try:
        full = book.fullname
    except Exception:  # the remote engine knows only the name
        return None
    path = Path(full)
    return path if path.is_absolute() and path.exists() else None


# --------------------------------------------------------------------------- sheets

def _fresh_sheet(book: Any, name: str, hidden: bool = False, header: list[str] | None = None) -> Any:
    """A new sheet `name` at the end; an earlier one is replaced only if taizhang wrote it.

    A sheet of that name whose first rows do not carry `header` is the user's own (汇总 is a
    common sheet name in real ledgers): it is kept and ours gets a numbered name.
    """
    names = _sheet_names(book)
    if name in names and (header is None or _is_ours(book.sheets[name], header)):
        book.sheets[name].delete()
    elif name in names:
        n = 2
        while f"{name}({n})" in names:
            n += 1
        name = f"{name}({n})"
    sheet = book.sheets.add(name, after=book.sheets[len(book.sheets) - 1])
    if hidden and not _remote(book):  # xlwings Server's clients cannot hide sheets
        try:
            sheet.visible = False
        except Exception:
            pass
    return sheet


def _is_ours(sheet: Any, header: list[str]) -> bool:
    rows = _grid(sheet)[:2]
    return any([str(v) for v in row[:len(header)]] == header for row in rows)


def _remote(book: Any) -> bool:
    try:
        return book.app.engine.name == "remote"
    except Exception:
        return False


def _delete_sheet(book: Any, name: str) -> bool:
    if name in _sheet_names(book):
        book.sheets[name].delete()
        return True
    return False


# --------------------------------------------------------------------------- entry points

def validate(book: Any) -> dict[str, Any]:
    """校验: mark error cells red and warnings yellow, list every problem in 校验结果.

    One bulk read, validated by the warm service when one answers (addin/warm.py), else here;
    the marks plan is painted in bulk (addin/checking.py).
    """
    from .checking import LedgerNotFound, NOTE_LIMIT, paint_plan, validate_book
    from .warm import service_url

    own = (REPORT_SHEET, SETTINGS_SHEET, ROLLUP_SHEET, OVERDUE_SHEET)
    meta = _meta_rows(book)
    try:
        sheet, answer, via = validate_book(book, own, meta, service_url(_user_config()))
    except LedgerNotFound:
        raise AddinError("找不到台账表头（如 序号、改革事项、责任单位、完成时限）。请切换到台账所在的工作表后再试。") from None
    except ValueError as exc:
        raise AddinError(str(exc)) from None
    findings = answer["file"]["findings"]
    _clear_marks(book)  # validating twice never stacks marks
    active = book.sheets.active
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = len(findings) - errors
    counts: dict[str, Any] = {"errors": errors, "warnings": warnings, "rows": answer["file"].get("rows", 0),
                              "via": via, "cells": 0, "writes": 0, "notes": 0}
    _delete_sheet(book, MARKS_SHEET)
    plan = answer.get("marks")
    if plan is not None:
        report = _fresh_sheet(book, REPORT_SHEET, header=REPORT_HEADER)
        written, notes = paint_plan(book, sheet, plan, report, lambda: _fresh_sheet(book, MARKS_SHEET, hidden=True))
        counts.update(cells=written.cells, writes=written.writes, notes=notes)
    try:
        active.activate()
    except Exception:
        pass
    if findings:
        msg = f"发现 {errors} 个错误、{warnings} 个警告，已在单元格上标出，详见「{REPORT_SHEET}」工作表。"
        if plan is not None and len(plan["notes"]) > NOTE_LIMIT:
            msg += f"\n（批注只加在前 {NOTE_LIMIT} 个单元格上，完整清单见「{REPORT_SHEET}」。）"
    else:
        msg = f"校验通过：{counts['rows']} 行，没有发现问题。"
    if answer["file"].get("header_row"):  # a wrong guess is seen at once (the warm service sends no column roles)
        msg += f"\n\n表头第 {answer['file']['header_row']} 行" + (f"，{answer['columns']}" if answer.get("columns") else "")
    book.app.alert(msg, title=f"{TITLE} · 校验", buttons="ok", mode="critical" if errors else "info")
    return counts


def _meta_rows(book: Any) -> list[list[Any]]:
    from taizhang.validator.metadata import META_SHEET

    if META_SHEET not in _sheet_names(book):
        return []
    return [[("" if v is None else str(v)) for v in row[:2]] for row in _grid(book.sheets[META_SHEET])]


def _user_config() -> dict[str, str]:
    """The add-in's config file (the one xlwings' VBA reads), for SERVICE_URL."""
    from .deploy import ansi_codepage, config_path, read_config

    try:
        return read_config(config_path(), ansi_codepage())
    except OSError:
        return {}


def _clear_marks(book: Any) -> int:
    """Put back the fills and notes the last validate recorded; returns how many cells."""
    from .checking import restore_marks

    if MARKS_SHEET not in _sheet_names(book):
        return 0
    rows = _grid(book.sheets[MARKS_SHEET])[1:]
    return restore_marks(book, rows).cells


def clear(book: Any) -> int:
    """清除标记: restore every fill validate changed and remove its report."""
    restored = _clear_marks(book)
    _delete_sheet(book, MARKS_SHEET)
    if REPORT_SHEET in _sheet_names(book) and _is_ours(book.sheets[REPORT_SHEET], REPORT_HEADER):
        _delete_sheet(book, REPORT_SHEET)
    book.app.alert(f"已清除 {restored} 个单元格的标记。", title=f"{TITLE} · 清除标记", buttons="ok", mode="info")
    return restored


def settings(book: Any) -> dict[str, str]:
    """设置: create the settings sheet with defaults (kept if it exists) and return its values."""
    if SETTINGS_SHEET not in _sheet_names(book):
        sheet = _fresh_sheet(book, SETTINGS_SHEET)
        sheet["A1"].value = [["设置项", "值", "说明"], *[list(r) for r in SETTINGS_DEFAULTS]]
        sheet["A1:C1"].color = HEADER_FILL
        try:
            sheet.activate()
        except Exception:
            pass
    return _settings(book)


def _settings(book: Any) -> dict[str, str]:
    values = {k: v for k, v, _ in SETTINGS_DEFAULTS}
    if SETTINGS_SHEET in _sheet_names(book):
        for row in _grid(book.sheets[SETTINGS_SHEET])[1:]:
            if len(row) >= 2 and row[0]:
                value = row[1]
                if isinstance(value, (_dt.date, _dt.datetime)):  # Excel turns 2019-06-27 into a date cell
                    value = value.date() if isinstance(value, _dt.datetime) else value
                    value = value.isoformat()
                values[str(row[0]).strip()] = "" if value is None else str(value).strip()
    return values


def _folder(base: Path, value: str) -> Path:
    p = Path(value) if value else base
    return p if p.is_absolute() else base / p


def _master_on_disk(book: Any) -> Path:
    path = _book_path(book)
    configured = _settings(book).get("总表文件") if path is None else None  # one bulk read of 设置
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise AddinError(f"「{SETTINGS_SHEET}」中的总表文件不存在：{path}")
        return path
    if path is None:
        raise AddinError("请先把工作簿保存到本机磁盘（分发、合并、汇总读取磁盘上的文件）。")
    try:
        if not book.api.Saved:  # desktop Excel: unsaved edits would be missed
            raise AddinError("工作簿有未保存的修改，请先保存后再操作。")
    except AddinError:
        raise
    except Exception:
        pass
    return path


def _core(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise AddinError("此功能尚未安装（缺少核心模块），请升级 taizhang。") from None


def split(book: Any) -> Path:
    """分发: one workbook per department into the 分发 folder."""
    master = _master_on_disk(book)
    conf = _settings(book)
    out_dir = _folder(master.parent, conf["分发文件夹"])
    result = _core("taizhang.ledgerops.split").split_ledger(master, out_dir)
    book.app.alert(f"{result.summary_text('zh')}\n文件夹：{out_dir}", title=f"{TITLE} · 分发", buttons="ok", mode="info")
    return out_dir


def merge(book: Any) -> Path:
    """合并报送: merge the 报送 folder into a new workbook; the master on disk is not touched."""
    master = _master_on_disk(book)
    conf = _settings(book)
    folder = _folder(master.parent, conf["报送文件夹"])
    if not folder.is_dir():
        raise AddinError(f"找不到报送文件夹：{folder}。可在「{SETTINGS_SHEET}」工作表中修改。")
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = _folder(master.parent, conf["输出文件夹"]) / f"{master.stem}-合并-{stamp}.xlsx"
    accept = conf.get("接受新增行", "否") in ("是", "yes", "true", "1")
    result = _core("taizhang.ledgerops.merge").merge_ledgers(master, [folder], out, report=None, accept_new_rows=accept)
    msg = f"{result.summary_text('zh')}\n结果：{out}"
    _open(book, out)
    book.app.alert(msg, title=f"{TITLE} · 合并报送", buttons="ok", mode="info")
    return out


def rollup(book: Any) -> dict[str, Any]:
    """汇总: roll up the open workbook (unsaved edits included).

    With a folder on disk (the workbook's own, or 输出文件夹 in 设置) the full roll-up workbook
    is written there and opened; through xlwings Server, where there is no disk, the counts and
    the overdue list go into sheets 汇总 and 逾期清单 of the open workbook.
    """
    sheet, ledger = _find_ledger(book)
    conf = _settings(book)
    core = _core("taizhang.ledgerops.rollup")
    try:
        as_of = core.parse_as_of(conf["汇总日期"]) if conf.get("汇总日期") else _dt.date.today()
    except ValueError:
        raise AddinError(f"「{SETTINGS_SHEET}」中的汇总日期「{conf['汇总日期']}」无效，应写成 2019-06-27。") from None
    result = core.rollup_ledger(ledger, as_of)
    doc = result.to_dict()
    rows = len({o["row"] for o in doc["overdue"]})
    counts = {"items": len(result.items), "overdue": rows}
    book_path = _book_path(book)
    out_dir = _folder(book_path.parent, conf["输出文件夹"]) if book_path else (
        Path(conf["输出文件夹"]) if conf.get("输出文件夹") and Path(conf["输出文件夹"]).is_absolute() else None)
    if out_dir is not None:
        from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx
        from taizhang.ledgerops.safe_write import write_atomic

        stem = book_path.stem if book_path else Path(book.name).stem
        out = out_dir / f"{stem}-汇总-{as_of.isoformat()}.xlsx"
        write_atomic(out, lambda tmp: write_rollup_xlsx(result, tmp))
        _open(book, out)
        where = f"结果：{out}"
        counts["path"] = str(out)
    else:
        fields = ("items", "done", "in_progress", "not_started", "ongoing", "overdue")
        table = [[f"截至 {as_of.isoformat()} 汇总（{ledger.sheet}）"] + [""] * 6, ROLLUP_HEADER]
        table += [[u["unit"], *(u[f] for f in fields)] for u in doc["by_unit"]]
        table.append(["合计", *(getattr(result.totals, f) for f in fields)])
        summary = _fresh_sheet(book, ROLLUP_SHEET, header=ROLLUP_HEADER)
        summary["A1"].value = table
        summary["A2:G2"].color = HEADER_FILL
        overdue = [OVERDUE_HEADER]
        overdue += [[o["row"], o["unit"], o["deadline"], o["days"], o.get("contact") or "", o.get("phone") or ""]
                    for o in doc["overdue"]]
        late = _fresh_sheet(book, OVERDUE_SHEET, header=OVERDUE_HEADER)
        late["A1"].value = overdue
        late["A1:F1"].color = HEADER_FILL
        key_letter = next(iter(ledger.columns.values())).letter
        for i, o in enumerate(doc["overdue"], start=2):  # each overdue item links to its row in the ledger
            late[f"A{i}"].add_hyperlink(f"#'{sheet.name}'!{key_letter}{o['row']}", str(o["row"]), "跳转到台账中的这一行")
        where = f"见「{summary.name}」「{late.name}」工作表。"
    book.app.alert(f"汇总完成（截至 {as_of.isoformat()}）：{len(result.items)} 项，逾期 {rows} 项。\n{where}",
                   title=f"{TITLE} · 汇总", buttons="ok", mode="critical" if rows else "info")
    return counts


def help(book: Any) -> None:  # noqa: A001 - the button's name
    """帮助: what each button does."""
    book.app.alert(
        "校验：检查必填项、序号、完成时限、责任单位、联系人与电话，问题单元格标红（错误）或标黄（警告）。\n"
        "清除标记：恢复校验前的单元格颜色。\n分发：按联系人/责任单位拆分为多个文件。\n"
        "合并报送：把报送文件夹中的文件合并为新的总表，不改动原文件。\n汇总：统计各单位完成情况与逾期事项。\n"
        f"设置：在「{SETTINGS_SHEET}」工作表中设置文件夹与汇总日期。\n命令行：taizhang --help",
        title=f"{TITLE} · 帮助", buttons="ok", mode="info")


def _open(book: Any, path: Path) -> None:
    try:
        book.app.books.open(str(path))
    except Exception:  # the remote engine cannot open files: the alert names the path
        pass


ACTIONS: dict[str, Callable[[Any], Any]] = {
    "validate": validate, "clear": clear, "split": split, "merge": merge, "rollup": rollup,
    "settings": settings, "help": help,
}


def run(action: str, book: Any) -> Any:
    """Run one action; any problem reaches the user as a Chinese alert, never a traceback.

    Each click leaves one line in the click log (addin/clicklog.py): no cell contents.
    """
    from .clicklog import Click
    from .sheetio import engine_kind

    from taizhang.validator.gc_pause import collector_paused

    with Click(action) as click, collector_paused():  # a click allocates much and makes no cycles
        click.facts["engine"] = engine_kind(book)
        try:
            result = ACTIONS[action](book)
            if isinstance(result, dict):
                click.facts.update(result)
            return result
        except AddinError as exc:
            click.facts["error"] = "AddinError"
            _alert(book, str(exc))
        except Exception as exc:  # last line of defence: keep the user in Excel, tell them what failed
            from taizhang.ledgerops.safe_write import OutputLocked

            click.facts["error"] = type(exc).__name__
            if hasattr(exc, "message") and callable(exc.message):  # ReadError, SplitError, MergeError...
                _alert(book, exc.message("zh"))
            elif isinstance(exc, OutputLocked):
                _alert(book, str(exc))
            else:
                detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                _alert(book, f"操作未完成：{detail}\n请把此信息发给台账维护人员。")
    return None


def _alert(book: Any, message: str) -> None:
    try:
        book.app.alert(message, title=f"{TITLE} · 出错", buttons="ok", mode="critical")
    except Exception:
        pass


NO_WORKBOOK = "请先打开台账工作簿，再点击按钮。"


def calling_book(xw: Any) -> Any:
    """The workbook the user clicked in, in the Excel instance that ran the click.

    RunPython passes the name of the instance's active workbook and the instance's window handle
    (`--wb=... --hwnd=...`), and `Book.caller()` resolves that name in that instance.
    `xw.books.active` alone takes the active workbook of whichever Excel instance xlwings finds
    first: the wrong one when two are running. Outside RunPython (the remote engine, scripts)
    there is no caller, and the active book is the one.
    """
    try:
        return xw.Book.caller()
    except Exception:  # not started by RunPython
        pass
    try:
        return xw.books.active
    except Exception:
        return None


def ribbon_dispatch(tag: str) -> Any:
    """Called by the .xlam's VBA with the clicked button's tag; acts on the user's workbook."""
    import xlwings as xw

    book = calling_book(xw)
    if book is None:  # the VBA guards this too; Excel itself can still show the message
        try:
            xw.apps.active.alert(NO_WORKBOOK, title=f"{TITLE} · 出错")
        except Exception:
            pass
        return None
    if tag not in ACTIONS:
        _alert(book, f"未知按钮「{tag}」。")
        return None
    return run(tag, book)
