// A small ledger as a workbook dump, and the service's answer for it, written by hand from the
// grid contract (validator/grid.py, validator/marks.py): what the unit tests feed the clients.

export function smallLedger() {
  return {
    name: "小台账.xlsx",
    active: 0,
    sheets: [{
      name: "工作台账",
      merged: ["A1:D1"],
      cells: {
        A1: { v: "2019年改革工作台账" },
        A2: { v: "序号" }, B2: { v: "改革事项" }, C2: { v: "责任单位" }, D2: { v: "完成时限" },
        A3: { v: 1 }, B3: { v: "推进“放管服”改革" }, C3: { v: "市发改委" }, D3: { v: 43646, nf: "yyyy\"年\"m\"月\"d\"日\"" },
        A4: { v: 2 }, B4: { v: "优化营商环境" }, C4: { v: "某某办", fill: "#00FF00", note: "原批注：待核实" },
        D4: { v: "6月底前" },
      },
    }],
  };
}

export const SMALL_ANSWER = {
  file: {
    path: "小台账.xlsx", sheet: "工作台账", ledger_type: "reform", type_detected: true, header_row: 2, rows: 2,
    year: 2019, error: null,
    findings: [
      { cell: "C4", column: "责任单位", severity: "warning", code: "unknown-unit", message: "责任单位「某某办」不在名录中" },
      { cell: "D4", column: "完成时限", severity: "error", code: "deadline-unparseable", message: "完成时限「6月底前」无法识别" },
    ],
  },
  marks: {
    sheet: "工作台账",
    fills: [
      { color: "#FFC7CE", severity: "error", cells: 1, addresses: ["D4"] },
      { color: "#FFEB9C", severity: "warning", cells: 1, addresses: ["C4"] },
    ],
    notes: [
      { cell: "C4", text: "责任单位「某某办」不在名录中" },
      { cell: "D4", text: "完成时限「6月底前」无法识别" },
    ],
    report: {
      sheet: "校验结果",
      header: ["单元格", "列", "值", "级别", "代码", "问题", "建议"],
      rows: [
        ["C4", "责任单位", "某某办", "警告", "unknown-unit", "责任单位「某某办」不在名录中", "核对单位全称"],
        ["D4", "完成时限", "6月底前", "错误", "deadline-unparseable", "完成时限「6月底前」无法识别", "写成 2019年6月30日"],
      ],
      links: [
        { row: 2, cell: "C4", target: "#'工作台账'!C4" },
        { row: 3, cell: "D4", target: "#'工作台账'!D4" },
      ],
    },
  },
};

// A fetch that answers like the service and remembers what it was sent.
export function fakeFetch(answer, seen = []) {
  return async (url, init) => {
    seen.push({ url, init, body: JSON.parse(init.body) });
    return { ok: true, status: 200, json: async () => structuredClone(answer) };
  };
}

export function memoryStorage(init = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) };
}
