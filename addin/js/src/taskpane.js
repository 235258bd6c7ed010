// Excel (Office.js) task pane entry: the same actions as the WPS ribbon, as buttons in the pane.
// Bundled into js/taizhang-officejs.js and served by the service with taskpane.html.

function paneStorage() {
  return globalThis.localStorage;
}

function showMessage(message) {
  const box = globalThis.document.getElementById("message");
  box.textContent = message;
}

async function paneAction(tag) {
  const host = officeHost(globalThis.Excel, { alert: showMessage });
  const storage = paneStorage();
  return run(tag, host, storage, {
    askToken: async () => globalThis.document.getElementById("token").value,
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
