// 与服务器的 HTTP 接口（docs/desk-protocol.md）：登录令牌只放在 Authorization 请求头里，
// 从不进网址。令牌存在 sessionStorage（关掉标签页即失效）。

const KEY = "lianxin.token";
let token = sessionStorage.getItem(KEY);
let onExpired = () => {};

export function currentToken() { return token; }
export function setToken(t) {
  token = t;
  if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY);
}
/** 会话失效（401）时调用的函数，由主模块设置（回到登录页）。 */
export function whenExpired(f) { onExpired = f; }

function failure(status, data) {
  const err = new Error((data && data.error) || ("请求失败（" + status + "）"));
  err.field = data && data.field;
  err.status = status;
  err.data = data;
  return err;
}

/** 发一个 JSON 请求；出错时抛出带 field 和 status 的 Error（信息为中文）。 */
export async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers["Authorization"] = "Bearer " + token;
  let r;
  try { r = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined }); }
  catch (e) { const err = new Error("无法连接服务器，请检查网络"); err.field = "other"; throw err; }
  let data = null;
  try { data = await r.json(); } catch (e) { /* 无内容 */ }
  if (!r.ok) {
    if (r.status === 401 && path !== "/api/login") onExpired("登录已过期，请重新登录");
    throw failure(r.status, data);
  }
  return data;
}

/** 带令牌取回一个二进制文件（录音），返回 Blob。 */
export async function fetchBlob(path) {
  let r;
  try { r = await fetch(path, { headers: { "Authorization": "Bearer " + token } }); }
  catch (e) { const err = new Error("无法连接服务器，请检查网络"); throw err; }
  if (r.status === 401) { onExpired("登录已过期，请重新登录"); throw failure(401, null); }
  if (!r.ok) {
    let d = null;
    try { d = await r.json(); } catch (e) { /* 无内容 */ }
    throw failure(r.status, d);
  }
  return r.blob();
}

/** 上传一个文件（原样作为请求体），返回 JSON 应答。 */
export async function upload(method, path, file) {
  let r;
  try { r = await fetch(path, { method, headers: { "Authorization": "Bearer " + token }, body: file }); }
  catch (e) { const err = new Error("无法连接服务器，请检查网络"); err.field = "other"; throw err; }
  let data = null;
  try { data = await r.json(); } catch (e) { /* 无内容 */ }
  if (!r.ok) {
    if (r.status === 401) onExpired("登录已过期，请重新登录");
    throw failure(r.status, data);
  }
  return data;
}
