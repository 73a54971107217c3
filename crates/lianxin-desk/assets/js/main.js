// 值班台入口：恢复会话或显示登录表单，登录后按角色打开各屏并连上 WebSocket，
// 把收到的消息分给各屏；退出时关掉连接并清空屏幕上的住户资料。

import { api, currentToken, setToken, whenExpired } from "./api.js";
import { $, ROLE_LABEL, toast } from "./dom.js";
import { showLoginForm, wireLogin } from "./login.js";
import { connect, disconnect, send } from "./socket.js";
import { onCallFrame, replaceCalls, dropLiveCalls } from "./calls.js";
import { loadVoiceMessages, addVoiceMessage } from "./voicemail.js";
import { onOperatorState } from "./operators.js";

let me = null;
const TITLE = document.title;

function showLogin(msg) {
  setToken(null);
  me = null;
  disconnect();
  $("desk").hidden = true; $("states").hidden = true; $("logout").hidden = true;
  $("who").textContent = "";
  showLoginForm(msg);
}

function startDesk(staff) {
  me = staff;
  $("login").hidden = true; $("desk").hidden = false; $("logout").hidden = false;
  $("who").textContent = staff.display_name + "（" + (ROLE_LABEL[staff.role] || staff.role) + (staff.extension ? "，分机 " + staff.extension : "") + "）";
  $("states").hidden = !["operator", "supervisor"].includes(staff.role);
  $("ops").hidden = !["supervisor", "admin"].includes(staff.role);
  loadVoiceMessages();
  connect(handle);
}

function showState(state, onDuty) {
  for (const b of document.querySelectorAll("#states button")) b.classList.toggle("on", b.dataset.state === state);
  $("duty").textContent = onDuty ? "（值班中，来电会弹屏）" : "（未值班，不接收弹屏）";
}

let flashTimer = null;
function flashTitle() {
  let n = 6;
  clearInterval(flashTimer);
  flashTimer = setInterval(() => { document.title = (n % 2 ? "【来电】" : "") + TITLE; if (--n < 0) clearInterval(flashTimer); }, 600);
}

function handle(m) {
  switch (m.type) {
    case "hello":
      me = m.staff; showState(m.state, m.on_duty);
      replaceCalls(m.calls || []);
      break;
    case "voicemail.new": addVoiceMessage(m.voice_message, true); break;
    case "operator.state":
      onOperatorState(m);
      if (me && m.staff_id === me.id) {
        showState(m.state, m.on_duty);
        if (!m.on_duty) dropLiveCalls();
      }
      break;
    case "error": toast(m.message || "操作失败"); break;
    default:
      if (m.type === "calls.snapshot" || String(m.type).startsWith("call.")) { if (onCallFrame(m)) flashTitle(); }
      break; // pong 以及以后版本的新消息
  }
}

for (const b of document.querySelectorAll("#states button")) {
  b.addEventListener("click", () => send({ type: "state.set", state: b.dataset.state }));
}
$("logout").addEventListener("click", async () => {
  try { await api("POST", "/api/logout"); } catch (e) { /* 无论如何都退出 */ }
  showLogin("已退出");
});
whenExpired(showLogin);
wireLogin(startDesk);

(async () => {
  if (!currentToken()) return showLogin();
  try { const r = await api("GET", "/api/session"); startDesk(r.staff); } catch (e) { showLogin(); }
})();
