// The 台账 tab's actions, written once for every host (WPS ET, Office.js).
// A host adapter reads and paints in bulk; the rules and the marks plan come from the service.
// Host adapter (all methods async):
//   workbookName(), sheetNames(), activeSheet(), activate(name), alert(message, title)
//   readSheet(name) -> {top_left, values, number_formats, formulas?, merged}
//   readValues(name) -> rows from A1 (small sheets: 设置, _taizhang, _taizhang_marks)
//   readCellState(name, cells) -> [{fill: "#RRGGBB" | "", note: string | null}] per cell
//   applyMarks(name, {fills: [[address, "#RRGGBB" | ""]], deleteNotes: [cell], notes: [[cell, text]]})
//   writeSheet(name, rows, {hidden, headerFill, textColumns, links: [{row, cell, target}]})
//   deleteSheet(name)
// `storage` keeps per-user settings (the token never goes into the workbook).

import { packAddresses } from "./address.js";
import { DEFAULT_SERVICE, ServiceError, postJson } from "./service.js";

export const TITLE = "台账";
export const REPORT_SHEET = "校验结果";
export const MARKS_SHEET = "_taizhang_marks";
export const META_SHEET = "_taizhang";
export const SETTINGS_SHEET = "设置";
export const HEADER_FILL = "#DDEBF7";
export const MARKS_HEADER = ["工作表", "单元格", "原填充色", "原批注"];
export const REPORT_HEADER = ["单元格", "列", "值", "级别", "代码", "问题", "建议"];
export const KEEP_NOTE = "(保留原批注)";
export const SETTINGS_HEADER = ["设置项", "值", "说明"];
export const SERVICE_KEY = "服务地址";
export const SETTINGS_ROWS = [
  [SERVICE_KEY, DEFAULT_SERVICE, "台账服务的地址（由管理员提供，如 http://10.0.0.5:8765）"],
];
const OURS = new Set([REPORT_SHEET, MARKS_SHEET, META_SHEET, SETTINGS_SHEET]);

export class AddinError extends Error {}

// --------------------------------------------------------------------------- settings

export async function readSettings(host, storage) {
  const settings = { service: storage?.getItem("taizhang.service") || DEFAULT_SERVICE,
                     token: storage?.getItem("taizhang.token") || "" };
  if ((await host.sheetNames()).includes(SETTINGS_SHEET)) {
    for (const row of (await host.readValues(SETTINGS_SHEET)).slice(1)) {
      if (String(row[0] ?? "").trim() === SERVICE_KEY && String(row[1] ?? "").trim()) {
        settings.service = String(row[1]).trim();
      }
    }
  }
  return settings;
}

// 设置: the settings sheet with the service address (kept if it exists); the token is asked
// for by the host's own dialog and kept per user.
export async function settings(host, storage, askToken) {
  const names = await host.sheetNames();
  if (!names.includes(SETTINGS_SHEET)) {
    await host.writeSheet(SETTINGS_SHEET, [SETTINGS_HEADER, ...SETTINGS_ROWS], { headerFill: HEADER_FILL, textColumns: 3 });
  } else {
    const rows = await host.readValues(SETTINGS_SHEET);
    if (!rows.some((r) => String(r[0] ?? "").trim() === SERVICE_KEY)) {
      // the Excel add-in's 设置 sheet: add our row below its rows, keep everything else
      await host.writeRows(SETTINGS_SHEET, rows.length + 1, SETTINGS_ROWS);
    }
  }
  await host.activate(SETTINGS_SHEET);
  if (askToken && storage) {
    const token = await askToken(storage.getItem("taizhang.token") || "");
    if (token !== null && token !== undefined) storage.setItem("taizhang.token", String(token).trim());
  }
  return readSettings(host, storage);
}

// --------------------------------------------------------------------------- validate

export async function gridRequest(host, sheet) {
  const names = await host.sheetNames();
  const request = { sheet, file_name: await host.workbookName(), ...(await host.readSheet(sheet)) };
  if (names.includes(META_SHEET)) request.meta_rows = await host.readValues(META_SHEET);
  return request;
}

function fileError(file) {
  const e = file && file.error;
  return e ? (typeof e === "string" ? e : e.message || e.code) : null;
}

// 校验: send the active sheet to the service, paint its marks plan, write 校验结果.
export async function validate(host, storage, { fetchFn, lang = "zh" } = {}) {
  const sheet = await host.activeSheet();
  if (OURS.has(sheet)) throw new AddinError(`「${sheet}」不是台账。请切换到台账所在的工作表后再点「校验」。`);
  const conf = await readSettings(host, storage);
  const request = await gridRequest(host, sheet);
  const answer = await postJson(conf, "/api/v1/grid/validate", request, { params: { lang }, fetchFn });
  const problem = fileError(answer.file);
  if (problem) throw new AddinError(problem);
  const plan = answer.marks;
  const restored = await restoreMarks(host); // validating twice never stacks marks
  const cells = plan.notes.map((n) => n.cell);
  const before = cells.length ? await host.readCellState(sheet, cells) : [];
  const marks = [MARKS_HEADER];
  const hadNote = [];
  const keep = new Set();
  cells.forEach((cell, i) => {
    const { fill, note } = before[i];
    marks.push([sheet, cell, fill || "", note === null ? "" : note]);
    if (note === KEEP_NOTE) keep.add(cell);
    else if (note !== null) hadNote.push(cell);
  });
  const fills = plan.fills.flatMap((f) => f.addresses.map((a) => [a, f.color]));
  const notes = plan.notes.filter((n) => !keep.has(n.cell)).map((n) => [n.cell, n.text]);
  await host.applyMarks(sheet, { fills, deleteNotes: hadNote, notes });
  const report = plan.report;
  const reportName = await freshSheet(host, report.sheet, report.header);
  await host.writeSheet(reportName, [report.header, ...report.rows],
    { headerFill: HEADER_FILL, textColumns: report.header.length,
      links: report.links.map((l) => ({ row: l.row, cell: l.cell, target: l.target, sheet })) });
  if (cells.length) {
    await freshSheet(host, MARKS_SHEET, MARKS_HEADER);
    await host.writeSheet(MARKS_SHEET, marks, { hidden: true, textColumns: MARKS_HEADER.length });
  }
  await host.activate(sheet);
  const findings = answer.file.findings || [];
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.length - errors;
  const message = findings.length
    ? `发现 ${errors} 个错误、${warnings} 个警告，已在单元格上标出，详见「${reportName}」工作表。`
    : `校验通过：${answer.file.rows} 行，没有发现问题。`;
  await host.alert(message, `${TITLE} · 校验`);
  return { errors, warnings, cells: cells.length, restored, message };
}

