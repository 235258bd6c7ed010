// WPS 表格 (ET) host adapter: window.Application, the VBA object model in JavaScript.
// Every call crosses from the add-in's webview into WPS, so reads are whole-range reads and
// fills are multi-area Range("…") addresses. Addresses are built from Row / Column numbers,
// never read back with .Address (a parameterised property in VBA).

import { a1, areaAddress, bgr, expandAddress, hexOfBgr, packAddresses, quoteSheet } from "./address.js";

const XL_NONE = -4142; // xlColorIndexNone / xlNone
const XL_SHEET_HIDDEN = 0; // xlSheetHidden (the user can unhide it, as with the Excel add-in)

function grid(value) { // Value2 of one cell is a scalar, of a block a 2-D array
  if (Array.isArray(value)) return Array.isArray(value[0]) ? value : [value];
  return [[value]];
}

export function etHost(app, { alert } = {}) {
  const book = () => app.ActiveWorkbook;
  const sheet = (name) => book().Worksheets.Item(name);

  function mergedAreas(ws, used, values) {
    // Every cell of a merged area but its top-left reads as empty, so only runs of empty cells
    // can lie in one. A run is probed with MergeCells (false: no merge there; null: mixed, split
    // in halves) and each merged area found with one MergeArea call.
    const out = [];
    if (used.MergeCells === false) return out;
    const top = used.Row, left = used.Column;
    const covered = new Set();
    const empty = (v) => v === null || v === undefined || v === "";
    const visit = (col, r0, r1) => { // mixed runs are split in halves until uniform
      while (r0 <= r1 && covered.has(`${r0},${col}`)) r0++;
      if (r0 > r1) return;
      const m = ws.Range(areaAddress(r0, col, r1, col)).MergeCells;
      if (m === false) return;
      if (m === true || r0 === r1) {
        const area = ws.Range(a1(r0, col)).MergeArea;
        const ar = area.Row, ac = area.Column, nr = area.Rows.Count, nc = area.Columns.Count;
        if (nr * nc > 1) out.push(areaAddress(ar, ac, ar + nr - 1, ac + nc - 1));
        for (let x = ar; x < ar + nr; x++) for (let y = ac; y < ac + nc; y++) covered.add(`${x},${y}`);
        if (m === true) visit(col, ar + nr, r1); // the rest of the run lies in further areas
        return;
      }
      const mid = Math.floor((r0 + r1) / 2);
      visit(col, r0, mid);
      visit(col, mid + 1, r1);
    };
    const width = Math.max(0, ...values.map((r) => r.length));
    for (let j = 0; j < width; j++) {
      for (let i = 0; i < values.length; i++) {
        if (!empty(values[i][j])) continue;
        let k = i;
        while (k + 1 < values.length && empty(values[k + 1][j])) k++;
        visit(left + j, top + i, top + k);
        i = k;
      }
    }
    return out;
  }

  function numberFormats(ws, used, values) {
    // NumberFormat of a block is one string when uniform and null when mixed, so formats are
    // read per column and split like merges; only columns holding numbers need them (a
    // number under a date format is a date).
    const top = used.Row, left = used.Column;
    const out = values.map((r) => r.map(() => "General"));
    const visit = (j, r0, r1) => {
      const f = ws.Range(areaAddress(top + r0, left + j, top + r1, left + j)).NumberFormat;
      if (f !== null && f !== undefined) { for (let i = r0; i <= r1; i++) out[i][j] = f; return; }
      const mid = Math.floor((r0 + r1) / 2);
      visit(j, r0, mid);
      visit(j, mid + 1, r1);
    };
    const width = Math.max(0, ...values.map((r) => r.length));
    for (let j = 0; j < width; j++) {
      const rows = values.map((r, i) => (typeof r[j] === "number" ? i : -1)).filter((i) => i >= 0);
      if (rows.length) visit(j, rows[0], rows[rows.length - 1]);
    }
    return out;
  }

  function noteMap(ws) {
    const notes = new Map();
    const comments = ws.Comments;
    for (let i = 1; i <= comments.Count; i++) {
      const c = comments.Item(i);
      notes.set(a1(c.Parent.Row, c.Parent.Column), c.Text());
    }
    return notes;
  }

  function fillOf(rng) {
    const index = rng.Interior.ColorIndex;
    if (index === XL_NONE) return "";
    if (index === null || index === undefined) return null; // mixed
    return hexOfBgr(rng.Interior.Color);
  }

  return {
    async workbookName() { return book().Name; },
    async sheetNames() {
      const sheets = book().Worksheets, names = [], count = sheets.Count;
      for (let i = 1; i <= count; i++) names.push(sheets.Item(i).Name);
      return names;
    },
    async activeSheet() { return app.ActiveSheet.Name; },
    async activate(name) { sheet(name).Activate(); },
    async alert(message, title) { (alert || globalThis.alert)(`${title}\n\n${message}`); },

    async readSheet(name) {
      const ws = sheet(name), used = ws.UsedRange;
      const values = grid(used.Value2).map((r) => r.map((v) => (v === undefined ? null : v)));
      const formats = numberFormats(ws, used, values);
      const formulas = grid(used.Formula).map((r) => r.map((f) => (typeof f === "string" && f.startsWith("=") ? f : "")));
      const request = { top_left: a1(used.Row, used.Column), values, number_formats: formats,
                        merged: mergedAreas(ws, used, values) };
      if (formulas.some((r) => r.some((f) => f))) request.formulas = formulas;
      return request;
    },

    async readValues(name) {
      const used = sheet(name).UsedRange;
      const rows = grid(used.Value2);
      const top = used.Row - 1, left = used.Column - 1;
      return [...Array(top).fill([]), ...rows.map((r) => [...Array(left).fill(null), ...r])];
    },

    async readCellState(name, cells) {
      const ws = sheet(name);
      const notes = noteMap(ws);
      const fills = new Map();
      for (const address of packAddresses(cells)) { // one call per area group when uniform
        const fill = fillOf(ws.Range(address));
        if (fill !== null) for (const cell of expandAddress(address)) fills.set(cell, fill);
      }
      return cells.map((cell) => ({
        fill: fills.has(cell) ? fills.get(cell) : fillOf(ws.Range(cell)) ?? "",
        note: notes.has(cell) ? notes.get(cell) : null,
      }));
    },

    async applyMarks(name, { fills = [], deleteNotes = [], notes = [] }) {
      const ws = sheet(name);
      for (const [address, color] of fills) {
        const interior = ws.Range(address).Interior;
        if (color) interior.Color = bgr(color);
        else interior.ColorIndex = XL_NONE;
      }
      for (const address of packAddresses(deleteNotes)) ws.Range(address).ClearComments();
      for (const [cell, text] of notes) ws.Range(cell).AddComment(text);
    },

    async writeSheet(name, rows, { hidden = false, headerFill, textColumns, links = [] } = {}) {
      const sheets = book().Worksheets;
      const ws = sheets.Add(null, sheets.Item(sheets.Count));
      ws.Name = name;
      const width = Math.max(...rows.map((r) => r.length));
      const block = ws.Range("A1").Resize(rows.length, width);
      if (textColumns) ws.Range("A1").Resize(rows.length, textColumns).NumberFormat = "@";
      block.Value2 = rows.map((r) => [...r, ...Array(width - r.length).fill("")]);
      if (headerFill) ws.Range(areaAddress(1, 1, 1, width)).Interior.Color = bgr(headerFill);
      for (const link of links) {
        ws.Hyperlinks.Add(ws.Range(`A${link.row}`), "", `${quoteSheet(link.sheet)}!${link.cell}`, "跳转到该单元格", link.cell);
      }
      if (hidden) ws.Visible = XL_SHEET_HIDDEN;
      return name;
    },

    async writeRows(name, firstRow, rows) {
      const width = Math.max(...rows.map((r) => r.length));
      sheet(name).Range(`A${firstRow}`).Resize(rows.length, width).Value2 = rows;
    },

    async deleteSheet(name) {
      const alerts = app.DisplayAlerts;
      app.DisplayAlerts = false; // no "delete this sheet?" prompt
      try { sheet(name).Delete(); } finally { app.DisplayAlerts = alerts; }
    },
  };
}
