// WPS 表格 entry: the ribbon's callbacks (ribbon.xml is generated from addin/ribbon/customUI.xml,
// every button calling RunTagged with its tag, as the .xlam's buttons call RibbonMyAddin.RunTagged).
// Bundled into one classic script (js/taizhang-wps.js): WPS loads the add-in's index.html from
// the unpacked package, where ES modules would not load from file URLs.

function wpsStorage(app) { // per-user settings: WPS's PluginStorage when present, else localStorage
  const store = app && app.PluginStorage;
  if (store && typeof store.getItem === "function") return store;
  return globalThis.localStorage;
}

async function askToken(current) { // the webview's own prompt dialog; without one the token is kept
  const text = "台账服务的访问令牌（没有可留空）：";
  return typeof globalThis.prompt === "function" ? globalThis.prompt(text, current) : current;
}

globalThis.OnAddinLoad = function OnAddinLoad(ribbonUI) {
  const app = globalThis.Application || (globalThis.window && globalThis.window.Application);
  if (app && typeof app.ribbonUI !== "object") app.ribbonUI = ribbonUI;
  return true;
};

globalThis.RunTagged = function RunTagged(control) {
  const app = globalThis.Application || (globalThis.window && globalThis.window.Application);
  const tag = control.Tag || control.Id;
  const host = etHost(app, { alert: (m) => globalThis.alert(m) });
  return run(tag, host, wpsStorage(app), { askToken });
};
