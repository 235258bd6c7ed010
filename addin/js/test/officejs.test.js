// The Office.js client against the recording mock of the Excel JavaScript API: exact operations,
// and a handful of context.sync() calls, never one per cell.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as core from "../src/core.js";
import { officeHost } from "../src/officejs.js";
import { SMALL_ANSWER, fakeFetch, memoryStorage, smallLedger } from "./fixtures.js";
import { MockExcel } from "./mock-officejs.js";

const WRITES = /fill\.color =|fill\.clear\(\)|notes\.add|\.delete\(\)|values =|numberFormat =|hyperlink =|visibility =|worksheets\.add/;

function client(dump = smallLedger(), options = {}) {
  const excel = new MockExcel(dump);
  const alerts = [];
  return { excel, alerts, host: officeHost(excel, { alert: (m) => alerts.push(m), ...options }) };
}

test("校验 in Excel on the web: one request, the plan painted with getRanges, 16 syncs", async () => {
  const { excel, alerts, host } = client();
  const seen = [];
  await core.run("validate", host, memoryStorage(), { fetchFn: fakeFetch(SMALL_ANSWER, seen) });
  assert.deepEqual(seen[0].body.values[2], [1, "推进“放管服”改革", "市发改委", 43646]);
  assert.deepEqual(seen[0].body.merged, ["A1:D1"]);
  assert.equal(seen[0].body.number_formats[2][3], 'yyyy"年"m"月"d"日"');
  assert.deepEqual(excel.ops.filter((op) => WRITES.test(op)), [
    '工作台账.getRanges("D4").format.fill.color = "#FFC7CE"',
    '工作台账.getRanges("C4").format.fill.color = "#FFEB9C"',
    '工作台账.notes.getItem("C4").delete()',
    '工作台账.notes.add(getRange("C4"), "责任单位「某某办」不在名录中")',
    '工作台账.notes.add(getRange("D4"), "完成时限「6月底前」无法识别")',
    'worksheets.add("校验结果")',
    "校验结果.getRangeByIndexes(0, 0, 3, 7).numberFormat = [3x7]",
    "校验结果.getRangeByIndexes(0, 0, 3, 7).values = [3x7]",
    '校验结果.getRangeByIndexes(0, 0, 1, 7).format.fill.color = "#DDEBF7"',
    '校验结果.getRange("A2").hyperlink = {"documentReference":"\'工作台账\'!C4","textToDisplay":"C4","screenTip":"跳转到该单元格"}',
    '校验结果.getRange("A3").hyperlink = {"documentReference":"\'工作台账\'!D4","textToDisplay":"D4","screenTip":"跳转到该单元格"}',
    'worksheets.add("_taizhang_marks")',
    "_taizhang_marks.getRangeByIndexes(0, 0, 3, 4).numberFormat = [3x4]",
    "_taizhang_marks.getRangeByIndexes(0, 0, 3, 4).values = [3x4]",
    '_taizhang_marks.visibility = "Hidden"',
  ]);
  assert.equal(excel.syncs, 16);
  assert.deepEqual(excel.marks("工作台账"), {
    fills: { C4: "#FFEB9C", D4: "#FFC7CE" },
    notes: { C4: "责任单位「某某办」不在名录中", D4: "完成时限「6月底前」无法识别" },
  });
  assert.equal(excel.values("_taizhang_marks").C2, "#00FF00");
  assert.equal(excel.model.sheetByName("_taizhang_marks").Visible, 0);
  assert.deepEqual(excel.model.sheetByName("校验结果").links.map((l) => [l.cell, l.documentReference]),
    [["A2", "'工作台账'!C4"], ["A3", "'工作台账'!D4"]]);
  assert.match(alerts[0], /发现 1 个错误、1 个警告/);
});

test("清除标记 in Excel on the web restores the user's fill and note", async () => {
  const { excel, host } = client();
  const storage = memoryStorage();
  await core.run("validate", host, storage, { fetchFn: fakeFetch(SMALL_ANSWER) });
  await core.run("validate", host, storage, { fetchFn: fakeFetch(SMALL_ANSWER) });
  excel.ops.length = 0;
  const result = await core.run("clear", host, storage);
  assert.equal(result.restored, 2);
  assert.deepEqual(excel.ops.filter((op) => WRITES.test(op)), [
    '工作台账.getRanges("C4").format.fill.color = "#00FF00"',
    '工作台账.getRanges("D4").format.fill.clear()',
    '工作台账.notes.getItem("C4").delete()',
    '工作台账.notes.getItem("D4").delete()',
    '工作台账.notes.add(getRange("C4"), "原批注：待核实")',
    "_taizhang_marks.delete()",
    "校验结果.delete()",
  ]);
  assert.deepEqual(excel.marks("工作台账"), { fills: { C4: "#00FF00" }, notes: { C4: "原批注：待核实" } });
  assert.deepEqual(excel.model.book.sheets.map((s) => s.Name), ["工作台账"]);
});

test("big sheets are read in row blocks so no request passes Excel on the web's 5 MB", async () => {
  const cells = { A1: { v: "序号" }, B1: { v: "改革事项" } };
  for (let r = 2; r <= 3001; r++) { cells[`A${r}`] = { v: r - 1 }; cells[`B${r}`] = { v: "推进".repeat(300) }; }
  const dump = { name: "big.xlsx", sheets: [{ name: "S", cells }] };
  const { excel, host } = client(dump, { chunkCells: 2000 });
  const request = await host.readSheet("S");
  assert.equal(request.values.length, 3001);
  assert.equal(request.values[3000][0], 3000);
  assert.ok(excel.maxSyncBytes < 5 * 1024 * 1024, `${excel.maxSyncBytes} bytes`);
  assert.ok(excel.syncs >= 4 && excel.syncs <= 6, `${excel.syncs} syncs`); // 11 MB in blocks of at most 3.6 MB
  const whole = client(dump, { chunkCells: 1e9 }).host;
  await assert.rejects(whole.readSheet("S"), /RequestPayloadSizeLimitExceeded/);
});
