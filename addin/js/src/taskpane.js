// Excel (Office.js) task pane entry: the same actions as the WPS ribbon, as buttons in the pane.
// Bundled into js/taizhang-officejs.js and served by the service with taskpane.html.

// Served by the taizhang service, the pane's own address is the service's unless the user saved another.
function paneStorage() {
  const store = globalThis.localStorage;
  const here = globalThis.location && /^https?:$/.test(globalThis.location.protocol) ? globalThis.location.origin : "";
  return {
    getItem: (key) => store.getItem(key) || (key === "taizhang.service" ? here || null : null),
    setItem: (key, value) => store.setItem(key, value),
  };
}

function base64Bytes(base64) {
  const text = globalThis.atob(base64);
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

// 分发's files as download links (Blob URLs) in the pane.
function showFiles(files) {
  const doc = globalThis.document;
  const list = doc.getElementById("files");
  list.replaceChildren(...files.map((f) => {
    const link = doc.createElement("a");
    link.href = globalThis.URL.createObjectURL(new Blob([base64Bytes(f.base64)], { type: f.media_type }));
    link.download = f.name;
    link.textContent = f.name;
    const item = doc.createElement("li");
    item.append(link);
    return item;
  }));
}

function showMessage(message) {
  const box = globalThis.document.getElementById("message");
  box.textContent = message;
}

async function paneAction(tag) {
  const doc = globalThis.document;
  const host = officeHost(globalThis.Excel, { alert: showMessage, Office: globalThis.Office,
    pickFiles: () => doc.getElementById("submissions").files, offerFiles: showFiles });
  const storage = paneStorage();
  return run(tag, host, storage, {
    askToken: async () => doc.getElementById("token").value,
  });
}

function paneInit() {
  const doc = globalThis.document;
  const storage = paneStorage();
  doc.getElementById("service").value = storage.getItem("taizhang.service") || DEFAULT_SERVICE;
  doc.getElementById("token").value = storage.getItem("taizhang.token") || "";
  doc.getElementById("save").onclick = () => {
    storage.setItem("taizhang.service", doc.getElementById("service").value.trim());
    storage.setItem("taizhang.token", doc.getElementById("token").value.trim());
    showMessage("已保存。");
  };
  for (const button of doc.querySelectorAll("button[data-tag]")) {
    button.onclick = async () => {
      button.disabled = true;
      showMessage("处理中……");
      try { await paneAction(button.dataset.tag); } finally { button.disabled = false; }
    };
  }
}

if (globalThis.Office && typeof globalThis.Office.onReady === "function") globalThis.Office.onReady(paneInit);
