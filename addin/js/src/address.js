// A1 addresses and colours, shared by both hosts.
// The service packs the marks plan's fills itself; the clients pack only what they restore
// (previous fills, notes to delete), with the same rule: vertical runs, then equal runs side by
// side, joined under the 255-character limit of one Range("…") address.

export const ADDRESS_LIMIT = 255;

export function colLetter(n) {
  let s = "";
  while (n > 0) {
    const m = (n - 1) % 26;
    s = String.fromCharCode(65 + m) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

export function splitA1(cell) {
  const m = /^\$?([A-Za-z]{1,3})\$?(\d+)$/.exec(cell);
  if (!m) throw new Error(`不是单元格地址：${cell}`);
  let col = 0;
  for (const ch of m[1].toUpperCase()) col = col * 26 + ch.charCodeAt(0) - 64;
  return [Number(m[2]), col];
}

export function a1(row, col) {
  return `${colLetter(col)}${row}`;
}

export function areaAddress(r0, c0, r1, c1) {
  return r0 === r1 && c0 === c1 ? a1(r0, c0) : `${a1(r0, c0)}:${a1(r1, c1)}`;
}

// Multi-area addresses covering exactly `cells`, each at most `limit` characters.
export function packAddresses(cells, limit = ADDRESS_LIMIT) {
  const byCol = new Map();
  for (const cell of new Set(cells)) {
    const [row, col] = splitA1(cell);
    if (!byCol.has(col)) byCol.set(col, []);
    byCol.get(col).push(row);
  }
  const runs = new Map(); // "r0:r1" -> columns
  for (const [col, rows] of byCol) {
    rows.sort((a, b) => a - b);
    let start = rows[0], prev = rows[0];
    for (const r of [...rows.slice(1), null]) {
      if (r !== null && r === prev + 1) { prev = r; continue; }
      const key = `${start}:${prev}`;
      if (!runs.has(key)) runs.set(key, []);
      runs.get(key).push(col);
      if (r !== null) start = prev = r;
    }
  }
  const areas = [];
  for (const [key, cols] of runs) {
    const [r0, r1] = key.split(":").map(Number);
    cols.sort((a, b) => a - b);
    let first = cols[0], last = cols[0];
    for (const c of [...cols.slice(1), null]) {
      if (c !== null && c === last + 1) { last = c; continue; }
      areas.push([r0, first, r1, last]);
      if (c !== null) first = last = c;
    }
  }
  areas.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = [];
  let current = "";
  for (const [r0, c0, r1, c1] of areas) {
    const a = areaAddress(r0, c0, r1, c1);
    if (current && current.length + 1 + a.length > limit) { out.push(current); current = a; }
    else current = current ? `${current},${a}` : a;
  }
  if (current) out.push(current);
  return out;
}

// Every cell of a multi-area address ("H11:I12,K3" -> H11, I11, H12, I12, K3).
export function expandAddress(address) {
  const cells = [];
  for (const area of address.split(",")) {
    const [a, b] = area.split(":");
    const [r0, c0] = splitA1(a), [r1, c1] = splitA1(b || a);
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cells.push(a1(r, c));
  }
  return cells;
}

// "#RRGGBB" <-> the VBA/ET colour long (R + G*256 + B*65536).
export function bgr(hex) {
  const n = parseInt(hex.slice(1), 16);
  return ((n >> 16) & 255) + ((n >> 8) & 255) * 256 + (n & 255) * 65536;
}

export function hexOfBgr(long) {
  const r = long & 255, g = (long >> 8) & 255, b = (long >> 16) & 255;
  return "#" + [r, g, b].map((x) => x.toString(16).padStart(2, "0")).join("").toUpperCase();
}

// The sheet name as it appears in a formula or a link: '工作台账'!H11.
export function quoteSheet(name) {
  return `'${name.replace(/'/g, "''")}'`;
}
