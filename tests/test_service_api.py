"""The service's stateless API over HTTP, in process: the same answers as the CLI, every refusal."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import openpyxl
import pytest
from typer.testing import CliRunner

from taizhang.cli import app as cli
from conftest import EX000, EX003
from service_client import PASSWORD, csrf_of, service_client
from test_hostile import HOSTILE, _xxe

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore:.*httpx2")  # starlette nudges towards httpx2; httpx works
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def client(tmp_path):
    with service_client(tmp_path / "data") as c:
        yield c


def _upload(path, name=None):
    return {"file": (name or path.name, path.read_bytes(), XLSX)}


def _cli_json(*args):
    result = runner.invoke(cli, [*map(str, args)])
    return json.loads(result.stdout), result.exit_code


def test_validate_is_the_cli_json(client):
    response = client.post("/api/v1/validate", files=_upload(EX000, "大连台账.xlsx"))
    assert response.status_code == 200 and response.headers["x-taizhang-exit-code"] == "1"
    doc = response.json()
    expected, code = _cli_json("validate", EX000, "--format", "json")
    assert code == 1
    expected["files"][0]["path"] = "大连台账.xlsx"
    assert doc == expected
    assert [(f["code"], f["cell"]) for f in doc["files"][0]["findings"]] == [
        ("missing-contact", "H11"), ("missing-phone", "I11"), ("missing-contact", "H13"), ("missing-phone", "I13")]
    assert doc["files"][0]["findings"][0]["message"] == "H11 未填写联系人（本行有任务或成果，须明确联系人）"


def test_validate_options_like_the_cli_flags(client):
    en = client.post("/api/v1/validate", params={"lang": "en", "year": 2019, "type": "reform-ledger"},
                     files=_upload(EX000)).json()
    expected, _ = _cli_json("validate", EX000, "--format", "json", "--lang", "en", "--year", "2019",
                            "--type", "reform-ledger")
    expected["files"][0]["path"] = EX000.name
    assert en == expected and en["files"][0]["type_detected"] is False
    clean = client.post("/api/v1/validate", files=_upload(EX003))
    assert clean.headers["x-taizhang-exit-code"] == "0" and clean.json()["files"][0]["rows"] == 40


@pytest.mark.parametrize("params, words", [
    ({"type": "no-such-type"}, "未知台账类型「no-such-type」"),
    ({"units": "/etc/passwd"}, "服务端不读取文件路径"),
    ({"type": "../templates/reform-ledger.yaml"}, "未知台账类型"),
    ({"year": 1800}, "year"),
    ({"area_code": "abc"}, "area_code"),
])
def test_options_naming_files_or_out_of_range_are_refused(client, params, words):
    response = client.post("/api/v1/validate", params=params, files=_upload(EX003))
    assert response.status_code == 422
    assert words in response.json()["error"]["message"]


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_files_one_clear_message(client, tmp_path, case):
    make, words = HOSTILE[case]
    bad = make(tmp_path)
    response = client.post("/api/v1/validate", files=_upload(bad))
    assert response.status_code == 200 and response.headers["x-taizhang-exit-code"] == "2"
    (entry,) = response.json()["files"]
    assert entry["path"] == bad.name and entry["findings"] == []
    assert entry["error"]["code"] in ("unreadable-file", "header-not-found")
    assert words in entry["error"]["message"] and "\n" not in entry["error"]["message"]
    assert "Traceback" not in response.text
    # the same file as a master to split or roll up: refused with the same sentence, 422
    if case != "stray-value-at-last-row":
        for endpoint in ("/api/v1/split", "/api/v1/rollup"):
            refused = client.post(endpoint, files=_upload(bad))
            assert refused.status_code == 422, (endpoint, refused.text)
            assert words in refused.json()["error"]["message"]


def test_xxe_is_never_expanded(client, tmp_path):
    response = client.post("/api/v1/validate", files=_upload(_xxe(tmp_path)))
    assert "TOP-SECRET" not in response.text and "实体" in response.text


def test_client_names_never_become_paths(client, tmp_path):
    data = tmp_path / "data"
    response = client.post("/api/v1/validate", files=_upload(EX003, "../../../outside\\evil.xlsx"))
    assert response.json()["files"][0]["path"] == "evil.xlsx"
    assert not (tmp_path / "outside").exists() and not list(tmp_path.glob("evil*"))
    assert list((data / "tmp").iterdir()) == []  # the scratch folder is gone after the answer


def test_uploads_are_capped(tmp_path):
    with service_client(tmp_path / "data", max_upload=200_000) as client:
        big = client.post("/api/v1/validate", files={"file": ("big.xlsx", b"PK" + b"x" * 300_000, XLSX)})
        assert big.status_code == 413
        assert big.json()["error"] == {"code": "upload-too-large", "message": "上传的文件过大（超过 0.2 MB），未处理。"}

        def chunks():  # no Content-Length: counted as it streams
            yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n\r\n"
            for _ in range(40):
                yield b"x" * 10_000

        streamed = client.post("/api/v1/validate", content=chunks(),
                               headers={"content-type": "multipart/form-data; boundary=b"})
        assert streamed.status_code == 413 and "过大" in streamed.json()["error"]["message"]
        assert client.post("/api/v1/validate", files=_upload(EX003)).status_code == 200


def _grid_request():
    from python_calamine import CalamineWorkbook

    values = CalamineWorkbook.from_path(str(EX000)).get_sheet_by_name("工作台账").to_python(skip_empty_area=False)
    rows = [["" if v is None else v for v in r] for r in values]
    return {"sheet": "工作台账", "top_left": "A1", "values": rows, "file_name": EX000.name}


def test_grid_validate_contract(client):
    response = client.post("/api/v1/grid/validate", json=_grid_request())
    assert response.status_code == 200
    doc = response.json()
    assert set(doc) == {"file", "marks"}
    assert [(f["code"], f["cell"]) for f in doc["file"]["findings"]] == [
        ("missing-contact", "H11"), ("missing-phone", "I11"), ("missing-contact", "H13"), ("missing-phone", "I13")]
    assert doc["marks"]["fills"][0]["color"] == "#FFC7CE"
    assert doc["marks"]["fills"][0]["addresses"] == ["H11:I11,H13:I13"]
    no_header = client.post("/api/v1/grid/validate", json={"sheet": "S", "values": [["a", "b"]]}).json()
    assert no_header["marks"] is None and no_header["file"]["error"]["code"] == "header-not-found"
    bad = client.post("/api/v1/grid/validate", json={"sheet": "S", "values": [[1]], "number_formats": []})
    assert bad.status_code == 422 and bad.json()["error"]["message"] == "「number_formats」必须与 values 同样大小"
    en = client.post("/api/v1/grid/validate", params={"lang": "en"}, json={"sheet": "S"})
    assert en.status_code == 422 and en.json()["error"]["message"] == "the request has no 'values' (a list of rows)"
    assert client.post("/api/v1/grid/validate", content=b"[1,2", headers={"content-type": "application/json"}).status_code == 422


def test_cors_for_the_spreadsheet_clients_only(tmp_path):
    origin = "https://wps.example.gov.cn"
    with service_client(tmp_path / "data", cors_origins=[origin]) as client:
        pre = client.options("/api/v1/grid/validate", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == origin
        assert "access-control-allow-credentials" not in pre.headers
        simple = client.post("/api/v1/grid/validate", json=_grid_request(), headers={"Origin": origin})
        assert simple.headers["access-control-allow-origin"] == origin
        other = client.options("/api/v1/grid/validate", headers={
            "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
        assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
        office = client.get("/login", headers={"Origin": origin})
        assert "access-control-allow-origin" not in office.headers


def test_split_gives_each_department_its_rows(client, tmp_path):
    from taizhang.ledgerops.split import split_ledger

    response = client.post("/api/v1/split", files=_upload(EX000))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''%E5%88%86%E5%8F%91.zip" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    report = json.loads(archive.read("report.json"))
    cli_result = split_ledger(EX000, tmp_path / "cli-split")
    assert [(f["department"], f["rows"]) for f in report["files"]] == [
        (f.department, f.rows) for f in cli_result.files]
    assert report["master"] == EX000.name and report["by"] == "联系人"
    assert ("马新光", "马新光.xlsx", [5, 8]) in [(f["department"], f["path"], f["rows"]) for f in report["files"]]
    ws = openpyxl.load_workbook(io.BytesIO(archive.read("马新光.xlsx")))["工作台账"]
    contacts = [ws.cell(r, 8).value for r in range(3, ws.max_row + 1) if ws.cell(r, 3).value]
    assert contacts and all("马新光" in c for c in contacts)
    as_json = client.post("/api/v1/split", params={"format": "json"}, files=_upload(EX000)).json()
    assert [f["name"] for f in as_json["files"]] == [f["path"] for f in report["files"]]
    refused = client.post("/api/v1/split", params={"by": "不存在的列"}, files=_upload(EX000))
    assert refused.status_code == 422 and "不存在的列" in refused.json()["error"]["message"]


def test_merge_applies_a_department_edit(client, tmp_path):
    split = zipfile.ZipFile(io.BytesIO(client.post("/api/v1/split", files=_upload(EX000)).content))
    wb = openpyxl.load_workbook(io.BytesIO(split.read("宋斌.xlsx")))
    ws = wb["工作台账"]
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 8).value and "宋斌" in ws.cell(r, 8).value)
    ws.cell(row, 7).value = "已完成：6月20日印发实施方案。"
    sub = tmp_path / "宋斌-报送.xlsx"
    wb.save(sub)
    response = client.post("/api/v1/merge", files=[
        ("master", (EX000.name, EX000.read_bytes(), XLSX)),
        ("files", (sub.name, sub.read_bytes(), XLSX))])
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["sources"] == {"报送01.xlsx": "宋斌-报送.xlsx"}
    report = doc["report"]
    assert report["master"] == EX000.name and report["out"] == "合并结果.xlsx"
    assert [(a["column"], a["new"]) for a in report["applied"]] == [("推进情况", "已完成：6月20日印发实施方案。")]
    assert report["summary"]["conflicts"] == 0 and report["summary"]["applied"] == 1
    (out,) = doc["files"]
    merged = openpyxl.load_workbook(io.BytesIO(base64.b64decode(out["base64"])))["工作台账"]
    assert merged.cell(4, 7).value == "已完成：6月20日印发实施方案。"
    assert merged.cell(4, 8).value == "宋斌"
    xlsx = client.post("/api/v1/merge", params={"format": "xlsx"}, files=[
        ("master", (EX000.name, EX000.read_bytes(), XLSX)), ("files", (sub.name, sub.read_bytes(), XLSX))])
    assert xlsx.headers["content-type"] == XLSX and xlsx.content[:2] == b"PK"


def test_rollup_is_the_cli_json(client, tmp_path):
    response = client.post("/api/v1/rollup", params={"as_of": "2019-06-27"}, files=_upload(EX000))
    assert response.status_code == 200
    doc = response.json()
    runner.invoke(cli, ["rollup", str(EX000), "--as-of", "2019-06-27", "--json", str(tmp_path / "r.json")])
    expected = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    expected["master"] = EX000.name
    assert doc["report"] == expected
    assert doc["report"]["totals"] == {"items": 12, "done": 1, "in_progress": 11, "not_started": 0, "ongoing": 0,
                                       "overdue": 2}
    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(doc["files"][0]["base64"])))
    assert wb.sheetnames[0] == "汇总"
    bad = client.post("/api/v1/rollup", params={"as_of": "6月底"}, files=_upload(EX000))
    assert bad.status_code == 422 and bad.json()["error"]["message"] == "as_of「6月底」不是日期，请写成 2019-06-27。"


def test_check_page_shows_findings(client):
    html = client.post("/check", files=_upload(EX000)).text
    assert "4 个错误，0 个警告。" in html and "H11 未填写联系人（本行有任务或成果，须明确联系人）" in html
    assert "文件已损坏" in client.post("/check", files={"file": ("x.xlsx", EX000.read_bytes()[:3000], XLSX)}).text


def test_docs_work_offline(client):
    html = client.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in html and "/static/swagger/swagger-ui.css" in html
    assert "cdn" not in html and "https://" not in html.replace("https://fastapi", "")
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/validate", "/api/v1/grid/validate", "/api/v1/split", "/api/v1/merge", "/api/v1/rollup"} <= set(paths)


def test_office_login_logout_and_failures(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    anonymous = client.get("/?format=json")
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "login-required"
    token = csrf_of(client)
    no_csrf = client.post("/login", data={"password": PASSWORD})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    wrong = client.post("/login", data={"password": "guess", "csrftoken": token})
    assert wrong.status_code == 401 and "密码不正确" in wrong.text
    evil_next = client.post("/login", data={"password": PASSWORD, "csrftoken": token, "next": "//evil.com/x"},
                            follow_redirects=False)
    assert evil_next.headers["location"] == "/"
    assert client.get("/?format=json").status_code == 200
    assert client.post("/logout", data={}).status_code == 403  # logging out also needs the token
    html = client.get("/").text
    assert "退出登录" in html
    log_out = client.post("/logout", data={"csrftoken": csrf_of(client)}, follow_redirects=False)
    assert log_out.status_code == 303 and client.get("/?format=json").status_code == 401


def test_basic_auth_for_scripts(client):
    assert client.get("/?format=json", auth=("office", PASSWORD)).status_code == 200
    assert client.get("/?format=json", auth=("office", "wrong")).status_code == 401


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["referrer-policy"] == "no-referrer"  # token links never leak
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert 'autocomplete="current-password"' in response.text


def test_localhost_without_password_is_open(tmp_path):
    with service_client(tmp_path / "data", password=None) as client:
        assert client.get("/?format=json").json() == {"rounds": []}


def test_serve_refuses_to_listen_beyond_localhost_without_password(tmp_path, monkeypatch):
    monkeypatch.delenv("TAIZHANG_ADMIN_PASSWORD", raising=False)
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == ("监听 0.0.0.0 需要管理员密码：请设置环境变量 TAIZHANG_ADMIN_PASSWORD "
                                     "或用 --admin-password-file 指定密码文件；服务未启动。")
    empty = tmp_path / "pw.txt"
    empty.write_text("\n")
    result = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--admin-password-file", str(empty)])
    assert result.exit_code == 2 and "是空的" in result.stderr
