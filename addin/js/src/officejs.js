// Excel (Office.js) host adapter: Excel.run batches, a context.sync() per phase, not per cell.
// Excel on the web caps one request or response at 5 MB, so large reads and writes are cut into
// row blocks (`chunkCells`) and queued operations are flushed every `opsPerSync`.

import { a1, expandAddress, packAddresses, quoteSheet } from "./address.js";

const CHUNK_CELLS = 20000; // the first read block; later blocks are sized from its bytes
const BLOCK_BYTES = 3 * 1024 * 1024; // under the 5 MB cap with room for the request itself
const OPS_PER_SYNC = 2000;

function stripSheet(address) { // "工作台账!$A$3:$A$5" -> "A3:A5"
  return address.slice(address.lastIndexOf("!") + 1).replace(/\$/g, "");
}

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

function sameSize(rows, width) {
  return rows.map((r) => [...r, ...Array(Math.max(0, width - r.length)).fill("")].map((v) => (v === null || v === undefined ? "" : v)));
}

export function officeHost(Excel, { alert, chunkCells = CHUNK_CELLS, opsPerSync = OPS_PER_SYNC } = {}) {
  const run = (fn) => Excel.run(fn);

  // Queue operations and sync every `opsPerSync` of them (payload cap), and once at the end.
  function batcher(context) {
    let queued = 0;
    return {
      async add(n = 1) { queued += n; if (queued >= opsPerSync) { await context.sync(); queued = 0; } },
      async flush() { await context.sync(); queued = 0; },
    };
  }

  async function usedValues(context, ws) {
    const used = ws.getUsedRangeOrNullObject();
    used.load("values,rowIndex,columnIndex");
    await context.sync();
    if (used.isNullObject) return [];
    const rows = used.values.map((r) => [...Array(used.columnIndex).fill(null), ...r]);
    return [...Array(used.rowIndex).fill([]), ...rows];
  }

  return {
    async workbookName() {
      return run(async (context) => { context.workbook.load("name"); await context.sync(); return context.workbook.name; });
    },
    async sheetNames() {
      return run(async (context) => {
        const sheets = context.workbook.worksheets;
        sheets.load("items/name");
        await context.sync();
        return sheets.items.map((s) => s.name);
      });
    },
    async activeSheet() {
      return run(async (context) => {
        const ws = context.workbook.worksheets.getActiveWorksheet();
        ws.load("name");
        await context.sync();
        return ws.name;
      });
    },
    async activate(name) {
      return run(async (context) => { context.workbook.worksheets.getItem(name).activate(); await context.sync(); });
    },
    async alert(message, title) { (alert || globalThis.alert)(`${title}\n\n${message}`); },

    async readSheet(name) {
      return run(async (context) => {
        const ws = context.workbook.worksheets.getItem(name);
        const used = ws.getUsedRangeOrNullObject();
        used.load("rowIndex,columnIndex,rowCount,columnCount");
        const merged = used.getMergedAreasOrNullObject();
        merged.load("areas/items/address");
        await context.sync();
        if (used.isNullObject) return { top_left: "A1", values: [], number_formats: [], merged: [] };
        const values = [], formats = [], formulas = [];
        let step = Math.max(1, Math.floor(chunkCells / used.columnCount));
        for (let r = 0, n = 0; r < used.rowCount; r += n) {
          n = Math.min(step, used.rowCount - r);
          const block = ws.getRangeByIndexes(used.rowIndex + r, used.columnIndex, n, used.columnCount);
          block.load("values,numberFormat,formulas");
          await context.sync();
          const bytes = utf8Length(JSON.stringify([block.values, block.numberFormat, block.formulas]));
          step = Math.max(1, Math.floor(BLOCK_BYTES / Math.max(1, bytes / n)));
          values.push(...block.values);
          formats.push(...block.numberFormat);
          formulas.push(...block.formulas.map((row) => row.map((f) => (typeof f === "string" && f.startsWith("=") ? f : ""))));
        }
        const request = {
          top_left: a1(used.rowIndex + 1, used.columnIndex + 1),
          values: values.map((row) => row.map((v) => (v === "" ? null : v))),
          number_formats: formats,
          merged: merged.isNullObject ? [] : merged.areas.items.map((a) => stripSheet(a.address)),
        };
        if (formulas.some((row) => row.some((f) => f))) request.formulas = formulas;
        return request;
      });
    },

    async readValues(name) {
      return run(async (context) => usedValues(context, context.workbook.worksheets.getItem(name)));
    },

    async readCellState(name, cells) {
      return run(async (context) => {
        const ws = context.workbook.worksheets.getItem(name);
        const groups = packAddresses(cells).map((address) => {
          const fill = ws.getRanges(address).format.fill;
          fill.load("color,pattern");
          return { address, fill };
        });
        ws.notes.load("items/content");
        await context.sync();
        const locations = ws.notes.items.map((note) => { const at = note.getLocation(); at.load("address"); return at; });
        const fills = new Map(), mixed = [];
        for (const { address, fill } of groups) {
          if (fill.pattern === null || fill.color === null) { mixed.push(...expandAddress(address)); continue; }
          const value = fill.pattern === "None" ? "" : fill.color.toUpperCase();
          for (const cell of expandAddress(address)) fills.set(cell, value);
        }
        const single = mixed.map((cell) => { const f = ws.getRange(cell).format.fill; f.load("color,pattern"); return [cell, f]; });
        await context.sync();
        for (const [cell, f] of single) fills.set(cell, f.pattern === "None" ? "" : String(f.color).toUpperCase());
        const notes = new Map(locations.map((at, i) => [stripSheet(at.address), ws.notes.items[i].content]));
        return cells.map((cell) => ({ fill: fills.get(cell) ?? "", note: notes.has(cell) ? notes.get(cell) : null }));
      });
    },

    async applyMarks(name, { fills = [], deleteNotes = [], notes = [] }) {
      return run(async (context) => {
        const ws = context.workbook.worksheets.getItem(name);
        const batch = batcher(context);
        for (const [address, color] of fills) {
          const fill = ws.getRanges(address).format.fill;
          if (color) fill.color = color;
          else fill.clear();
          await batch.add();
        }
        if (deleteNotes.length) { // a note the user removed since is simply not there
          const found = deleteNotes.map((cell) => ws.notes.getItemOrNullObject(cell));
          await context.sync();
          for (const note of found) if (!note.isNullObject) { note.delete(); await batch.add(); }
        }
        for (const [cell, text] of notes) { ws.notes.add(ws.getRange(cell), text); await batch.add(); }
        await batch.flush();
      });
    },

    async writeSheet(name, rows, { hidden = false, headerFill, textColumns, links = [] } = {}) {
      return run(async (context) => {
        const ws = context.workbook.worksheets.add(name);
        const width = Math.max(...rows.map((r) => r.length));
        const full = sameSize(rows, width);
        const step = Math.max(1, Math.floor(chunkCells / width));
        for (let r = 0; r < full.length; r += step) {
          const part = full.slice(r, r + step);
          const block = ws.getRangeByIndexes(r, 0, part.length, width);
          if (textColumns) block.numberFormat = part.map((row) => row.map((_, j) => (j < textColumns ? "@" : "General")));
          block.values = part;
          if (r + step < full.length) await context.sync();
        }
        if (headerFill) ws.getRangeByIndexes(0, 0, 1, width).format.fill.color = headerFill;
        const batch = batcher(context);
        for (const link of links) {
          ws.getRange(`A${link.row}`).hyperlink = {
            documentReference: `${quoteSheet(link.sheet)}!${link.cell}`, textToDisplay: link.cell, screenTip: "跳转到该单元格",
          };
          await batch.add();
        }
        if (hidden) ws.visibility = "Hidden";
        await batch.flush();
        return name;
      });
    },

    async writeRows(name, firstRow, rows) {
      return run(async (context) => {
        const width = Math.max(...rows.map((r) => r.length));
        const ws = context.workbook.worksheets.getItem(name);
        ws.getRangeByIndexes(firstRow - 1, 0, rows.length, width).values = sameSize(rows, width);
        await context.sync();
      });
    },

    async deleteSheet(name) {
      return run(async (context) => { context.workbook.worksheets.getItem(name).delete(); await context.sync(); });
    },
  };
}
