"""The reform office's pages and their JSON twins: login, rounds, status, merge, downloads, history.

Each handler builds a dict from the rounds package and hands it to `page()` (HTML, or JSON under
/api/v1 and with ?format=json) or, after a form's action, to `done()` (a redirect, or JSON).
Every route here depends on `require_office`: logged in, and CSRF-checked when changing state.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated, Any, Optional

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from .. import auth
from ..config import Settings
from ..rendering import XLSX, done, download, page
from ..uploads import store as store_upload, workspace

router = APIRouter(tags=["改革办 office"])
log = logging.getLogger("taizhang.service")
Office = [Depends(auth.require_office)]
ACTOR = "改革办"
SPLIT_CHOICES = {"": "默认（有多个责任单位时按单位，否则按联系人）", "责任单位": "责任单位", "联系人": "联系人", "牵头单位": "牵头单位",
                 "牵头部门": "牵头部门"}


def open_rounds(settings: Settings) -> Any:
    """The rounds store behind the app: SQLite in the data folder, or the --db URL."""
    from taizhang.rounds import Store

    return Store.open(settings.data_dir, settings.db_url)


def _store(request: Request) -> Any:
    return request.app.state.rounds


def _round(request: Request, round_id: int) -> tuple[Any, Any]:
    """The store and the round (NotFound, a 404, when there is none)."""
    from taizhang.rounds import get_round

    store = _store(request)
    return store, get_round(store, round_id)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def department_link(request: Request, token: str) -> str:
    return f"{_base(request)}/d/{token}"


def _day(text: str, field: str) -> dt.date:
    from taizhang.ledgerops.rollup import parse_as_of

    try:
        return parse_as_of(text)
    except ValueError:
        raise HTTPException(422, detail=f"{field}「{text}」不是日期，请写成 2019-06-27。") from None


# ----------------------------------------------------------------------------- login

@router.get("/login", include_in_schema=False)
def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
async def login(request: Request, password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/") -> Response:
    await auth.check_csrf(request)
    client = request.client.host if request.client else "?"
    if await auth.login(request, password):
        log.info("office login from %s", client)
        return RedirectResponse(_safe_next(next), status_code=303)
    log.warning("failed office login from %s", client)
    return page(request, "login.html", {"next": _safe_next(next), "error": "密码不正确。"}, 401)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    await auth.check_csrf(request)
    auth.logout(request)
    return RedirectResponse("/login", status_code=303)


# ----------------------------------------------------------------------------- rounds

def _round_summary(store: Any, rnd: Any) -> dict[str, Any]:
    from taizhang.rounds import round_status

    status = round_status(store, rnd.id)
    d = rnd.to_dict()
    d.update(departments=len(rnd.departments), submitted=sum(1 for s in status if s.submitted))
    return d


@router.get("/", include_in_schema=False, dependencies=Office)
@router.get("/api/v1/rounds", summary="报送轮次列表", dependencies=Office)
def rounds_list(request: Request) -> Response:
    from taizhang.rounds import list_rounds

    store = _store(request)
    return page(request, "index.html", {"rounds": [_round_summary(store, r) for r in list_rounds(store)]})


@router.get("/rounds/new", include_in_schema=False, dependencies=Office)
def round_form(request: Request) -> Response:
    due = dt.date.today() + dt.timedelta(days=14)
    return page(request, "round_new.html", {"due": due.isoformat(), "split_choices": SPLIT_CHOICES, "error": None})


def _links(request: Request, rnd: Any) -> dict[str, Any]:
    data = rnd.to_dict()
    for d in data["departments"]:
        if d.get("token"):
            d["link"] = department_link(request, d.pop("token"))
    return data


@router.post("/rounds", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds", summary="新建报送轮次：上传总台账，按处室分发，返回各处室链接（只此一次）", dependencies=Office)
def create(request: Request, master: Annotated[UploadFile, File(description="总台账")],
           name: Annotated[str, Form(description="轮次名称，如 2019年第二季度")],
           due: Annotated[str, Form(description="截止日期，如 2019-06-27")],
           split_by: Annotated[str, Form(description="按哪一列分发；空为默认")] = "",
           allow_late: Annotated[bool, Form()] = False) -> Response:
    """The departments' links are in the answer only: the service keeps their hashes, not the tokens."""
    from taizhang.rounds import create_round

    due_day = _day(due, "截止日期")
    settings = request.app.state.settings
    with workspace(settings.data_dir) as folder:
        stored = store_upload(master.file, master.filename, folder, "master", settings.max_upload)
        rnd = create_round(_store(request), stored.path, name, due_day, by=ACTOR, split_by=split_by or None,
                           master_name=stored.name, allow_late=allow_late)
    return page(request, "links.html", {"round": _links(request, rnd), "created": True}, 201)


