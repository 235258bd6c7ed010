// 分发 / 合并报送 / 汇总 in Excel on the web: the open workbook read with getFileAsync(Compressed)
// in slices and always closed, sent to the right endpoint, the result opened with Excel.createWorkbook.
import assert from "node:assert/strict";
import { test } from "node:test";

import * as core from "../src/core.js";
import { documentBytes, officeHost } from "../src/officejs.js";
import { XLSX, answerWith, fakeXlsx, formFetch, memoryStorage, smallLedger } from "./fixtures.js";
import { MockExcel, mockOffice } from "./mock-officejs.js";

const SERVICE = { "taizhang.service": "http://10.0.0.5:8765/" };
const BOOK = fakeXlsx("总台账的字节".repeat(50));
const FILE_OPS = /^(Office\.|file\.|Excel\.)/;

function client({ picked = [] } = {}) {
  const excel = new MockExcel(smallLedger());
  const Office = mockOffice(excel, BOOK);
  const alerts = [], offered = [];
  const host = officeHost(excel, { alert: (m) => alerts.push(m), Office, pickFiles: () => picked, offerFiles: (f) => offered.push(...f) });
  return { excel, Office, alerts, offered, host };
}

test("汇总 sends the open workbook to /api/v1/rollup and opens the roll-up as a new workbook", async () => {
  const { excel, Office, alerts, host } = client();
  const rolled = fakeXlsx("汇总表");
  const seen = [];
  const answer = answerWith([["汇总.xlsx", rolled]], { summary: "截至 2019-06-27：共 2 项，已完成 1 项。" });
  const result = await core.run("rollup", host, memoryStorage(SERVICE), { fetchFn: formFetch(answer, seen) });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].url, "http://10.0.0.5:8765/api/v1/rollup?format=json&lang=zh");
  assert.deepEqual(seen[0].parts.map((p) => [p.name, p.fileName, p.type]), [["file", "小台账.xlsx", XLSX]]);
  assert.deepEqual(seen[0].parts[0].bytes, BOOK);
  assert.deepEqual(excel.ops.filter((op) => FILE_OPS.test(op)), [
    'Office.context.document.getFileAsync("compressed", {"sliceSize":4194304})',
    "file.getSliceAsync(0)",
    "file.closeAsync()",
    `Excel.createWorkbook(<${answer.files[0].base64.length} base64 chars>)`,
  ]);
  assert.deepEqual(excel.created, [Buffer.from(rolled).toString("base64")]);
  assert.equal(Office.open, 0);
  assert.equal(alerts[0], "台账 · 汇总\n\n截至 2019-06-27：共 2 项，已完成 1 项。\n汇总表「汇总.xlsx」已在新工作簿中打开，请另存到需要的位置。");
  assert.deepEqual(result.files, ["汇总.xlsx"]);
});

test("分发 sends the workbook to /api/v1/split and offers each department's file in the pane", async () => {
  const { excel, alerts, offered, host } = client();
  const seen = [];
  const answer = answerWith([["市发改委.xlsx", fakeXlsx("发改委")], ["某某办.xlsx", fakeXlsx("某某办")]],
    { report: { summary: "按「责任单位」分发为 2 个文件。" } });
  await core.run("split", host, memoryStorage(SERVICE), { fetchFn: formFetch(answer, seen) });
  assert.equal(seen[0].url, "http://10.0.0.5:8765/api/v1/split?format=json&lang=zh");
  assert.deepEqual(seen[0].parts.map((p) => [p.name, p.fileName]), [["file", "小台账.xlsx"]]);
  assert.deepEqual(seen[0].parts[0].bytes, BOOK);
  assert.deepEqual(offered.map((f) => [f.name, new Uint8Array(Buffer.from(f.base64, "base64"))]),
    [["市发改委.xlsx", fakeXlsx("发改委")], ["某某办.xlsx", fakeXlsx("某某办")]]);
  assert.ok(!excel.ops.some((op) => op.startsWith("Excel.createWorkbook")));
  assert.equal(alerts[0], "台账 · 分发\n\n按「责任单位」分发为 2 个文件。\n已生成 2 个文件，请在任务窗格中逐个下载后发给各单位。");
});