// A sheet name for our output: an earlier sheet of ours is deleted; a user's sheet of that
// name (one whose first row is not our header) is kept and ours gets a numbered name.
async function freshSheet(host, name, header) {
  const names = await host.sheetNames();
  if (!names.includes(name)) return name;
  if (await isOurs(host, name, header)) {
    await host.deleteSheet(name);
    return name;
  }
  let n = 2;
  while (names.includes(`${name}(${n})`)) n++;
  return `${name}(${n})`;
}

async function isOurs(host, name, header) {
  const rows = (await host.readValues(name)).slice(0, 2);
  return rows.some((r) => header.every((h, i) => String(r[i] ?? "") === h));
}

// --------------------------------------------------------------------------- clear

// Put back the fills and notes the last 校验 recorded; returns how many cells.
export async function restoreMarks(host) {
  const names = await host.sheetNames();
  if (!names.includes(MARKS_SHEET)) return 0;
  const rows = (await host.readValues(MARKS_SHEET)).slice(1);
  const bySheet = new Map();
  for (const row of rows) {
    const [sheet, cell] = row.map((v) => String(v ?? ""));
    if (!sheet || !cell || !names.includes(sheet)) continue;
    if (!bySheet.has(sheet)) bySheet.set(sheet, []);
    bySheet.get(sheet).push({ cell, fill: String(row[2] ?? ""), note: String(row[3] ?? "") });
  }
  let restored = 0;
  for (const [sheet, entries] of bySheet) {
    const byFill = new Map();
    for (const e of entries) {
      if (!byFill.has(e.fill)) byFill.set(e.fill, []);
      byFill.get(e.fill).push(e.cell);
    }
    const fills = [...byFill].flatMap(([fill, cells]) => packAddresses(cells).map((a) => [a, fill]));
    const touched = entries.filter((e) => e.note !== KEEP_NOTE);
    const notes = touched.filter((e) => e.note).map((e) => [e.cell, e.note]);
    await host.applyMarks(sheet, { fills, deleteNotes: touched.map((e) => e.cell), notes });
    restored += entries.length;
  }
  await host.deleteSheet(MARKS_SHEET);
  return restored;
}

// 清除标记: restore every fill and note 校验 changed and remove its report.
export async function clear(host) {
  const restored = await restoreMarks(host);
  if ((await host.sheetNames()).includes(REPORT_SHEET) && (await isOurs(host, REPORT_SHEET, REPORT_HEADER))) {
    await host.deleteSheet(REPORT_SHEET);
  }
  const message = `已清除 ${restored} 个单元格的标记。`;
  await host.alert(message, `${TITLE} · 清除标记`);
  return { restored, message };
}

// --------------------------------------------------------------------------- help, dispatch

export const HELP = [
  "校验：把当前工作表发给台账服务检查，问题单元格标红（错误）或标黄（警告），并生成「校验结果」工作表。",
  "清除标记：恢复校验前的单元格底色和批注，删除「校验结果」。",
  "分发 / 合并报送 / 汇总：在台账服务的网页上完成（报送轮次），见「设置」中的服务地址。",
  "设置：填写台账服务的地址和访问令牌。",
].join("\n");

export async function help(host) {
  await host.alert(HELP, `${TITLE} · 帮助`);
}

const FLOWS = { split: "分发", merge: "合并报送", rollup: "汇总" };

// 分发 / 合并报送 / 汇总 work on files (the master, the departments' returns), which a JS add-in
// cannot read from disk: the service's round pages do them, so the button says where.
async function onTheService(host, storage, action) {
  const { service } = await readSettings(host, storage);
  const message = `${FLOWS[action]}在台账服务的网页上进行（报送轮次：分发给各处室、收取报送、合并、汇总）：\n${service.replace(/\/+$/, "")}/`;
  await host.alert(message, `${TITLE} · ${FLOWS[action]}`);
  return { message };
}

// Run one ribbon action; every problem reaches the user as a Chinese message, never a stack.
export async function run(action, host, storage, options = {}) {
  try {
    if (action === "validate") return await validate(host, storage, options);
    if (action === "clear") return await clear(host);
    if (action === "settings") return await settings(host, storage, options.askToken);
    if (action === "help") return await help(host);
    if (["split", "merge", "rollup"].includes(action)) return await onTheService(host, storage, action);
    throw new AddinError(`此按钮在本加载项中不可用：${action}`);
  } catch (exc) {
    const known = exc instanceof AddinError || exc instanceof ServiceError;
    const message = known ? exc.message : `操作未完成：${exc && exc.message ? exc.message : exc}\n请把此信息发给台账维护人员。`;
    try { await host.alert(message, `${TITLE} · 出错`); } catch { /* nothing more we can do */ }
    return { error: message };
  }
}
