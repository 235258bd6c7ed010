// A recording mock of the Excel JavaScript API (Office.js), filled from a workbook dump.
// It keeps the proxy-object model: calls are queued and run at context.sync(); a loaded property
// can be read only after the sync that loads it (PropertyNotLoaded otherwise); getItem on a
// missing sheet fails at sync (ItemNotFound); *OrNullObject gives isNullObject; RangeFill.color /
// .pattern are null when a multi-area range is mixed and pattern is "None" with no fill; one
// request above 5 MB fails as Excel on the web does (RequestPayloadSizeLimitExceeded).
// Every queued operation is recorded in `excel.ops`, every sync in `excel.syncs`.

import { a1, splitA1 } from "../src/address.js";
import { MockEtApp } from "./mock-et.js";

const LIMIT = 5 * 1024 * 1024;

function parseAreas(address) {
  return address.split(",").map((area) => {
    const [a, b] = area.trim().split(":");
    const [r0, c0] = splitA1(a), [r1, c1] = splitA1(b || a);
    return [r0, c0, r1, c1];
  });
}

function uniform(values) {
  return values.every((v) => v === values[0]) ? values[0] : null;
}

class Loadable {
  constructor(ctx) { this._ctx = ctx; this._loaded = new Set(); this._data = {}; }
  _get(prop) {
    if (!this._loaded.has(prop)) throw new Error(`PropertyNotLoaded: ${prop}`);
    return this._data[prop];
  }
  load(props) {
    const list = String(props).split(",").map((p) => p.trim());
    this._ctx.record(`${this._tag}.load("${props}")`);
    this._ctx.queue(() => {
      for (const p of list) { this._data[p] = this._read(p); this._loaded.add(p); }
      return this._data;
    });
    return this;
  }
}

class Fill extends Loadable {
  constructor(ctx, tag, cells) { super(ctx); this._tag = `${tag}.format.fill`; this._cells = cells; }
  _read(p) {
    const fills = this._cells().map(([s, r, c]) => s.cell(r, c)?.fill ?? "");
    const f = uniform(fills);
    if (p === "pattern") return f === null ? null : f === "" ? "None" : "Solid";
    if (p === "color") return f === null ? null : f === "" ? "#FFFFFF" : f;
    throw new Error(`mock: fill.${p}`);
  }
  get color() { return this._get("color"); }
  get pattern() { return this._get("pattern"); }
  set color(v) {
    this._ctx.record(`${this._tag}.color = "${v}"`, v);
    this._ctx.queue(() => { for (const [s, r, c] of this._cells()) s.touch(r, c).fill = v.toUpperCase(); });
  }
  clear() {
    this._ctx.record(`${this._tag}.clear()`);
    this._ctx.queue(() => { for (const [s, r, c] of this._cells()) { const cell = s.cell(r, c); if (cell) delete cell.fill; } });
  }
}