test("合并报送 posts the workbook as master and the chosen submissions, then opens the merged master", async () => {
  const a = new File([fakeXlsx("市发改委报送")], "市发改委.xlsx", { type: XLSX });
  const b = new File([fakeXlsx("某某办报送")], "某某办.xlsx", { type: XLSX });
  const { excel, alerts, host } = client({ picked: [a, b] });
  const merged = fakeXlsx("合并结果");
  const seen = [];
  const answer = answerWith([["合并结果.xlsx", merged]], { summary: "合并 2 份报送：更新 3 个单元格。", exit_code: 0 });
  const result = await core.run("merge", host, memoryStorage(SERVICE), { fetchFn: formFetch(answer, seen) });
  assert.equal(seen[0].url, "http://10.0.0.5:8765/api/v1/merge?format=json&lang=zh");
  assert.deepEqual(seen[0].parts.map((p) => [p.name, p.fileName]),
    [["master", "小台账.xlsx"], ["files", "市发改委.xlsx"], ["files", "某某办.xlsx"]]);
  assert.deepEqual(seen[0].parts[0].bytes, BOOK);
  assert.deepEqual(seen[0].parts[1].bytes, fakeXlsx("市发改委报送"));
  assert.deepEqual(seen[0].parts[2].bytes, fakeXlsx("某某办报送"));
  assert.deepEqual(excel.created, [Buffer.from(merged).toString("base64")]);
  assert.equal(alerts[0], "台账 · 合并报送\n\n合并 2 份报送：更新 3 个单元格。\n合并结果「合并结果.xlsx」已在新工作簿中打开，请另存到需要的位置。");
  assert.equal(result.exit_code, 0);
});

test("合并报送 without chosen submissions says what to do and sends nothing", async () => {
  const { excel, alerts, host } = client();
  const seen = [];
  await core.run("merge", host, memoryStorage(SERVICE), { fetchFn: formFetch({}, seen) });
  assert.equal(seen.length, 0);
  assert.ok(!excel.ops.some((op) => FILE_OPS.test(op)));
  assert.equal(alerts[0], "台账 · 出错\n\n请先在任务窗格的「报送文件」中选择各单位报送的文件（可多选），再点「合并报送」。当前工作簿作为总台账。");
});

test("the workbook is read slice by slice and closed every time, so Office's two-file limit is never hit", async () => {
  const excel = new MockExcel(smallLedger());
  const bytes = new Uint8Array(2500).map((_, i) => i % 251);
  const Office = mockOffice(excel, bytes);
  for (let i = 0; i < 3; i++) assert.deepEqual(await documentBytes(Office, 1000), bytes);
  assert.deepEqual(excel.ops.slice(0, 5), ['Office.context.document.getFileAsync("compressed", {"sliceSize":1000})',
    "file.getSliceAsync(0)", "file.getSliceAsync(1)", "file.getSliceAsync(2)", "file.closeAsync()"]);
  assert.equal(Office.open, 0);
  // without closeAsync the third getFileAsync fails, as documented
  const leaky = mockOffice(excel, bytes);
  const open = () => new Promise((resolve) => leaky.context.document.getFileAsync("compressed", {}, resolve));
  assert.equal((await open()).status, "succeeded");
  assert.equal((await open()).status, "succeeded");
  assert.equal((await open()).error.name, "Internal Error: more than two files in memory");
});

test("a service error during 汇总 is one Chinese message, and the file is closed", async () => {
  const { excel, Office, alerts, host } = client();
  const fetchFn = async () => ({ ok: false, status: 422, json: async () => ({ detail: "as_of「昨天」不是日期，请写成 2019-06-27。" }) });
  await core.run("rollup", host, memoryStorage(SERVICE), { fetchFn });
  assert.equal(alerts[0], "台账 · 出错\n\n台账服务返回错误（422）：as_of「昨天」不是日期，请写成 2019-06-27。");
  assert.equal(Office.open, 0);
  assert.ok(!excel.ops.some((op) => op.startsWith("Excel.createWorkbook")));
});

test("WPS (no workbook bytes) keeps pointing to the service's pages", async () => {
  const excel = new MockExcel(smallLedger());
  const alerts = [];
  const host = officeHost(excel, { alert: (m) => alerts.push(m) }); // no Office namespace: no byte read
  await core.run("split", host, memoryStorage(SERVICE));
  assert.match(alerts[0], /^台账 · 分发\n\n分发在台账服务的网页上进行/);
});
