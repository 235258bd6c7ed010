// Calls to the taizhang service. Every failure becomes a ServiceError with a Chinese message
// the user can act on: the address to check, the status, the service's own message.

export class ServiceError extends Error {}

export const DEFAULT_SERVICE = "http://127.0.0.1:8765";

function base(settings) {
  return String(settings.service || DEFAULT_SERVICE).trim().replace(/\/+$/, "");
}

function query(params) {
  const pairs = Object.entries(params || {}).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return pairs.length ? "?" + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&") : "";
}

async function detail(response) {
  try {
    const body = await response.json();
    const d = body && (body.detail ?? body.message ?? body.error);
    if (typeof d === "string") return d;
    if (d && typeof d.message === "string") return d.message;
    return d ? JSON.stringify(d) : "";
  } catch {
    return "";
  }
}

// POST `body` (an object sent as JSON, or FormData) to `path`; returns the Response.
export async function post(settings, path, body, { params, fetchFn } = {}) {
  const url = base(settings) + path + query(params);
  const headers = {};
  if (settings.token) headers.Authorization = `Bearer ${settings.token}`;
  let payload = body;
  if (!(typeof FormData !== "undefined" && body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const doFetch = fetchFn || globalThis.fetch;
  let response;
  try {
    response = await doFetch(url, { method: "POST", headers, body: payload });
  } catch {
    throw new ServiceError(
      `无法连接台账服务：${base(settings)}\n请确认服务已启动、地址正确（「设置」中的服务地址），并且本机能访问该地址。`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new ServiceError("台账服务拒绝了请求：访问令牌无效或已过期。请在「设置」中填写管理员提供的令牌。");
  }
  if (!response.ok) {
    const why = await detail(response);
    throw new ServiceError(`台账服务返回错误（${response.status}）${why ? "：" + why : "。"}`);
  }
  return response;
}

export async function postJson(settings, path, body, options) {
  const response = await post(settings, path, body, options);
  try {
    return await response.json();
  } catch {
    throw new ServiceError(`台账服务的回答无法读取（不是 JSON）：${base(settings)}${path}`);
  }
}
