// A recording mock of WPS 表格's object model (window.Application), filled from a workbook dump
// (tests/js_workbook.py). It follows the VBA semantics the ET JS API mirrors: Value2 is a scalar
// for one cell and a 2-D array for a block (the first area of a multi-area range); NumberFormat,
// MergeCells and Interior.ColorIndex / Color are one value when uniform and null when mixed;
// Interior.ColorIndex is xlColorIndexNone (-4142) for a cell with no fill; AddComment fails on a
// cell that has a comment; Worksheets.Add(Before, After) returns the new sheet.
// Every call that crosses into the host is recorded in `app.calls` as one line.

import { a1, bgr, colLetter, hexOfBgr, splitA1 } from "../src/address.js";

const KEY = (r, c) => r * 20000 + c;
const NONE = -4142;

function parseAreas(address) {
  return address.split(",").map((area) => {
    const [a, b] = area.split(":");
    const [r0, c0] = splitA1(a), [r1, c1] = splitA1(b || a);
    return [Math.min(r0, r1), Math.min(c0, c1), Math.max(r0, r1), Math.max(c0, c1)];
  });
}

function areasText(areas) {
  return areas.map(([r0, c0, r1, c1]) => (r0 === r1 && c0 === c1 ? a1(r0, c0) : `${a1(r0, c0)}:${a1(r1, c1)}`)).join(",");
}

function uniform(values) {
  const first = values[0];
  return values.every((v) => v === first) ? first : null;
}

class MockSheet {
  constructor(app, data) {
    this.app = app;
    this._name = data.name;
    this._visible = data.visible === false ? 0 : -1;
    this.cells = new Map();
    for (const [addr, cell] of Object.entries(data.cells || {})) {
      const [r, c] = splitA1(addr);
      this.cells.set(KEY(r, c), { ...cell });
    }
    this.merged = (data.merged || []).map((m) => parseAreas(m)[0]);
    this.links = [];
    const sheet = this;
    this.Comments = {
      get Count() { sheet.app.log(`${sheet._name}!Comments.Count`); return sheet.noteCells().length; },
      Item(i) {
        sheet.app.log(`${sheet._name}!Comments.Item(${i})`);
        const [r, c] = sheet.noteCells()[i - 1];
        return { Parent: { Row: r, Column: c }, Text: () => sheet.cell(r, c).note };
      },
    };
    this.Hyperlinks = {
      Add(anchor, address, subAddress, tip, text) {
        sheet.app.log(`${sheet._name}!Hyperlinks.Add(${anchor.text}, "${address}", "${subAddress}", "${tip}", "${text}")`);
        sheet.links.push({ cell: anchor.text, address, subAddress, tip, text });
      },
    };
  }

  cell(r, c) { return this.cells.get(KEY(r, c)); }
  mergedIndex() { // cell -> its merged area (merges never change in these tests)
    if (!this._mergedIndex) {
      this._mergedIndex = new Map();
      for (const area of this.merged) {
        const [r0, c0, r1, c1] = area;
        for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) this._mergedIndex.set(KEY(r, c), area);
      }
    }
    return this._mergedIndex;
  }
  touch(r, c) {
    let cell = this.cells.get(KEY(r, c));
    if (!cell) { cell = {}; this.cells.set(KEY(r, c), cell); }
    return cell;
  }
  noteCells() {
    const out = [];
    for (const [k, cell] of this.cells) if (cell.note != null) out.push([Math.floor(k / 20000), k % 20000]);
    return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  get Name() { return this._name; }
  set Name(v) {
    this.app.log(`${this._name}!Name = "${v}"`);
    if (this.app.book.sheets.some((s) => s !== this && s._name === v)) throw new Error(`sheet name taken: ${v}`);
    this._name = v;
  }
  get Visible() { return this._visible; }
  set Visible(v) { this.app.log(`${this._name}!Visible = ${v}`); this._visible = v; }

  get UsedRange() {
    this.app.log(`${this._name}!UsedRange`);
    let r0 = Infinity, c0 = Infinity, r1 = 0, c1 = 0;
    for (const [k, cell] of this.cells) {
      if (cell.v == null && !cell.f && !cell.nf && !cell.fill && cell.note == null) continue;
      const r = Math.floor(k / 20000), c = k % 20000;
      r0 = Math.min(r0, r); c0 = Math.min(c0, c); r1 = Math.max(r1, r); c1 = Math.max(c1, c);
    }
    for (const [mr0, mc0, mr1, mc1] of this.merged) {
      r0 = Math.min(r0, mr0); c0 = Math.min(c0, mc0); r1 = Math.max(r1, mr1); c1 = Math.max(c1, mc1);
    }
    if (r1 === 0) return new MockRange(this, [[1, 1, 1, 1]], false);
    return new MockRange(this, [[r0, c0, r1, c1]], false);
  }
  Range(address) { return new MockRange(this, parseAreas(address), true); }
  Activate() { this.app.log(`${this._name}!Activate()`); this.app.book.active = this; }
  Delete() {
    this.app.log(`${this._name}!Delete()`);
    if (this.app.DisplayAlertsValue !== false) throw new Error("Delete() with DisplayAlerts on asks the user");
    const sheets = this.app.book.sheets;
    sheets.splice(sheets.indexOf(this), 1);
    if (this.app.book.active === this) this.app.book.active = sheets[0];
  }
}