class Range extends Loadable {
  // areas: () => [[r0,c0,r1,c1]] resolved at sync (a used range is known only then)
  constructor(ctx, sheet, tag, areas, { nullable = false } = {}) {
    super(ctx);
    this._sheet = sheet; this._tag = tag; this._areas = areas; this._nullable = nullable;
    const cells = () => { const s = sheet(); const out = []; for (const [r0, c0, r1, c1] of areas() || []) for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push([s, r, c]); return out; };
    this.format = { fill: new Fill(ctx, tag, cells) };
  }
  get isNullObject() { return this._get("isNullObject"); }
  load(props) {
    if (this._nullable) this._ctx.queue(() => { this._data.isNullObject = this._areas() === null; this._loaded.add("isNullObject"); });
    return super.load(props);
  }
  _read(p) {
    const areas = this._areas();
    if (areas === null) return undefined;
    const [r0, c0, r1, c1] = areas[0], s = this._sheet();
    const grid = (fn) => { const out = []; for (let r = r0; r <= r1; r++) { const row = []; for (let c = c0; c <= c1; c++) row.push(fn(s.cell(r, c))); out.push(row); } return out; };
    switch (p) {
      case "values": return grid((cell) => cell?.v ?? "");
      case "numberFormat": return grid((cell) => cell?.nf ?? "General");
      case "formulas": return grid((cell) => cell?.f ?? cell?.v ?? "");
      case "rowIndex": return r0 - 1;
      case "columnIndex": return c0 - 1;
      case "rowCount": return r1 - r0 + 1;
      case "columnCount": return c1 - c0 + 1;
      case "address": return `${s._name}!${r0 === r1 && c0 === c1 ? a1(r0, c0) : `${a1(r0, c0)}:${a1(r1, c1)}`}`;
      default: throw new Error(`mock: range.${p}`);
    }
  }
  _write(what, v, apply) {
    const shape = Array.isArray(v) ? `[${v.length}x${v[0].length}]` : JSON.stringify(v);
    this._ctx.record(`${this._tag}.${what} = ${shape}`, v);
    this._ctx.queue(() => {
      const [r0, c0, r1, c1] = this._areas()[0], s = this._sheet();
      if (!Array.isArray(v) || v.length !== r1 - r0 + 1 || v[0].length !== c1 - c0 + 1) throw new Error(`InvalidArgument: ${what} size`);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) apply(s.touch(r, c), v[r - r0][c - c0]);
    });
  }
  get values() { return this._get("values"); }
  get numberFormat() { return this._get("numberFormat"); }
  get formulas() { return this._get("formulas"); }
  get rowIndex() { return this._get("rowIndex"); }
  get columnIndex() { return this._get("columnIndex"); }
  get rowCount() { return this._get("rowCount"); }
  get columnCount() { return this._get("columnCount"); }
  get address() { return this._get("address"); }
  set values(v) { this._write("values", v, (cell, x) => { cell.v = x === "" ? null : x; delete cell.f; }); }
  set numberFormat(v) { this._write("numberFormat", v, (cell, x) => { cell.nf = x; }); }
  set hyperlink(link) {
    this._ctx.record(`${this._tag}.hyperlink = ${JSON.stringify(link)}`, link);
    this._ctx.queue(() => { const [r, c] = this._areas()[0]; this._sheet().links.push({ cell: a1(r, c), ...link }); });
  }
  getMergedAreasOrNullObject() {
    const ctx = this._ctx, tag = `${this._tag}.getMergedAreasOrNullObject()`;
    ctx.record(tag);
    const self = this;
    const areas = new Loadable(ctx);
    areas._tag = tag;
    areas._read = () => undefined;
    areas.load = (props) => {
      ctx.record(`${tag}.load("${props}")`);
      ctx.queue(() => {
        const box = self._areas();
        const s = self._sheet();
        const inside = box === null ? [] : s.merged.filter(([r0, c0, r1, c1]) => r0 >= box[0][0] && c0 >= box[0][1] && r1 <= box[0][2] && c1 <= box[0][3]);
        areas._data = { isNullObject: inside.length === 0,
          areas: { items: inside.map(([r0, c0, r1, c1]) => ({ address: `${s._name}!$${a1(r0, c0).replace(/(\d+)/, "$$$1")}:$${a1(r1, c1).replace(/(\d+)/, "$$$1")}` })) } };
        areas._loaded.add("isNullObject"); areas._loaded.add("areas");
      });
      return areas;
    };
    Object.defineProperty(areas, "isNullObject", { get: () => areas._get("isNullObject") });
    Object.defineProperty(areas, "areas", { get: () => areas._get("areas") });
    return areas;
  }
}

