"""The Excel front door: what the 台账 ribbon buttons run.

Written once against the xlwings `Book` API, so the same functions serve the desktop ribbon
add-in (RunPython, COM engine) and xlwings' remote engine (Office.js / tests). No rule lives
here: each entry point reads the workbook in bulk, calls the core packages and paints the
result. On the remote engine every Range access copies the whole sheet, so reads are one bulk
read and writes are blocks.

Entry points: validate, clear, split, merge, rollup, settings, help; `ribbon_dispatch(tag)` is
what the .xlam's single VBA callback calls with the button's tag.
"""

from __future__ import annotations

import datetime as _dt
import traceback
from pathlib import Path
from typing import Any, Callable

REPORT_SHEET = "校验结果"
MARKS_SHEET = "_taizhang_marks"
SETTINGS_SHEET = "设置"
ROLLUP_SHEET = "汇总"
OVERDUE_SHEET = "逾期清单"
REPORT_HEADER = ["单元格", "列", "值", "级别", "代码", "问题", "建议"]
ROLLUP_HEADER = ["责任单位", "事项", "已完成", "推进中", "未启动", "持续实施", "逾期"]
OVERDUE_HEADER = ["行", "责任单位", "节点日期", "逾期天数", "联系人", "联系电话"]
ERROR_FILL = "#FFC7CE"
WARNING_FILL = "#FFEB9C"
HEADER_FILL = "#DDEBF7"
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

def _grid(sheet: Any) -> list[list[Any]]:
    """One bulk read of a sheet as a rectangle starting at A1."""
    rng = sheet.used_range
    values = rng.options(ndim=2).value or []
    top, left = rng.row - 1, rng.column - 1
    width = left + max((len(r) for r in values), default=0)
    grid = [[""] * width for _ in range(top)]
    grid += [[""] * left + ["" if v is None else v for v in row] for row in values]
    return grid


def _sheet_names(book: Any) -> list[str]:
    return [s.name for s in book.sheets]


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


# --------------------------------------------------------------------------- marks

def _restore_marks(book: Any) -> int:
    """Put back the fills recorded by the last validate; returns how many cells."""
    if MARKS_SHEET not in _sheet_names(book):
        return 0
    rows = _grid(book.sheets[MARKS_SHEET])[1:]
    names = set(_sheet_names(book))
    restored = 0
    for row in rows:
        if len(row) < 3 or not row[0] or row[0] not in names:
            continue
        rng = book.sheets[row[0]][row[1]]
        rng.color = row[2] or None
        old_note = str(row[3]) if len(row) > 3 and row[3] else ""
        if old_note == KEEP_NOTE:
            pass  # the user's note was never replaced
        elif old_note:
            _add_note(rng, old_note)  # the user's own note comes back as it was
        else:
            _delete_note(rng)
        restored += 1
    return restored


def _previous_fill(rng: Any) -> str:
    try:
        color = rng.color
    except (NotImplementedError, AttributeError, Exception):  # remote clients do not send fills
        return ""
    if color is None:
        return ""
    if isinstance(color, tuple):
        return "#{:02X}{:02X}{:02X}".format(*color)
    return str(color)


KEEP_NOTE = "(保留原批注)"  # marks-sheet value: the cell has a note we could not read, so we never touch it


def _previous_note(rng: Any) -> str:
    """The cell's own note text; "" when it has none; KEEP_NOTE when it has one we cannot read."""
    try:
        note = rng.note
    except Exception:  # xlwings Server's clients send no notes at all
        return ""
    if note is None:
        return ""
    try:
        return note.text or ""
    except Exception:  # xlwings Lite knows a note is there but reads its text only asynchronously
        return KEEP_NOTE


def _add_note(rng: Any, text: str) -> bool:
    """A note on the cell where the client supports notes (desktop Excel, xlwings Lite)."""
    try:
        if rng.note is not None:
            rng.note.text = text
        else:
            rng.add_note(text)
        return True
    except Exception:  # xlwings Server's clients have no note action
        return False