class MockRange {
  constructor(sheet, areas, logged) {
    this.sheet = sheet;
    this.areas = areas;
    this.text = areasText(areas);
    this.tag = `${sheet._name}!Range("${this.text}")`;
    if (logged) sheet.app.log(this.tag);
  }
  get app() { return this.sheet.app; }
  *each() {
    for (const [r0, c0, r1, c1] of this.areas) for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) yield [r, c];
  }
  block(fn) {
    const [r0, c0, r1, c1] = this.areas[0];
    if (r0 === r1 && c0 === c1) return fn(r0, c0);
    const rows = [];
    for (let r = r0; r <= r1; r++) { const row = []; for (let c = c0; c <= c1; c++) row.push(fn(r, c)); rows.push(row); }
    return rows;
  }
  get Row() { return this.areas[0][0]; }
  get Column() { return this.areas[0][1]; }
  get Rows() { return { Count: this.areas[0][2] - this.areas[0][0] + 1 }; }
  get Columns() { return { Count: this.areas[0][3] - this.areas[0][1] + 1 }; }
  Resize(rows, cols) {
    const [r, c] = this.areas[0];
    return new MockRange(this.sheet, [[r, c, r + rows - 1, c + cols - 1]], false);
  }

  get Value2() { this.app.log(`${this.tag}.Value2`); return this.block((r, c) => this.sheet.cell(r, c)?.v ?? undefined); }
  set Value2(v) {
    this.app.log(`${this.tag}.Value2 = ${Array.isArray(v) ? `[${v.length}x${v[0].length}]` : JSON.stringify(v)}`);
    const [r0, c0, r1, c1] = this.areas[0];
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) {
      const x = Array.isArray(v) ? v[r - r0][c - c0] : v;
      const cell = this.sheet.touch(r, c);
      cell.v = x === "" || x === undefined ? null : x;
      delete cell.f;
    }
  }
  get Formula() {
    this.app.log(`${this.tag}.Formula`);
    return this.block((r, c) => { const cell = this.sheet.cell(r, c); return cell?.f ?? (cell?.v == null ? "" : String(cell.v)); });
  }
  get NumberFormat() {
    this.app.log(`${this.tag}.NumberFormat`);
    return uniform([...this.each()].map(([r, c]) => this.sheet.cell(r, c)?.nf ?? "General"));
  }
  set NumberFormat(v) {
    this.app.log(`${this.tag}.NumberFormat = "${v}"`);
    for (const [r, c] of this.each()) this.sheet.touch(r, c).nf = v;
  }
  areaOf(r, c) { return this.sheet.mergedIndex().get(KEY(r, c)); }
  get MergeCells() {
    this.app.log(`${this.tag}.MergeCells`);
    return uniform([...this.each()].map(([r, c]) => Boolean(this.areaOf(r, c))));
  }
  get MergeArea() {
    this.app.log(`${this.tag}.MergeArea`);
    const [r, c] = this.areas[0];
    return new MockRange(this.sheet, [this.areaOf(r, c) || [r, c, r, c]], false);
  }
  get Interior() {
    const range = this;
    const fills = () => [...range.each()].map(([r, c]) => range.sheet.cell(r, c)?.fill ?? "");
    return {
      get Color() { range.app.log(`${range.tag}.Interior.Color`); const f = uniform(fills()); return f === null ? null : f === "" ? 16777215 : bgr(f); },
      set Color(v) {
        range.app.log(`${range.tag}.Interior.Color = ${v}`);
        for (const [r, c] of range.each()) range.sheet.touch(r, c).fill = hexOfBgr(v);
      },
      get ColorIndex() { range.app.log(`${range.tag}.Interior.ColorIndex`); const f = uniform(fills()); return f === null ? null : f === "" ? NONE : 6; },
      set ColorIndex(v) {
        range.app.log(`${range.tag}.Interior.ColorIndex = ${v}`);
        if (v !== NONE) throw new Error("the mock only clears with ColorIndex");
        for (const [r, c] of range.each()) delete range.sheet.touch(r, c).fill;
      },
    };
  }
  get Comment() {
    this.app.log(`${this.tag}.Comment`);
    const [r, c] = this.areas[0];
    const note = this.sheet.cell(r, c)?.note;
    return note == null ? null : { Text: () => note };
  }
  AddComment(text) {
    this.app.log(`${this.tag}.AddComment(${JSON.stringify(text)})`);
    const [r, c] = this.areas[0];
    if (this.sheet.cell(r, c)?.note != null) throw new Error(`${this.text} already has a comment`);
    this.sheet.touch(r, c).note = text;
  }
  ClearComments() {
    this.app.log(`${this.tag}.ClearComments()`);
    for (const [r, c] of this.each()) { const cell = this.sheet.cell(r, c); if (cell) delete cell.note; }
  }
}