class Notes extends Loadable {
  constructor(ctx, sheet, tag) { super(ctx); this._sheet = sheet; this._tag = `${tag}.notes`; }
  load(props) {
    this._ctx.record(`${this._tag}.load("${props}")`);
    this._ctx.queue(() => {
      const s = this._sheet();
      this._data.items = s.noteCells().map(([r, c]) => ({
        content: s.cell(r, c).note,
        getLocation: () => new Range(this._ctx, this._sheet, `${this._tag}.getItem(${a1(r, c)}).getLocation()`, () => [[r, c, r, c]]),
      }));
      this._loaded.add("items");
    });
    return this;
  }
  get items() { return this._get("items"); }
  add(range, text) {
    this._ctx.record(`${this._tag}.add(${range._tag.split(".").pop()}, ${JSON.stringify(text)})`, text);
    this._ctx.queue(() => {
      const [r, c, r1, c1] = range._areas()[0];
      if (r !== r1 || c !== c1) throw new Error("InvalidArgument: a note goes on one cell");
      const cell = this._sheet().touch(r, c);
      if (cell.note != null) throw new Error(`InvalidArgument: ${a1(r, c)} already has a note`);
      cell.note = text;
    });
  }
  getItemOrNullObject(address) {
    this._ctx.record(`${this._tag}.getItemOrNullObject("${address}")`);
    const [r, c] = splitA1(address);
    const note = { _loaded: false };
    this._ctx.queue(() => { note.exists = this._sheet().cell(r, c)?.note != null; note._loaded = true; });
    Object.defineProperty(note, "isNullObject", { get: () => { if (!note._loaded) throw new Error("PropertyNotLoaded: isNullObject"); return !note.exists; } });
    note.delete = () => {
      this._ctx.record(`${this._tag}.getItem("${address}").delete()`);
      this._ctx.queue(() => { const cell = this._sheet().cell(r, c); if (!cell || cell.note == null) throw new Error("ItemNotFound"); delete cell.note; });
    };
    return note;
  }
}

class Worksheet extends Loadable {
  constructor(ctx, resolve, tag) {
    super(ctx);
    this._resolve = resolve; this._tag = tag;
    this.notes = new Notes(ctx, resolve, tag);
  }
  _read(p) { if (p === "name") return this._resolve()._name; throw new Error(`mock: worksheet.${p}`); }
  get name() { return this._get("name"); }
  getRange(address) { this._ctx.record(`${this._tag}.getRange("${address}")`); return new Range(this._ctx, this._resolve, `${this._tag}.getRange("${address}")`, () => parseAreas(address)); }
  getRanges(address) { this._ctx.record(`${this._tag}.getRanges("${address}")`); return new Range(this._ctx, this._resolve, `${this._tag}.getRanges("${address}")`, () => parseAreas(address)); }
  getRangeByIndexes(r, c, nr, nc) {
    const tag = `${this._tag}.getRangeByIndexes(${r}, ${c}, ${nr}, ${nc})`;
    this._ctx.record(tag);
    return new Range(this._ctx, this._resolve, tag, () => [[r + 1, c + 1, r + nr, c + nc]]);
  }
  getUsedRangeOrNullObject() {
    const tag = `${this._tag}.getUsedRangeOrNullObject()`;
    this._ctx.record(tag);
    return new Range(this._ctx, this._resolve, tag, () => {
      const s = this._resolve();
      if (![...s.cells.values()].some((c) => c.v != null || c.f || c.nf || c.fill || c.note != null)) return null;
      const used = s.UsedRange; // the ET mock's rule: every cell with content or format, and merges
      return [[used.Row, used.Column, used.Row + used.Rows.Count - 1, used.Column + used.Columns.Count - 1]];
    }, { nullable: true });
  }
  set visibility(v) { this._ctx.record(`${this._tag}.visibility = "${v}"`); this._ctx.queue(() => { this._resolve()._visible = v === "Visible" ? -1 : 0; }); }
  activate() { this._ctx.record(`${this._tag}.activate()`); this._ctx.queue(() => { this._ctx.model.book.active = this._resolve(); }); }
  delete() {
    this._ctx.record(`${this._tag}.delete()`);
    this._ctx.queue(() => {
      const book = this._ctx.model.book, s = this._resolve();
      book.sheets.splice(book.sheets.indexOf(s), 1);
      if (book.active === s) book.active = book.sheets[0];
    });
  }
}

