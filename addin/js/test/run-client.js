// Run one client action against a mock host filled from a workbook dump, through a real service.
//   node test/run-client.js --host et|officejs --dump BOOK.json --service URL [--action validate] --out RESULT.json
// Writes what the client painted and what it cost: the sheet's fills and notes, the fill calls
// and the cells they covered, host calls / syncs, and the milliseconds from click to done.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { expandAddress } from "../src/address.js";
import * as core from "../src/core.js";
import { etHost } from "../src/et.js";
import { officeHost } from "../src/officejs.js";
import { memoryStorage } from "./fixtures.js";
import { MockEtApp } from "./mock-et.js";
import { MockExcel } from "./mock-officejs.js";

const { values: args } = parseArgs({ options: {
  host: { type: "string" }, dump: { type: "string" }, service: { type: "string" },
  action: { type: "string", default: "validate" }, out: { type: "string" },
} });
const dump = JSON.parse(readFileSync(args.dump, "utf-8"));
const alerts = [];
const alert = (m) => alerts.push(m);
let host, calls, fillCalls, state;
if (args.host === "et") {
  const app = new MockEtApp(dump);
  host = etHost(app, { alert });
  calls = () => app.calls;
  fillCalls = () => app.calls.filter((c) => c.includes(".Interior.Color = ") && !c.startsWith("校验结果!"));
  state = (s) => app.marks(s);
} else {
  const excel = new MockExcel(dump);
  host = officeHost(excel, { alert });
  calls = () => excel.ops;
  fillCalls = () => excel.ops.filter((c) => c.includes(".format.fill.color = ") && !c.startsWith("校验结果.") && !c.includes("getRangeByIndexes"));
  state = (s) => ({ ...excel.marks(s), syncs: excel.syncs, maxSyncBytes: excel.maxSyncBytes });
}
const sheet = dump.sheets[dump.active || 0].name;
const storage = memoryStorage({ "taizhang.service": args.service });
const results = [], times = [];
for (const action of args.action.split(",")) { // one click after another on the same workbook
  const t0 = performance.now();
  results.push(await core.run(action, host, storage));
  times.push(performance.now() - t0);
}
const [result, ms] = [results[0], times[0]];
const fills = fillCalls();
const addressOf = (c) => /(?:Range|getRanges)\("([^"]+)"\)/.exec(c)[1];
writeFileSync(args.out, JSON.stringify({
  result, results, alerts, ms, times, sheet, sheets: host.sheetNames ? await host.sheetNames() : [], ...state(sheet), calls: calls().length,
  fill_calls: fills.length, fill_cells: fills.reduce((n, c) => n + expandAddress(addressOf(c)).length, 0),
}));
