// The WPS client against the recording mock of ET's object model: exact calls, exact counts.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as core from "../src/core.js";
import { etHost } from "../src/et.js";
import { SMALL_ANSWER, fakeFetch, memoryStorage, smallLedger } from "./fixtures.js";
import { MockEtApp } from "./mock-et.js";

const WRITES = /Interior\.(Color|ColorIndex) =|AddComment|ClearComments|Hyperlinks\.Add|Value2 =|NumberFormat =|Name =|Visible =|Delete\(\)|Worksheets\.Add/;

function client(dump = smallLedger()) {
  const app = new MockEtApp(dump);
  const alerts = [];
  return { app, alerts, host: etHost(app, { alert: (m) => alerts.push(m) }) };
}

test("校验 sends the sheet as the grid contract and paints the plan in the fewest calls", async () => {
  const { app, alerts, host } = client();
  const seen = [];
  const result = await core.run("validate", host, memoryStorage({ "taizhang.token": "t0k" }), { fetchFn: fakeFetch(SMALL_ANSWER, seen) });
  assert.equal(result.cells, 2);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].url, "http://127.0.0.1:8765/api/v1/grid/validate?lang=zh");
  assert.equal(seen[0].init.headers.Authorization, "Bearer t0k");
  assert.deepEqual(seen[0].body, {
    sheet: "工作台账", file_name: "小台账.xlsx", top_left: "A1",
    values: [["2019年改革工作台账", null, null, null], ["序号", "改革事项", "责任单位", "完成时限"],
             [1, "推进“放管服”改革", "市发改委", 43646], [2, "优化营商环境", "某某办", "6月底前"]],
    number_formats: [["General", "General", "General", "General"], ["General", "General", "General", "General"],
                     ["General", "General", "General", 'yyyy"年"m"月"d"日"'], ["General", "General", "General", "General"]],
    merged: ["A1:D1"],
  });
  assert.deepEqual(app.calls.filter((c) => WRITES.test(c)), [
    '工作台账!Range("D4").Interior.Color = 13551615', // #FFC7CE as ET's BGR long
    '工作台账!Range("C4").Interior.Color = 10284031', // #FFEB9C
    '工作台账!Range("C4").ClearComments()', // the user's own note is kept in _taizhang_marks first
    '工作台账!Range("C4").AddComment("责任单位「某某办」不在名录中")',
    '工作台账!Range("D4").AddComment("完成时限「6月底前」无法识别")',
    "Worksheets.Add(null, 工作台账)",
    'Sheet2!Name = "校验结果"',
    '校验结果!Range("A1:G3").NumberFormat = "@"',
    '校验结果!Range("A1:G3").Value2 = [3x7]',
    '校验结果!Range("A1:G1").Interior.Color = 16247773',
    '校验结果!Hyperlinks.Add(A2, "", "\'工作台账\'!C4", "跳转到该单元格", "C4")',
    '校验结果!Hyperlinks.Add(A3, "", "\'工作台账\'!D4", "跳转到该单元格", "D4")',
    "Worksheets.Add(null, 校验结果)",
    'Sheet3!Name = "_taizhang_marks"',
    '_taizhang_marks!Range("A1:D3").NumberFormat = "@"',
    '_taizhang_marks!Range("A1:D3").Value2 = [3x4]',
    "_taizhang_marks!Visible = 0",
  ]);
  assert.equal(app.calls.length, 73); // every host call, reads and merge probes included
  assert.deepEqual(app.marks("工作台账"), {
    fills: { C4: "#FFEB9C", D4: "#FFC7CE" },
    notes: { C4: "责任单位「某某办」不在名录中", D4: "完成时限「6月底前」无法识别" },
  });
  assert.deepEqual(app.values("_taizhang_marks"), {
    A1: "工作表", B1: "单元格", C1: "原填充色", D1: "原批注",
    A2: "工作台账", B2: "C4", C2: "#00FF00", D2: "原批注：待核实", A3: "工作台账", B3: "D4",
  });
  assert.equal(app.book.active.Name, "工作台账");
  assert.deepEqual(alerts, ["台账 · 校验\n\n发现 1 个错误、1 个警告，已在单元格上标出，详见「校验结果」工作表。"]);
});

test("校验 twice does not stack marks, and 清除标记 restores the fill and note the cell had", async () => {
  const { app, alerts, host } = client();
  const storage = memoryStorage();
  await core.run("validate", host, storage, { fetchFn: fakeFetch(SMALL_ANSWER) });
  await core.run("validate", host, storage, { fetchFn: fakeFetch(SMALL_ANSWER) });
  assert.equal(app.values("_taizhang_marks").C2, "#00FF00", "the second run recorded the user's fill, not ours");
  assert.deepEqual(app.book.sheets.map((s) => s.Name), ["工作台账", "校验结果", "_taizhang_marks"]);
  app.calls.length = 0;
  const result = await core.run("clear", host, storage);
  assert.equal(result.restored, 2);
  assert.deepEqual(app.calls.filter((c) => WRITES.test(c)), [
    '工作台账!Range("C4").Interior.Color = 65280',
    '工作台账!Range("D4").Interior.ColorIndex = -4142',
    '工作台账!Range("C4:D4").ClearComments()',
    '工作台账!Range("C4").AddComment("原批注：待核实")',
    "_taizhang_marks!Delete()",
    "校验结果!Delete()",
  ]);
  assert.deepEqual(app.marks("工作台账"), { fills: { C4: "#00FF00" }, notes: { C4: "原批注：待核实" } });
  assert.deepEqual(app.book.sheets.map((s) => s.Name), ["工作台账"]);
  assert.equal(alerts.at(-1), "台账 · 清除标记\n\n已清除 2 个单元格的标记。");
});