class Context {
  constructor(excel) {
    this.excel = excel; this.model = excel.model; this._queue = []; this._bytes = 0;
    const ctx = this;
    const sheetByName = (name) => () => {
      const s = ctx.model.sheetByName(name);
      if (!s) throw new Error(`ItemNotFound: worksheet ${name}`);
      return s;
    };
    const worksheets = new Loadable(this);
    worksheets._tag = "worksheets";
    worksheets._read = (p) => {
      if (p !== "items/name") throw new Error(`mock: worksheets.${p}`);
      return ctx.model.book.sheets.map((s) => ({ name: s._name }));
    };
    Object.defineProperty(worksheets, "items", { get: () => worksheets._get("items/name") });
    worksheets.getItem = (name) => { ctx.record(`worksheets.getItem("${name}")`); return new Worksheet(ctx, sheetByName(name), name); };
    worksheets.getActiveWorksheet = () => { ctx.record("worksheets.getActiveWorksheet()"); return new Worksheet(ctx, () => ctx.model.book.active, "(active)"); };
    worksheets.add = (name) => {
      ctx.record(`worksheets.add("${name}")`);
      ctx.queue(() => {
        if (ctx.model.sheetByName(name)) throw new Error(`ItemAlreadyExists: ${name}`);
        const sheets = ctx.model.book.sheets;
        const before = sheets.length;
        ctx.model.ActiveWorkbook.Worksheets.Add(null, sheets[before - 1]).Name = name; // storage only
        ctx.model.book.active = ctx.model.book.active; // Office.js does not activate a new sheet
      });
      return new Worksheet(ctx, sheetByName(name), name);
    };
    const workbook = new Loadable(this);
    workbook._tag = "workbook";
    workbook._read = (p) => { if (p === "name") return ctx.model.book.name; throw new Error(`mock: workbook.${p}`); };
    Object.defineProperty(workbook, "name", { get: () => workbook._get("name") });
    workbook.worksheets = worksheets;
    this.workbook = workbook;
  }
  record(line, payload) {
    this.excel.ops.push(line);
    this._bytes += Buffer.byteLength(line) + (payload === undefined ? 0 : Buffer.byteLength(JSON.stringify(payload)));
  }
  queue(fn) { this._queue.push(fn); }
  async sync() {
    this.excel.syncs += 1;
    this.excel.ops.push("sync");
    const queue = this._queue;
    this._queue = [];
    let bytes = this._bytes;
    this._bytes = 0;
    const active = this.model.book.active;
    for (const fn of queue) {
      const loaded = fn();
      if (loaded && typeof loaded === "object") bytes += Buffer.byteLength(JSON.stringify(loaded));
    }
    if (bytes > LIMIT) throw new Error(`RequestPayloadSizeLimitExceeded: ${bytes} bytes in one sync`);
    this.excel.maxSyncBytes = Math.max(this.excel.maxSyncBytes, bytes);
    if (!queue.some((fn) => String(fn).includes("book.active ="))) this.model.book.active = active;
  }
}

export class MockExcel {
  constructor(dump) {
    this.model = new MockEtApp(dump); // cell storage shared with the ET mock; its call log is ignored
    this.ops = [];
    this.syncs = 0;
    this.runs = 0;
    this.maxSyncBytes = 0;
  }
  async run(fn) {
    this.runs += 1;
    const ctx = new Context(this);
    const result = await fn(ctx);
    if (ctx._queue.length) await ctx.sync(); // Excel.run syncs what is still queued
    return result;
  }
  marks(name) { return this.model.marks(name); }
  values(name) { return this.model.values(name); }
}
