"""`taizhang round …` and `taizhang history`: the README's headless round, through the CLI only."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import openpyxl
from typer.testing import CliRunner

from conftest import EX000
from taizhang.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_round_headless(tmp_path):
    data = tmp_path / "台账数据"
    master = tmp_path / "总台账.xlsx"
    shutil.copy(EX000, master)
    due = (date.today() + timedelta(days=7)).isoformat()
    r = run("round", "create", master, "--name", "2019年第二季度", "--due", due, "--by", "责任单位", "--data", data,
            "--actor", "体改处")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("已新建报送轮次 1《2019年第二季度》：按「责任单位」分发给 3 个处室")
    token_lines = [line.split() for line in r.output.splitlines() if line.startswith("  ")]
    assert [(t[1], len(t[2])) for t in token_lines] == [("市卫生健康委", 43), ("市市场监管局", 43), ("市医保局", 43)]

    own = tmp_path / "市医保局.xlsx"
    assert run("round", "download", "1", "市医保局", "-o", own, "--data", data).exit_code == 0
    wb = openpyxl.load_workbook(own)
    wb["工作台账"]["I4"] = "3905"
    wb.save(tmp_path / "报送.xlsx")
    r = run("round", "submit", "1", "市医保局", tmp_path / "报送.xlsx", "--data", data)
    assert r.exit_code == 1 and "I4  「3905」不是有效的电话号码：位数不对" in r.output

    r = run("round", "status", "1", "--data", data)
    assert r.exit_code == 0
    assert "  未报送  市卫生健康委" in r.output and "第 1 次  4 个错误，0 个警告" in r.output

    out = tmp_path / "合并.xlsx"
    r = run("round", "merge", "1", "-o", out, "--data", data, "--actor", "体改处")
    assert r.exit_code == 1, r.output  # the merged master still has validation errors
    assert "已应用修改 1 处" in r.output and openpyxl.load_workbook(out)["工作台账"]["I11"].value == "3905"

    r = run("history", data / "taizhang.db", "--cell", "I11", "--format", "json")
    assert r.exit_code == 0, r.output
    (change,) = json.loads(r.output)
    assert (change["department"], change["old"], change["new"], change["column"]) == ("市医保局", None, "3905", "联系电话")
    r = run("history", data, "--round", "1")
    assert "I11（联系电话）  市医保局修改：「（空）」→「3905」" in r.output
    r = run("history", data, "--round", "1", "--cell", "I11", "--follow", "--format", "json")
    assert [c["cell"] for c in json.loads(r.output)] == ["I11"]
    assert run("history", data, "--follow").output.strip() == "--follow 需要同时给出 --round 和 --cell"

    r = run("round", "reissue", "1", "市医保局", "--data", data, "--actor", "体改处")
    assert r.exit_code == 0 and r.output.startswith("市医保局 的新报送令牌（只显示这一次，旧令牌已失效）：")
    assert run("round", "allow-late", "1", "--data", data).output == "《2019年第二季度》截止后仍接收报送。\n"
    r = run("round", "log", "1", "--data", data, "--format", "json")
    assert [e["action"] for e in json.loads(r.output)] == ["round-created", "submitted", "round-merged",
                                                           "token-reissued", "late-allowed"]
    assert "3905" not in run("round", "log", "--data", data).output


def test_history_without_database(tmp_path):
    r = run("history", tmp_path / "nothing")
    assert r.exit_code == 2
    assert r.output.strip() == f"找不到数据库：{tmp_path / 'nothing' / 'taizhang.db'}（用 --data 指定数据文件夹）"


def test_round_errors_are_one_line(tmp_path):
    data = tmp_path / "d"
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(EX000.read_bytes()[:2000])
    r = run("round", "create", broken, "--name", "x", "--due", "2019-06-27", "--data", data)
    assert r.exit_code == 2 and r.output.strip() == "坏.xlsx：文件已损坏：压缩包不完整或被截断"
    r = run("round", "status", "7", "--data", data)
    assert r.exit_code == 2 and r.output.strip() == "没有编号为 7 的报送轮次"