def _status(request: Request, round_id: int) -> dict[str, Any]:
    from taizhang.rounds import chase_text, round_status

    store, rnd = _round(request, round_id)
    status = [s.to_dict() for s in round_status(store, round_id)]
    return {"round": rnd.to_dict(), "status": status, "chase_text": chase_text(store, round_id),
            "missing": [s["name"] for s in status if not s["submitted"]],
            "submitted": sum(1 for s in status if s["submitted"]), "errors": sum(s["errors"] for s in status),
            "overdue": dt.date.today() > rnd.due}


@router.get("/rounds/{round_id}", include_in_schema=False, dependencies=Office)
@router.get("/api/v1/rounds/{round_id}", summary="报送情况：谁已报送、何时、几个错误；谁未报送（催报）", dependencies=Office)
def status(request: Request, round_id: int) -> Response:
    return page(request, "round.html", _status(request, round_id))


@router.post("/rounds/{round_id}/merge", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds/{round_id}/merge", summary="合并本轮各处室最新报送（三方合并）", dependencies=Office)
def merge(request: Request, round_id: int, accept_new_rows: Annotated[bool, Form()] = False) -> Response:
    from taizhang.rounds import merge_round

    outcome = merge_round(_store(request), round_id, by=ACTOR, accept_new_rows=accept_new_rows)
    return done(request, f"/rounds/{round_id}/merge", outcome.to_dict())


@router.get("/rounds/{round_id}/merge", include_in_schema=False, dependencies=Office)
@router.get("/api/v1/rounds/{round_id}/merge", summary="本轮合并报告：已应用、冲突、锁定列修改、新增行", dependencies=Office)
def merge_page(request: Request, round_id: int) -> Response:
    from taizhang.rounds import merge_report

    store, rnd = _round(request, round_id)
    report = merge_report(store, round_id)
    if report is None and not request.url.path.startswith("/api/"):
        return RedirectResponse(f"/rounds/{round_id}", status_code=303)
    if report is None:
        raise HTTPException(404, detail=f"《{rnd.name}》尚未合并。")
    report = dict(report, master=rnd.master_name, out=rnd.master_name)  # not the server's work paths
    return page(request, "merge.html", {"round": rnd.to_dict(), "report": report})


@router.post("/rounds/{round_id}/rollup", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds/{round_id}/rollup", summary="汇总本轮（与上一轮比较）", dependencies=Office)
def rollup(request: Request, round_id: int, as_of: Annotated[str, Form()] = "") -> Response:
    from taizhang.rounds import rollup_round

    day = _day(as_of, "截至日期") if as_of.strip() else None
    outcome = rollup_round(_store(request), round_id, day, by=ACTOR)
    return done(request, f"/rounds/{round_id}/downloads", outcome.to_dict())


@router.get("/rounds/{round_id}/downloads", include_in_schema=False, dependencies=Office)
@router.get("/api/v1/rounds/{round_id}/downloads", summary="本轮可下载的文件", dependencies=Office)
def downloads(request: Request, round_id: int) -> Response:
    from taizhang.rounds import latest_submissions

    store, rnd = _round(request, round_id)
    base = f"/api/v1/rounds/{round_id}/files"
    files = [{"label": "下发的总台账", "name": rnd.master_name, "url": f"{base}/master"}]
    if rnd.merged_file:
        files.append({"label": "合并后的总台账", "name": _merged_name(rnd), "url": f"{base}/merged"})
    if rnd.rollup_file:
        files.append({"label": "汇总", "name": _rollup_name(rnd), "url": f"{base}/rollup"})
    latest = latest_submissions(store, round_id)
    departments = [{"name": d.name, "file_name": d.file_name, "issued_url": f"{base}/departments/{d.id}",
                    "submitted_url": f"{base}/submissions/{latest[d.id].id}" if d.id in latest else None,
                    "submitted_name": latest[d.id].original_name if d.id in latest else None}
                   for d in rnd.departments]
    return page(request, "downloads.html", {"round": rnd.to_dict(), "files": files, "departments": departments})


def _merged_name(rnd: Any) -> str:
    return f"{Path(rnd.master_name).stem}（{rnd.name}合并）.xlsx"


def _rollup_name(rnd: Any) -> str:
    return f"{Path(rnd.master_name).stem}（{rnd.name}汇总）.xlsx"


@router.get("/api/v1/rounds/{round_id}/files/{kind}", summary="下载：master 下发的总台账、merged 合并后的、rollup 汇总",
            dependencies=Office)
def round_file(request: Request, round_id: int, kind: str) -> Response:
    store, rnd = _round(request, round_id)
    key, name = {"master": (rnd.master_file, rnd.master_name), "merged": (rnd.merged_file, _merged_name(rnd)),
                 "rollup": (rnd.rollup_file, _rollup_name(rnd))}.get(kind, (None, None))
    if key is None:
        raise HTTPException(404, detail="没有这个文件（尚未合并或尚未汇总）。")
    return download(store.file_path(key).read_bytes(), name, XLSX)


@router.get("/api/v1/rounds/{round_id}/files/departments/{department_id}", summary="下载：分发给某处室的文件",
            dependencies=Office)
def department_file(request: Request, round_id: int, department_id: int) -> Response:
    from taizhang.rounds import download_for_department

    store, rnd = _round(request, round_id)
    dept = rnd.department(department_id)
    return download(download_for_department(store, round_id, department_id).read_bytes(), dept.file_name, XLSX)


@router.get("/api/v1/rounds/{round_id}/files/submissions/{submission_id}", summary="下载：某处室报送的文件",
            dependencies=Office)
def submission_file(request: Request, round_id: int, submission_id: int) -> Response:
    from taizhang.rounds import submissions

    store, rnd = _round(request, round_id)
    sub = next((s for s in submissions(store, round_id) if s.id == submission_id), None)
    if sub is None:
        raise HTTPException(404, detail=f"本轮没有编号为 {submission_id} 的报送。")
    dept = rnd.department(sub.department_id)
    return download(store.file_path(sub.file).read_bytes(), f"{Path(dept.file_name).stem}（报送）{Path(sub.file).suffix}",
                    XLSX)


@router.get("/rounds/{round_id}/history", include_in_schema=False, dependencies=Office)
@router.get("/api/v1/rounds/{round_id}/history", summary="单元格修改记录：谁、何时、从什么改成什么", dependencies=Office)
def history(request: Request, round_id: int,
            cell: Annotated[Optional[str], Query(description="单元格，如 G11")] = None,
            column: Annotated[Optional[str], Query(description="列字母或表头，如 G 或 推进情况")] = None,
            department: Annotated[Optional[str], Query(description="处室")] = None,
            all_rounds: Annotated[bool, Query(description="包括同一台账的各轮")] = True) -> Response:
    from taizhang.rounds import cell_history, events

    store, rnd = _round(request, round_id)
    changes = cell_history(store, None if all_rounds else round_id, ledger_id=rnd.ledger_id if all_rounds else None,
                           cell=cell or None, column=column or None, department=department or None)
    return page(request, "history.html", {
        "round": rnd.to_dict(), "query": {"cell": cell or "", "column": column or "", "department": department or ""},
        "changes": [c.to_dict() for c in changes], "events": [_event(e) for e in events(store, round_id)]})


EVENT_LABELS = {"round-created": "创建轮次", "submitted": "上传报送", "submission-refused": "上传未接收",
                "round-merged": "合并", "rolled-up": "汇总", "token-revoked": "收回链接", "token-reissued": "重新生成链接",
                "round-closed": "结束轮次", "late-allowed": "允许逾期补报", "late-refused": "停止接收补报"}


def _event(event: Any) -> dict[str, Any]:
    """An event-log entry with a Chinese label and a short note made from its counts (never cell contents)."""
    d = event.to_dict()
    x = d["detail"]
    d["label"] = EVENT_LABELS.get(d["action"], d["action"])
    notes = {"round-created": lambda: f"{x.get('departments')} 个处室，截止 {x.get('due')}",
             "submitted": lambda: f"{x.get('original_name')}：{x.get('rows')} 行，{x.get('errors')} 个错误，{x.get('warnings')} 个警告",
             "submission-refused": lambda: f"原因：{x.get('reason')}",
             "round-merged": lambda: f"{x.get('submissions')} 份报送，写入 {x.get('applied')} 处，冲突 {x.get('conflicts')} 处，"
                                     f"锁定列 {x.get('rejected')} 处",
             "rolled-up": lambda: f"截至 {x.get('as_of')}"}
    d["note"] = notes[d["action"]]() if d["action"] in notes else ""
    return d


@router.post("/rounds/{round_id}/departments/{department_id}/revoke", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds/{round_id}/departments/{department_id}/revoke", summary="收回处室链接", dependencies=Office)
def revoke(request: Request, round_id: int, department_id: int) -> Response:
    from taizhang.rounds import revoke_token

    revoke_token(_store(request), round_id, department_id, by=ACTOR)
    return done(request, f"/rounds/{round_id}", {"revoked": department_id})


@router.post("/rounds/{round_id}/departments/{department_id}/reissue", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds/{round_id}/departments/{department_id}/reissue", summary="重新生成处室链接（旧链接失效）",
             dependencies=Office)
def reissue(request: Request, round_id: int, department_id: int) -> Response:
    from taizhang.rounds import get_round, reissue_token

    store = _store(request)
    token = reissue_token(store, round_id, department_id, by=ACTOR)
    rnd = get_round(store, round_id)
    rnd.departments = [rnd.department(department_id)]
    rnd.departments[0].token = token
    return page(request, "links.html", {"round": _links(request, rnd), "created": False})


@router.post("/rounds/{round_id}/late", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds/{round_id}/late", summary="允许或停止逾期补报", dependencies=Office)
def late(request: Request, round_id: int, allow: Annotated[bool, Form()] = False) -> Response:
    from taizhang.rounds import set_allow_late

    set_allow_late(_store(request), round_id, allow, by=ACTOR)
    return done(request, f"/rounds/{round_id}", {"allow_late": allow})


@router.post("/rounds/{round_id}/next", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds/{round_id}/next", summary="从本轮合并结果开始下一轮（本轮结束）", dependencies=Office)
def start_next(request: Request, round_id: int, name: Annotated[str, Form()], due: Annotated[str, Form()]) -> Response:
    from taizhang.rounds import next_round

    rnd = next_round(_store(request), round_id, name, _day(due, "截止日期"), by=ACTOR)
    return page(request, "links.html", {"round": _links(request, rnd), "created": True}, 201)


@router.post("/rounds/{round_id}/close", include_in_schema=False, dependencies=Office)
@router.post("/api/v1/rounds/{round_id}/close", summary="结束本轮：链接失效，不再接收报送", dependencies=Office)
def close(request: Request, round_id: int) -> Response:
    from taizhang.rounds import close_round

    close_round(_store(request), round_id, by=ACTOR)
    return done(request, f"/rounds/{round_id}", {"closed": round_id})
