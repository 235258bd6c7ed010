"""Collection rounds over HTTP, in process: the office's endpoints, the department's link, every refusal.

The ledger is the 000 example split by 责任单位 (as in test_rounds): 市卫生健康委 (master rows
3-14), 市市场监管局 and 市医保局 (rows 10-13: rows 3-6 of their files). Expected values come from
the seed, worked out before the code ran.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import openpyxl
import pytest

from conftest import EX000
from service_client import PASSWORD, csrf_of, log_in, service_client
from test_hostile import HOSTILE
from test_rounds import G10_ROUND1, G10_SEED, SHEET, filled

pytestmark = pytest.mark.filterwarnings("ignore:.*httpx2")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFFICE = ("office", PASSWORD)


@pytest.fixture
def client(tmp_path):
    with service_client(tmp_path / "data") as c:
        yield c


def create(client, due=None, **form):
    data = {"name": "2019年第二季度", "due": (due or date.today() + timedelta(days=7)).isoformat(), "split_by": "责任单位",
            **form}
    response = client.post("/api/v1/rounds", auth=OFFICE, data=data,
                           files={"master": ("2019年卫生健康工作台账.xlsx", EX000.read_bytes(), XLSX)})
    assert response.status_code == 201, response.text
    doc = response.json()
    return doc, {d["name"]: d["link"].split("/d/", 1)[1] for d in doc["round"]["departments"]}


def own_file(client, token, tmp_path, name):
    response = client.get(f"/api/v1/d/{token}/file")
    assert response.status_code == 200
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


def upload(client, token, path, name=None):
    return client.post(f"/api/v1/d/{token}/upload", files={"file": (name or path.name, path.read_bytes(), XLSX)})


def test_create_gives_one_time_links_only_to_the_office(client, tmp_path):
    doc, tokens = create(client)
    rnd = doc["round"]
    assert [d["name"] for d in rnd["departments"]] == ["市卫生健康委", "市市场监管局", "市医保局"]
    assert all(d["link"].startswith("http://127.0.0.1:8765/d/") and len(d["link"].rsplit("/", 1)[1]) == 43
               for d in rnd["departments"])
    assert rnd["master_name"] == "2019年卫生健康工作台账.xlsx" and rnd["state_label"] == "收集中"
    status = client.get(f"/api/v1/rounds/{rnd['id']}", auth=OFFICE).text
    listing = client.get("/api/v1/rounds", auth=OFFICE).text
    assert not any(t in status or t in listing for t in tokens.values())  # shown once, never again
    assert json.loads(listing)["rounds"][0]["submitted"] == 0


def test_office_endpoints_refuse_without_login_or_csrf(client):
    doc, _ = create(client)
    rid = doc["round"]["id"]
    for method, path in [("get", "/api/v1/rounds"), ("get", f"/api/v1/rounds/{rid}"), ("post", f"/api/v1/rounds/{rid}/merge"),
                         ("get", f"/api/v1/rounds/{rid}/history"), ("get", f"/api/v1/rounds/{rid}/files/master"),
                         ("post", f"/api/v1/rounds/{rid}/departments/1/revoke"), ("post", "/api/v1/rounds")]:
        refused = getattr(client, method)(path)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "login-required", path
        assert getattr(client, method)(path, auth=("office", "wrong")).status_code == 401
    assert client.get(f"/rounds/{rid}", follow_redirects=False).headers["location"] == f"/login?next=/rounds/{rid}"
    log_in(client)
    assert client.get(f"/api/v1/rounds/{rid}").status_code == 200  # the session cookie suffices to read
    forged = client.post(f"/api/v1/rounds/{rid}/close")  # ... but not to change: no CSRF token
    assert forged.status_code == 403 and "CSRF" in forged.json()["error"]["message"]
    wrong = client.post(f"/api/v1/rounds/{rid}/close", headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    closed = client.post(f"/api/v1/rounds/{rid}/close", headers={"X-CSRF-Token": csrf_of(client)})
    assert closed.status_code == 200 and closed.json() == {"closed": rid}
    assert client.get("/api/v1/rounds/999").json()["error"] == {"code": "not-found", "message": "没有编号为 999 的报送轮次"}


@pytest.mark.parametrize("form, words", [
    ({"due": "6月底"}, "截止日期「6月底」不是日期"),
    ({"name": "  "}, "请填写报送轮次的名称"),
    ({"split_by": "不存在的列"}, "不存在的列"),
])
def test_create_refusals(client, form, words):
    data = {"name": "第二季度", "due": "2030-06-27", **form}
    response = client.post("/api/v1/rounds", auth=OFFICE, data=data,
                           files={"master": ("台账.xlsx", EX000.read_bytes(), XLSX)})
    assert response.status_code == 422 and words in response.json()["error"]["message"]


@pytest.mark.parametrize("case", [c for c in HOSTILE if c != "stray-value-at-last-row"])
def test_hostile_masters_and_uploads_are_refused(client, tmp_path, case):
    make, words = HOSTILE[case]
    bad = make(tmp_path)
    master = client.post("/api/v1/rounds", auth=OFFICE, data={"name": "第二季度", "due": "2030-06-27"},
                         files={"master": (bad.name, bad.read_bytes(), XLSX)})
    assert master.status_code == 422 and words in master.json()["error"]["message"]
    assert master.json()["error"]["message"].startswith(bad.name)
    _, tokens = create(client)
    sent = upload(client, tokens["市医保局"], bad)
    assert sent.status_code == 422, sent.text
    error = sent.json()["error"]
    assert words in error["message"] and "\n" not in error["message"] and "Traceback" not in sent.text
    assert client.get(f"/api/v1/d/{tokens['市医保局']}").json()["latest"] is None  # nothing was stored


def test_department_sees_only_itself_fixes_and_uploads_again(client, tmp_path):
    doc, tokens = create(client)
    rid, token = doc["round"]["id"], tokens["市医保局"]
    view = client.get(f"/api/v1/d/{token}").json()
    assert view["department"] == {"name": "市医保局", "rows": [10, 11, 12, 13], "file_name": "市医保局.xlsx"}
    assert "市卫生健康委" not in json.dumps(view, ensure_ascii=False)
    own = own_file(client, token, tmp_path, "own.xlsx")
    ws = openpyxl.load_workbook(own)[SHEET]
    assert ws["G3"].value == G10_SEED and ws["A7"].value in (None, "")  # four rows, no one else's
    first = upload(client, token, filled(own, tmp_path / "a.xlsx", {"G3": G10_ROUND1, "H4": "张三", "I4": "3905"}),
                   "市医保局 报送.xlsx")
    assert first.status_code == 200
    sub = first.json()
    assert (sub["errors"], sub["rows"], sub["original_name"]) == (3, 4, "市医保局 报送.xlsx") and "file" not in sub
    bad = [f for f in sub["findings"] if f["cell"] == "I4"]
    assert bad[0]["message"] == "「3905」不是有效的电话号码：位数不对"
    fixed = filled(own, tmp_path / "b.xlsx", {"G3": G10_ROUND1, "H4": "张三", "I4": "39052000", "H6": "李四", "I6": "39052001"})
    second = upload(client, token, fixed, "市医保局 报送（改）.xlsx").json()
    assert (second["errors"], second["warnings"], second["findings"]) == (0, 0, [])
    page = client.get(f"/d/{token}").text
    assert "已接收，没有发现问题。" in page and "市医保局 报送（改）.xlsx" in page
    status = {s["name"]: s for s in client.get(f"/api/v1/rounds/{rid}", auth=OFFICE).json()["status"]}
    assert (status["市医保局"]["submissions"], status["市医保局"]["errors"]) == (2, 0)
    # refused as a whole: another department's file
    other = upload(client, tokens["市市场监管局"], fixed, "市医保局.xlsx")
    assert other.status_code == 422 and other.json()["error"] == {
        "code": "wrong-department", "message": "市医保局.xlsx：这是分发给「市医保局」的文件，请上传本处室（市市场监管局）的文件",
        "cells": []}
    page = client.post(f"/d/{tokens['市市场监管局']}/upload", files={"file": ("市医保局.xlsx", fixed.read_bytes(), XLSX)})
    assert page.status_code == 422 and "文件未接收" in page.text


def test_bad_and_revoked_tokens(client, tmp_path):
    doc, tokens = create(client)
    rid = doc["round"]["id"]
    for bad in ("nope", "x" * 300, tokens["市医保局"][:-1]):
        response = client.get(f"/api/v1/d/{bad}")
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "链接无效或已失效，请向牵头处室索取新的报送链接"
    assert "链接无效或已失效" in client.get("/d/nope").text
    dept = next(d for d in doc["round"]["departments"] if d["name"] == "市医保局")
    assert client.post(f"/api/v1/rounds/{rid}/departments/{dept['id']}/revoke", auth=OFFICE).status_code == 200
    assert client.get(f"/api/v1/d/{tokens['市医保局']}").status_code == 404
    assert client.get(f"/api/v1/d/{tokens['市医保局']}/file").status_code == 404
    again = client.post(f"/api/v1/rounds/{rid}/departments/{dept['id']}/reissue", auth=OFFICE).json()
    link = again["round"]["departments"][0]["link"]
    assert [d["name"] for d in again["round"]["departments"]] == ["市医保局"]
    assert client.get("/api/v1/d/" + link.rsplit("/", 1)[1]).json()["department"]["name"] == "市医保局"


def test_late_uploads_are_refused_until_allowed(client, tmp_path):
    doc, tokens = create(client, due=date.today() - timedelta(days=1))
    rid, token = doc["round"]["id"], tokens["市医保局"]
    own = own_file(client, token, tmp_path, "own.xlsx")
    late = upload(client, token, own)
    assert late.status_code == 409 and "截止，不再接收报送" in late.json()["error"]["message"]
    assert client.get(f"/api/v1/d/{token}").json()["open"] is False
    assert client.post(f"/api/v1/rounds/{rid}/late", auth=OFFICE, data={"allow": "true"}).json() == {"allow_late": True}
    accepted = upload(client, token, own)
    assert accepted.status_code == 200 and accepted.json()["late"] is True


def test_uploads_are_capped(tmp_path):
    with service_client(tmp_path / "data", max_upload=300_000) as client:
        _, tokens = create(client)
        big = client.post(f"/api/v1/d/{tokens['市医保局']}/upload", files={"file": ("big.xlsx", b"x" * 400_000, XLSX)})
        assert big.status_code == 413 and big.json()["error"]["code"] == "upload-too-large"


def test_merge_history_downloads_rollup_and_next_round(client, tmp_path):
    doc, tokens = create(client)
    rid = doc["round"]["id"]
    ybj = own_file(client, tokens["市医保局"], tmp_path, "ybj.xlsx")
    upload(client, tokens["市医保局"], filled(ybj, tmp_path / "a.xlsx", {"G3": G10_ROUND1, "H4": "张三", "I4": "39052000"}))
    jgj = own_file(client, tokens["市市场监管局"], tmp_path, "jgj.xlsx")
    upload(client, tokens["市市场监管局"], filled(jgj, tmp_path / "c.xlsx", {"G5": "已完成短缺药品信息直报培训。", "F5": "5月底"}))
    status = client.get(f"/api/v1/rounds/{rid}", auth=OFFICE).json()
    assert status["missing"] == ["市卫生健康委"] and status["submitted"] == 2
    assert status["chase_text"].endswith("以下 1 个处室尚未报送，请抓紧报送：市卫生健康委。")
    assert client.get(f"/api/v1/rounds/{rid}/merge", auth=OFFICE).status_code == 404  # not merged yet

    merged = client.post(f"/api/v1/rounds/{rid}/merge", auth=OFFICE).json()
    assert {a["cell"] for a in merged["report"]["applied"]} == {"G10", "H11", "I11", "G12"}
    assert [(r["cell"], r["old"], r["new"], r["source"]) for r in merged["report"]["rejected"]] == [
        ("F12", "6月底", "5月底", "市市场监管局.xlsx")]
    assert merged["missing"] == ["市卫生健康委"]
    report = client.get(f"/api/v1/rounds/{rid}/merge", auth=OFFICE).json()["report"]
    assert report["master"] == "2019年卫生健康工作台账.xlsx" and report["summary"]["rejected"] == 1
    page = client.get(f"/rounds/{rid}/merge", auth=OFFICE).text
    assert "锁定列的修改：处室不能改这些列，未写入" in page and "F12" in page

    master = client.get(f"/api/v1/rounds/{rid}/files/merged", auth=OFFICE)
    assert "%EF%BC%88" in master.headers["content-disposition"]  # （…合并）
    ws = openpyxl.load_workbook(io.BytesIO(master.content))[SHEET]
    assert (ws["G10"].value, ws["H11"].value, ws["I11"].value, ws["F12"].value, ws["G12"].value) == (
        G10_ROUND1, "张三", "39052000", "6月底", "已完成短缺药品信息直报培训。")
    history = client.get(f"/api/v1/rounds/{rid}/history", params={"cell": "G10"}, auth=OFFICE).json()
    (change,) = history["changes"]
    assert (change["department"], change["old"], change["new"], change["round_name"]) == (
        "市医保局", G10_SEED, G10_ROUND1, "2019年第二季度")
    assert len(change["file_sha256"]) == 64
    log = json.dumps(history["events"], ensure_ascii=False)
    assert [e["action"] for e in history["events"]][:1] == ["round-created"] and "round-merged" in log
    assert G10_ROUND1 not in log and "39052000" not in log  # the event log holds no cell contents
    bad_cell = client.get(f"/api/v1/rounds/{rid}/history", params={"cell": "十一"}, auth=OFFICE)
    assert bad_cell.status_code == 422 and "单元格地址无效" in bad_cell.json()["error"]["message"]

    rolled = client.post(f"/api/v1/rounds/{rid}/rollup", auth=OFFICE, data={"as_of": "2019-06-27"}).json()
    assert rolled["report"]["totals"]["items"] == 12 and rolled["report"]["as_of"] == "2019-06-27"
    files = client.get(f"/api/v1/rounds/{rid}/downloads", auth=OFFICE).json()
    assert [f["url"].rsplit("/", 1)[1] for f in files["files"]] == ["master", "merged", "rollup"]
    roll = openpyxl.load_workbook(io.BytesIO(client.get(files["files"][2]["url"], auth=OFFICE).content))
    assert roll.sheetnames[0] == "汇总"
    issued = client.get(files["departments"][2]["issued_url"], auth=OFFICE)
    assert openpyxl.load_workbook(io.BytesIO(issued.content))[SHEET]["G3"].value == G10_SEED
    sent = client.get(files["departments"][2]["submitted_url"], auth=OFFICE)
    assert openpyxl.load_workbook(io.BytesIO(sent.content))[SHEET]["G3"].value == G10_ROUND1

    nxt = client.post(f"/api/v1/rounds/{rid}/next", auth=OFFICE, data={"name": "2019年第三季度", "due": "2030-09-26"})
    assert nxt.status_code == 201
    new_tokens = {d["name"]: d["link"].rsplit("/", 1)[1] for d in nxt.json()["round"]["departments"]}
    assert client.get(f"/api/v1/d/{tokens['市医保局']}").status_code == 404  # the old round is closed
    starts = own_file(client, new_tokens["市医保局"], tmp_path, "next.xlsx")
    assert openpyxl.load_workbook(starts)[SHEET]["G3"].value == G10_ROUND1  # from the merged master
    closed = client.post(f"/api/v1/rounds/{rid}/merge", auth=OFFICE)
    assert closed.status_code == 409 and "已结束" in closed.json()["error"]["message"]


def test_pages_render_for_the_office(client, tmp_path):
    doc, tokens = create(client)
    rid = doc["round"]["id"]
    log_in(client)
    for path, words in [("/", "2019年第二季度"), ("/rounds/new", "创建并分发"), (f"/rounds/{rid}", "复制催报通知"),
                        (f"/rounds/{rid}/downloads", "下发的总台账"), (f"/rounds/{rid}/history", "没有找到修改记录"),
                        ("/docs", "swagger-ui")]:
        response = client.get(path)
        assert response.status_code == 200 and words in response.text, path
    assert client.get(f"/rounds/{rid}?format=json").json()["round"]["id"] == rid
    created = client.post("/rounds", data={"name": "第三季度", "due": "2030-09-26", "split_by": "责任单位",
                                           "csrftoken": csrf_of(client)},
                          files={"master": ("台账.xlsx", EX000.read_bytes(), XLSX)})
    assert created.status_code == 201 and created.text.count("/d/") >= 3 and "只显示这一次" in created.text
    refused = client.post("/rounds", data={"name": "第三季度", "due": "2030-09-26"},
                          files={"master": ("台账.xlsx", EX000.read_bytes(), XLSX)})
    assert refused.status_code == 403 and "CSRF" in refused.text


def test_demo_round_prints_working_links(tmp_path):
    from taizhang.service.config import Settings
    from taizhang.service.demo import create_demo

    with service_client(tmp_path / "data", password=None) as client:
        text = create_demo(client.app.state.rounds, Settings(data_dir=tmp_path / "data"), "http://127.0.0.1:8765")
        lines = text.splitlines()
        assert lines[0] == "已创建示例报送轮次《示例：2019年第二季度》（总台账 examples/000，按责任单位分发给 3 个处室）。"
        assert lines[1] == "  改革办：http://127.0.0.1:8765/rounds/1（本机访问无需密码）"
        links = dict(line.strip().split("：", 1) for line in lines[2:])
        assert list(links) == ["市卫生健康委", "市市场监管局", "市医保局"]
        view = client.get(links["市医保局"].replace("http://127.0.0.1:8765", "") + "?format=json").json()
        assert view["department"]["rows"] == [10, 11, 12, 13]
