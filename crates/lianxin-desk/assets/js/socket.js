// 控制台的 WebSocket：先用登录令牌换一张一次性票据（令牌不进网址），断线后按
// 1、2、4…15 秒重连；会话失效（401）时不再重连。收到的每一帧交给 onFrame。

import { api } from "./api.js";
import { $, toast } from "./dom.js";

let ws = null, retry = 0, retryTimer = null, onFrame = () => {}, stopped = true;

function setConn(ok, text) {
  const c = $("conn");
  c.hidden = false;
  c.textContent = text;
  c.classList.toggle("bad", !ok);
}

/** 开始连接；handler 收到每一个解析后的消息。 */
export function connect(handler) {
  onFrame = handler;
  stopped = false;
  open();
}

/** 断开且不再重连（退出登录）。 */
export function disconnect() {
  stopped = true;
  clearTimeout(retryTimer);
  if (ws) { ws.onclose = null; ws.close(); ws = null; }
  $("conn").hidden = true;
}

/** 发一个命令；未连接时提示。 */
export function send(msg) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(Object.assign({ v: 1 }, msg)));
  else toast("与服务器的连接已中断，正在重连…");
}

function later() {
  if (stopped) return;
  retryTimer = setTimeout(open, Math.min(15000, 1000 * Math.pow(2, retry++)));
}

async function open() {
  if (stopped) return;
  setConn(false, "正在连接…");
  let ticket;
  try { ticket = (await api("POST", "/api/ticket")).ticket; }
  catch (e) { if (e.status !== 401) later(); return; }
  if (stopped) return;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws?ticket=" + encodeURIComponent(ticket);
  const sock = new WebSocket(url);
  ws = sock;
  sock.onopen = () => { retry = 0; setConn(true, "已连接"); };
  sock.onmessage = (ev) => { let m; try { m = JSON.parse(ev.data); } catch (e) { return; } onFrame(m); };
  sock.onclose = async () => {
    if (ws === sock) ws = null;
    if (stopped) return;
    setConn(false, "连接中断，正在重连…");
    // 会话失效时回到登录页，否则稍后重连。
    try { await api("GET", "/api/session"); } catch (e) { if (e.status === 401) return; }
    later();
  };
}
