"""Stateless API: validate a file or a grid, split, merge, roll up an upload (/api/v1).

Each route stores the upload in a scratch folder under server-made names, calls the same core
function as the CLI command of the same name, and answers with what that command writes: the
`validate --format json` document, the merge `--report`, the roll-up `--json`, and the
workbooks. Nothing is kept after the response.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import zipfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Body, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from ..options import AreaQ, Lang, LangQ, SheetQ, TypeQ, UnitsQ, YearQ, checked_type, validate_options
from ..rendering import XLSX, ZIP, download
from ..uploads import Stored, store, workspace

router = APIRouter(prefix="/api/v1", tags=["工具 tools"])


class OutFormat(str, Enum):
    json = "json"
    zip = "zip"
    xlsx = "xlsx"


FormatQ = Annotated[OutFormat, Query(alias="format", description="json：报告加 base64 工作簿；zip：工作簿与 report.json 打包；xlsx：只要工作簿。")]


def _settings(request: Request):
    return request.app.state.settings


def _save(request: Request, upload: UploadFile, folder: Path, stem: str) -> Stored:
    return store(upload.file, upload.filename, folder, stem, _settings(request).max_upload)


def validate_upload(request: Request, file: UploadFile, options: Any) -> Any:
    """validate_file on the upload stored under a server name; the result's path is the client's file name."""
    from taizhang.validator.validate import validate_file

    with workspace(_settings(request).data_dir) as folder:
        stored = _save(request, file, folder, "upload")
        result = validate_file(stored.path, options)
    result.path = Path(stored.name)
    return result


@router.post("/validate", summary="校验上传的台账（同 taizhang validate --format json）")
def validate(request: Request, file: Annotated[UploadFile, File(description="台账文件 .xlsx .xlsm .xls .csv")],
             ledger_type: TypeQ = None, sheet: SheetQ = None, year: YearQ = None, units: UnitsQ = None,
             area_code: AreaQ = None, lang: LangQ = Lang.zh,
             strict: Annotated[bool, Query(description="有警告也算失败（只影响 X-Taizhang-Exit-Code）。")] = False) -> Response:
    """The JSON `taizhang validate --format json` prints, with the uploaded file's name as `path`.

    The header `X-Taizhang-Exit-Code` carries the CLI's exit code (0 clean, 1 errors, 2 unreadable).
    """
    from taizhang.validator.report import render, summary

    result = validate_upload(request, file, validate_options(ledger_type, sheet, year, units, area_code))
    s = summary([result])
    code = 2 if s["unreadable"] else 1 if (s["errors"] or (strict and s["warnings"])) else 0
    return Response(render([result], "json", lang.value), media_type="application/json",
                    headers={"X-Taizhang-Exit-Code": str(code)})


@router.post("/grid/validate", summary="校验加载项读出的表格区域，返回问题与标色方案")
def grid_validate(request: Request, grid: Annotated[dict[str, Any], Body(description="见 taizhang.validator.grid 的说明")],
                  ledger_type: TypeQ = None, year: YearQ = None, units: UnitsQ = None, area_code: AreaQ = None,
                  lang: LangQ = Lang.zh) -> JSONResponse:
    """`{"file": FileResult, "marks": MarksPlan | null}`; a malformed request is a 422 with the message."""
    from taizhang.validator.grid import GridError, validate_grid

    options = validate_options(ledger_type, None, year, units, area_code)
    try:
        result, marks = validate_grid(grid, options, lang.value)
    except GridError as exc:
        raise HTTPException(422, detail=exc.message(lang.value)) from None
    return JSONResponse({"file": result.to_dict(lang.value), "marks": None if marks is None else marks.to_dict()})


def _answer(report: dict[str, Any], files: list[tuple[str, Path]], fmt: OutFormat, name: str,
            extra: dict[str, Any] | None = None) -> Response:
    """The report and the written workbooks, as JSON (base64), a zip, or the one workbook."""
    if fmt == OutFormat.xlsx:
        if len(files) != 1:
            raise HTTPException(422, detail="此操作生成多个文件，请用 format=zip 或 format=json。")
        fname, path = files[0]
        return download(path.read_bytes(), fname, XLSX)
    if fmt == OutFormat.zip:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for fname, path in files:
                zf.write(path, fname)
            zf.writestr("report.json", json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return download(buffer.getvalue(), f"{name}.zip", ZIP)
    doc = {"report": report, **(extra or {}),
           "files": [{"name": fname, "media_type": XLSX, "size": path.stat().st_size,
                      "base64": base64.b64encode(path.read_bytes()).decode("ascii")} for fname, path in files]}
    return JSONResponse(doc)


@router.post("/split", summary="分发：每个单位一个文件（同 taizhang split）")
def split(request: Request, file: Annotated[UploadFile, File(description="总台账")],
          by: Annotated[Optional[str], Query(description="按哪一列分发；默认：台账写了多个责任单位时按责任单位，否则按联系人（同 taizhang split）。")] = None,
          ledger_type: TypeQ = None, lang: LangQ = Lang.zh, fmt: FormatQ = OutFormat.zip) -> Response:
    """The department workbooks `taizhang split` writes, and its result (paths as file names)."""
    from taizhang.ledgerops.split import split_ledger

    with workspace(_settings(request).data_dir) as folder:
        master = _save(request, file, folder, "master")
        result = split_ledger(master.path, folder / "out", by, ledger_type=checked_type(ledger_type))
        report = result.to_dict()
        report.update(master=master.name, out_dir="")
        for entry in report["files"]:
            entry["path"] = Path(entry["path"]).name
        report["summary"] = result.summary_text(lang.value).replace(f" {folder / 'out'}", "").rstrip("\n")
        files = [(f.path.name, f.path) for f in result.files]
        return _answer(report, files, fmt, "分发")


@router.post("/merge", summary="合并报送（同 taizhang merge --report）")
def merge(request: Request, master: Annotated[UploadFile, File(description="总台账（基准）")],
          files: Annotated[list[UploadFile], File(description="报送文件，可多个")],
          accept_new_rows: Annotated[bool, Query(description="把报送中新增的行加入其任务。")] = False,
          strict: Annotated[bool, Query(description="合并结果中任何校验错误都算（只影响 exit_code）。")] = False,
          ledger_type: TypeQ = None, lang: LangQ = Lang.zh, fmt: FormatQ = OutFormat.json) -> Response:
    """The merged master and the `--report` JSON. Submissions are stored as 报送01.xlsx, 报送02.xlsx…:
    `sources` maps those names (used in the report and the workbook's 合并记录) to the uploaded names."""
    from taizhang.ledgerops.merge import merge_ledgers

    with workspace(_settings(request).data_dir) as folder:
        base = _save(request, master, folder, "master")
        (folder / "in").mkdir()
        sources = {}
        for i, upload in enumerate(files, 1):
            stored = _save(request, upload, folder / "in", f"报送{i:02d}")
            sources[stored.path.name] = stored.name
        out, report_path = folder / "合并结果.xlsx", folder / "report.json"
        result = merge_ledgers(base.path, [folder / "in"], out, report=report_path,
                               accept_new_rows=accept_new_rows, ledger_type=checked_type(ledger_type), lang=lang.value)
        report = json.loads(report_path.read_text(encoding="utf-8"))
        report.update(master=base.name, out=out.name)
        return _answer(report, [(out.name, out)], fmt, "合并结果",
                       {"sources": sources, "exit_code": result.exit_code(strict),
                        "summary": result.summary_text(lang.value).rstrip("\n")})


@router.post("/rollup", summary="汇总总台账（同 taizhang rollup -o … --json …）")
def rollup(request: Request, file: Annotated[UploadFile, File(description="总台账（合并后的）")],
           previous: Annotated[Optional[UploadFile], File(description="上次的汇总或总台账（可选）")] = None,
           as_of: Annotated[Optional[str], Query(description="截至日期，如 2019-06-27；默认今天。")] = None,
           ledger_type: TypeQ = None, sheet: SheetQ = None, year: YearQ = None, units: UnitsQ = None,
           lang: LangQ = Lang.zh, fmt: FormatQ = OutFormat.json) -> Response:
    """The roll-up workbook and the `--json` document."""
    from taizhang.ledgerops.rollup import parse_as_of, render_summary, rollup as roll_up
    from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx

    try:
        day = parse_as_of(as_of) if as_of else dt.date.today()
    except ValueError:
        raise HTTPException(422, detail=f"as_of「{as_of}」不是日期，请写成 2019-06-27。") from None
    options = validate_options(ledger_type, sheet, year, units, None)
    with workspace(_settings(request).data_dir) as folder:
        master = _save(request, file, folder, "master")
        prev = _save(request, previous, folder, "previous") if previous is not None and previous.filename else None
        result = roll_up(master.path, day, prev.path if prev else None, ledger_type=options.ledger_type, sheet=sheet,
                         year=year, units=options.units)
        out = folder / "汇总.xlsx"
        write_rollup_xlsx(result, out)
        report = result.to_dict()
        report["master"] = master.name
        if prev is not None and "previous" in report and isinstance(report["previous"], dict):
            report["previous"]["path"] = prev.name
        return _answer(report, [(out.name, out)], fmt, "汇总",
                       {"summary": render_summary(result, lang.value).rstrip("\n")})