export class MockEtApp {
  constructor(dump) {
    this.calls = [];
    this.DisplayAlertsValue = true;
    const sheets = dump.sheets.map((s) => new MockSheet(this, s));
    this.book = { name: dump.name, sheets, active: sheets[dump.active || 0] };
    const app = this;
    this.ActiveWorkbook = {
      get Name() { app.log("ActiveWorkbook.Name"); return app.book.name; },
      Worksheets: {
        get Count() { app.log("Worksheets.Count"); return app.book.sheets.length; },
        Item(key) {
          app.log(`Worksheets.Item(${JSON.stringify(key)})`);
          const s = typeof key === "number" ? app.book.sheets[key - 1] : app.book.sheets.find((x) => x._name === key);
          if (!s) throw new Error(`no sheet ${key}`);
          return s;
        },
        Add(before, after) {
          app.log(`Worksheets.Add(${before ? before._name : "null"}, ${after ? after._name : "null"})`);
          let n = app.book.sheets.length + 1;
          while (app.book.sheets.some((s) => s._name === `Sheet${n}`)) n++;
          const s = new MockSheet(app, { name: `Sheet${n}`, cells: {} });
          const at = after ? app.book.sheets.indexOf(after) + 1 : before ? app.book.sheets.indexOf(before) : 0;
          app.book.sheets.splice(at, 0, s);
          app.book.active = s; // Excel activates the new sheet
          return s;
        },
      },
    };
  }
  log(line) { this.calls.push(line); }
  get ActiveSheet() { this.log("ActiveSheet"); return this.book.active; }
  get DisplayAlerts() { return this.DisplayAlertsValue; }
  set DisplayAlerts(v) { this.log(`DisplayAlerts = ${v}`); this.DisplayAlertsValue = v; }

  // ---- for assertions, not part of the host's API
  sheetByName(name) { return this.book.sheets.find((s) => s._name === name); }
  marks(name) {
    const s = this.sheetByName(name), fills = {}, notes = {};
    for (const [k, cell] of s.cells) {
      const addr = `${colLetter(k % 20000)}${Math.floor(k / 20000)}`;
      if (cell.fill) fills[addr] = cell.fill;
      if (cell.note != null) notes[addr] = cell.note;
    }
    return { fills, notes };
  }
  values(name) {
    const s = this.sheetByName(name), out = {};
    for (const [k, cell] of s.cells) if (cell.v != null) out[`${colLetter(k % 20000)}${Math.floor(k / 20000)}`] = cell.v;
    return out;
  }
}