def _delete_note(rng: Any) -> None:
    try:
        if rng.note is not None:
            rng.note.delete()
    except Exception:
        pass


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

def validate(book: Any) -> dict[str, int]:
    """校验: mark error cells red and warnings yellow, list every problem in 校验结果."""
    from taizhang.validator.findings import RULES
    from taizhang.validator.inspect import column_summary
    from taizhang.validator.validate import Options, validate_ledger

    sheet, ledger = _find_ledger(book)
    findings, _year = validate_ledger(ledger, Options())
    _restore_marks(book)  # validating twice never stacks marks
    marks = [["工作表", "单元格", "原填充色", "原批注"]]
    first = {}
    for f in findings:
        if f.cell and f.cell not in first:
            first[f.cell] = f
    for cell, f in first.items():
        rng = sheet[cell]
        previous_note = _previous_note(rng)
        marks.append([sheet.name, cell, _previous_fill(rng), previous_note])
        worst = "error" if any(x.cell == cell and x.severity == "error" for x in findings) else "warning"
        rng.color = ERROR_FILL if worst == "error" else WARNING_FILL
        if previous_note != KEEP_NOTE:
            _add_note(rng, "\n".join(x.message() for x in findings if x.cell == cell))
    report = [REPORT_HEADER]
    for f in findings:
        rule = RULES[f.code]
        report.append([f.cell, f.column, "" if f.value is None else str(f.value),
                       "错误" if f.severity == "error" else "警告", f.code, f.message(), rule.fix_zh])
    active = book.sheets.active
    rep = _fresh_sheet(book, REPORT_SHEET, header=REPORT_HEADER)
    rep["A1"].value = report
    rep["A1:G1"].color = HEADER_FILL
    for i, f in enumerate(findings, start=2):
        rep[f"A{i}"].add_hyperlink(f"#'{sheet.name}'!{f.cell}", f.cell, "跳转到该单元格")
    if len(marks) > 1:
        _fresh_sheet(book, MARKS_SHEET, hidden=True)["A1"].value = marks
    else:
        _delete_sheet(book, MARKS_SHEET)
    try:
        active.activate()
    except Exception:
        pass
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    if findings:
        msg = f"发现 {errors} 个错误、{warnings} 个警告，已在单元格上标出，详见「{REPORT_SHEET}」工作表。"
    else:
        msg = f"校验通过：{len(ledger)} 行，没有发现问题。"
    msg += f"\n\n表头第 {ledger.header_row} 行，{column_summary(ledger)}"  # a wrong guess is seen at once
    book.app.alert(msg, title=f"{TITLE} · 校验", buttons="ok", mode="critical" if errors else "info")
    return {"errors": errors, "warnings": warnings, "cells": len(first)}


def clear(book: Any) -> int:
    """清除标记: restore every fill validate changed and remove its report."""
    restored = _restore_marks(book)
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
    """Run one action; any problem reaches the user as a Chinese alert, never a traceback."""
    try:
        return ACTIONS[action](book)
    except AddinError as exc:
        _alert(book, str(exc))
    except Exception as exc:  # last line of defence: keep the user in Excel, tell them what failed
        from taizhang.ledgerops.safe_write import OutputLocked

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


def ribbon_dispatch(tag: str) -> Any:
    """Called by the .xlam's VBA with the clicked button's tag; acts on the user's workbook."""
    import xlwings as xw

    try:
        book = xw.books.active  # Book.caller() would be the add-in itself
    except Exception:
        book = None
    if book is None:  # no workbook open: Excel itself can still show the message
        try:
            xw.apps.active.alert("请先打开台账工作簿，再点击按钮。", title=f"{TITLE} · 出错")
        except Exception:
            pass
        return None
    if tag not in ACTIONS:
        _alert(book, f"未知按钮「{tag}」。")
        return None
    return run(tag, book)
