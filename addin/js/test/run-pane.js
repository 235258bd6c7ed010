// The task pane as the service serves it, clicked in Node: the page's bundled script runs as a
// classic script over a minimal DOM (the ids and buttons of the served taskpane.html), the
// recording Excel and Office mocks, Node's own fetch / FormData / Blob, and a running service.
//   node test/run-pane.js --pane taskpane.html --bundle taizhang-officejs.js --dump BOOK.json --file BOOK.xlsx
//        --origin URL [--submissions a.xlsx,b.xlsx] --click rollup,split,merge --out RESULT.json
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import vm from "node:vm";

import { memoryStorage } from "./fixtures.js";
import { MockExcel, mockOffice } from "./mock-officejs.js";

const { values: args } = parseArgs({ options: {
  pane: { type: "string" }, bundle: { type: "string" }, dump: { type: "string" }, file: { type: "string" },
  origin: { type: "string" }, submissions: { type: "string", default: "" }, click: { type: "string" }, out: { type: "string" },
} });

class Element {
  constructor(tag, attrs = {}) { Object.assign(this, { tag, value: "", textContent: "", children: [], disabled: false, files: [], dataset: {}, ...attrs }); }
  replaceChildren(...nodes) { this.children = nodes; }
  append(...nodes) { this.children.push(...nodes); }
}
const html = readFileSync(args.pane, "utf-8");
const byId = new Map([...html.matchAll(/id="([\w-]+)"/g)].map(([, id]) => [id, new Element("", { id })]));
const buttons = [...html.matchAll(/data-tag="(\w+)"/g)].map(([, tag]) => new Element("button", { dataset: { tag } }));
const document = {
  getElementById: (id) => byId.get(id) ?? null,
  querySelectorAll: (selector) => (selector === "button[data-tag]" ? buttons : []),
  createElement: (tag) => new Element(tag),
};
const excel = new MockExcel(JSON.parse(readFileSync(args.dump, "utf-8")));
const Office = mockOffice(excel, new Uint8Array(readFileSync(args.file)));
const requests = [];
const context = vm.createContext({
  document, Office, Excel: excel, localStorage: memoryStorage(), location: new URL(args.origin),
  fetch: (url, init) => { requests.push(String(url)); return fetch(url, init); },
  FormData, Blob, File, URL, atob, TextEncoder, setTimeout, console,
});
vm.runInContext(readFileSync(args.bundle, "utf-8"), context);
await new Promise((resolve) => setTimeout(resolve, 0)); // Office.onReady(paneInit)
const submissions = args.submissions ? args.submissions.split(",").map((p) => new File([readFileSync(p)], basename(p))) : [];
byId.get("submissions").files = submissions;
const clicks = [];
for (const tag of args.click.split(",")) {
  await buttons.find((b) => b.dataset.tag === tag).onclick();
  clicks.push({ tag, message: byId.get("message").textContent });
}
writeFileSync(args.out, JSON.stringify({
  clicks, requests, created: excel.created || [], open: Office.open, service: byId.get("service").value,
  links: byId.get("files").children.map((li) => ({ name: li.children[0].download, href: li.children[0].href })),
  ops: excel.ops.filter((op) => /^(Office\.|file\.|Excel\.)/.test(op)),
}));