test("a user's own 校验结果 sheet is kept; ours gets a numbered name", async () => {
  const dump = smallLedger();
  dump.sheets.push({ name: "校验结果", cells: { A1: { v: "我自己的记录" } } });
  const { app, host } = client(dump);
  await core.run("validate", host, memoryStorage(), { fetchFn: fakeFetch(SMALL_ANSWER) });
  assert.deepEqual(app.book.sheets.map((s) => s.Name), ["工作台账", "校验结果", "校验结果(2)", "_taizhang_marks"]);
  assert.equal(app.values("校验结果").A1, "我自己的记录");
});

test("an unreachable service gives one Chinese message naming the address", async () => {
  const { app, alerts, host } = client();
  const refused = async () => { throw new TypeError("Failed to fetch"); };
  const result = await core.run("validate", host, memoryStorage({ "taizhang.service": "http://10.1.2.3:8765/" }), { fetchFn: refused });
  assert.equal(result.error, "无法连接台账服务：http://10.1.2.3:8765\n请确认服务已启动、地址正确（「设置」中的服务地址），并且本机能访问该地址。");
  assert.deepEqual(alerts, [`台账 · 出错\n\n${result.error}`]);
  assert.equal(app.calls.filter((c) => WRITES.test(c)).length, 0, "nothing painted");
});

test("the service's refusal and a sheet without a ledger header reach the user in Chinese", async () => {
  const { alerts, host } = client();
  const denied = async () => ({ ok: false, status: 401, json: async () => ({ detail: "invalid token" }) });
  await core.run("validate", host, memoryStorage(), { fetchFn: denied });
  assert.equal(alerts[0], "台账 · 出错\n\n台账服务拒绝了请求：访问令牌无效或已过期。请在「设置」中填写管理员提供的令牌。");
  const noHeader = { file: { error: { code: "header-not-found", message: "工作表「工作台账」中找不到台账表头（如 序号、改革事项、责任单位、完成时限）" }, findings: [] }, marks: null };
  await core.run("validate", host, memoryStorage(), { fetchFn: fakeFetch(noHeader) });
  assert.equal(alerts[1], "台账 · 出错\n\n工作表「工作台账」中找不到台账表头（如 序号、改革事项、责任单位、完成时限）");
});

test("设置 writes the service address row; the address on the sheet is what 校验 calls", async () => {
  const { app, host } = client();
  const storage = memoryStorage();
  await core.run("settings", host, storage, { askToken: async () => " abc " });
  assert.deepEqual(app.values("设置"), { A1: "设置项", B1: "值", C1: "说明", A2: "服务地址", B2: "http://127.0.0.1:8765",
                                        C2: "台账服务的地址（由管理员提供，如 http://10.0.0.5:8765）" });
  assert.equal(storage.getItem("taizhang.token"), "abc", "the token stays with the user, not in the workbook");
  app.sheetByName("设置").touch(2, 2).v = "http://10.0.0.5:8765";
  app.book.active = app.sheetByName("工作台账");
  const seen = [];
  await core.run("validate", host, storage, { fetchFn: fakeFetch(SMALL_ANSWER, seen) });
  assert.equal(seen[0].url, "http://10.0.0.5:8765/api/v1/grid/validate?lang=zh");
  assert.equal(seen[0].init.headers.Authorization, "Bearer abc");
});

test("设置 adds its row under the Excel add-in's own 设置 rows", async () => {
  const dump = smallLedger();
  dump.sheets.push({ name: "设置", cells: { A1: { v: "设置项" }, B1: { v: "值" }, A2: { v: "报送文件夹" }, B2: { v: "报送" } } });
  const { app, host } = client(dump);
  await core.run("settings", host, memoryStorage());
  const v = app.values("设置");
  assert.deepEqual([v.A2, v.B2, v.A3, v.B3], ["报送文件夹", "报送", "服务地址", "http://127.0.0.1:8765"]);
});

test("merged areas are found with a few MergeCells calls, not one per cell", async () => {
  const cells = { A1: { v: "序号" } };
  for (let r = 2; r <= 1001; r++) cells[`A${r}`] = { v: r };
  for (const covered of ["A11", "A12", "A501"]) delete cells[covered]; // under a merge, as Excel keeps them
  const dump = { name: "m.xlsx", sheets: [{ name: "S", merged: ["A10:A12", "A500:A501", "B1:C1"], cells }] };
  const app = new MockEtApp(dump);
  const request = await etHost(app).readSheet("S");
  assert.deepEqual(request.merged, ["A10:A12", "A500:A501", "B1:C1"]);
  const probes = app.calls.filter((c) => c.endsWith(".MergeCells") || c.endsWith(".MergeArea")).length;
  assert.ok(probes < 100, `${probes} probes for 3,003 cells`);
});

test("the help text names every button", async () => {
  const { alerts, host } = client();
  await core.run("help", host, memoryStorage());
  for (const label of ["校验", "清除标记", "分发", "合并报送", "汇总", "设置"]) assert.ok(alerts[0].includes(label), label);
});

test("分发 / 合并报送 / 汇总 send the user to the service's round pages", async () => {
  const { app, alerts, host } = client();
  await core.run("rollup", host, memoryStorage({ "taizhang.service": "http://10.0.0.5:8765/" }));
  assert.equal(alerts[0], "台账 · 汇总\n\n汇总在台账服务的网页上进行（报送轮次：分发给各处室、收取报送、合并、汇总）：\nhttp://10.0.0.5:8765/");
  assert.equal(app.calls.filter((c) => WRITES.test(c)).length, 0);
});
