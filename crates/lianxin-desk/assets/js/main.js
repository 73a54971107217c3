// 值班台入口：恢复会话或显示登录表单，登录后按角色打开各屏并连上 WebSocket，
// 把收到的消息分给各屏；退出时关掉连接并清空屏幕上的住户资料。

import { api, currentToken, setToken, whenExpired } from "./api.js";
import { $, ROLE_LABEL, toast } from "./dom.js";
import { showLoginForm, wireLogin } from "./login.js";
import { connect, disconnect, send } from "./socket.js";
import { onCallFrame, replaceCalls, dropLiveCalls, clearCalls, currentCalls } from "./calls.js";
import { loadVoiceMessages, addVoiceMessage, clearVoiceMessages } from "./voicemail.js";
import { onOperatorState, clearOperators, refreshOperators } from "./operators.js";
import { callStateOf, CALL_STATE_LABEL } from "./on_call.js";
import { openCampaigns, onCampaignMessage, showRunning, clearCampaigns } from "./campaigns.js";
import { openFollowUps, clearFollowUps } from "./followups.js";
import { openImport, clearImport } from "./import.js";
import { openAdmin, clearAdmin } from "./admin.js";
import { ring } from "./ring.js";
import { openStats, clearStats } from "./stats.js";
import { superviseFrame, clearSupervisor } from "./supervisor.js";
import { startRequests, openRequestList, onRequestFrame, clearRequests } from "./requests.js";
import { openWalkIn, clearWalkIn } from "./walkin.js";
import { openCaptain, clearCaptain } from "./captain.js";
import { openUnits, clearUnits } from "./units.js";
import { forgetCategories } from "./request_form.js";

let me = null;
/** 自己是否值班（hello、operator.state）：只有值班时 call.* 才弹出来电卡片、响铃。 */
let onDuty = false;
const APP = "连心社区热线";
/** 登录后页面的名称，按角色。 */
const DESK_NAME = { operator: "值班台", captain: "包片工作台", committee: "居委会工作台", supervisor: "督导台", admin: "管理台" };
let title = APP;
const takesCalls = (role) => ["operator", "supervisor"].includes(role);
const runsCampaigns = (role) => ["captain", "committee", "supervisor", "admin"].includes(role);
const readsStats = (role) => ["captain", "committee", "supervisor", "admin"].includes(role);

/** 显示一个屏（有几个屏时上方有切换按钮）。 */
function showScreen(id) {
  for (const s of document.querySelectorAll("#desk .screen")) s.hidden = s.id !== id;
  if (id === "followup-screen") openFollowUps();
  if (id === "stats-screen") openStats(me);
  if (id === "requests-screen") openRequestList();
  if (id === "walkin-screen") openWalkIn();
  if (id === "captain-screen") openCaptain(me);
  if (id === "units-screen") openUnits();
  if (id === "import-screen") openImport();
  if (id === "admin-screen") openAdmin();
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.screen === id);
}

function setTitle(t) {
  title = t;
  document.title = t;
  $("app-title").textContent = t;
}

/** 回到登录表单：断开连接，清掉屏幕上的一切住户资料。 */
function showLogin(msg) {
  setToken(null);
  me = null; onDuty = false;
  disconnect();
  clearInterval(flashTimer);
  $("desk").hidden = true; $("states").hidden = true; $("logout").hidden = true;
  $("who").textContent = ""; $("duty").textContent = "";
  clearCalls(); clearVoiceMessages(); clearOperators(); clearCampaigns(); clearFollowUps(); clearStats(); clearSupervisor();
  clearRequests(); clearWalkIn(); clearCaptain(); clearUnits(); forgetCategories(); clearImport(); clearAdmin();
  $("tabs").hidden = true;
  for (const x of document.querySelectorAll("#desk .screen")) x.hidden = true;
  setTitle(APP);
  showLoginForm(msg);
}

function startDesk(staff) {
  me = staff;
  setTitle(APP + " · " + (DESK_NAME[staff.role] || "工作台"));
  $("login").hidden = true; $("desk").hidden = false; $("logout").hidden = false;
  $("who").textContent = staff.display_name + "（" + (ROLE_LABEL[staff.role] || staff.role) + (staff.extension ? "，分机 " + staff.extension : "") + "）";
  const calls = takesCalls(staff.role), campaigns = runsCampaigns(staff.role);
  const watches = ["supervisor", "admin"].includes(staff.role);
  $("states").hidden = !calls;
  $("vm-section").hidden = !calls;
  $("ops").hidden = !watches;
  $("desk").classList.toggle("single", !calls && !watches);
  const screens = [staff.role === "admin" ? "admin-screen" : null, calls ? "calls-screen" : null, campaigns ? "campaign-screen" : null, campaigns ? "followup-screen" : null].filter(Boolean);
  if (staff.role === "admin") screens.push("import-screen"); // 住户名册导入、导出：只有管理员
  // 包片主任先看回访名单。
  if (staff.role === "captain") screens.unshift(screens.pop());
  if (readsStats(staff.role)) screens.push("stats-screen");
  // 督导先看督导台；管理员也有督导台。
  if (staff.role === "supervisor") screens.unshift("supervisor-screen");
  if (staff.role === "admin") screens.push("supervisor-screen");
  // 诉求、来访登记（值班员、居委会）、包片工作台（包片主任）、驻区单位。
  screens.push("requests-screen");
  if (["operator", "committee"].includes(staff.role)) screens.push("walkin-screen");
  if (staff.role === "captain") screens.splice(1, 0, "captain-screen");
  screens.push("units-screen");
  startRequests(staff);
  for (const b of document.querySelectorAll("#tabs button")) b.hidden = !screens.includes(b.dataset.screen);
  $("tabs").hidden = screens.length < 2;
  showScreen(screens[0] || "calls-screen");
  if (calls) loadVoiceMessages();
  if (campaigns) openCampaigns();
  connect(handle);
}

function showState(state, duty) {
  onDuty = !!duty;
  for (const b of document.querySelectorAll("#states button")) b.classList.toggle("on", b.dataset.state === state);
  showDuty();
}

/** 页头的值班说明；在通话时先说通话中、振铃中（选的状态不会因接电话而变）。 */
function showDuty() {
  const call = me ? callStateOf(me.id, currentCalls()) : null;
  const duty = onDuty ? "值班中，来电会弹屏" : "未值班，不接收弹屏";
  $("duty").textContent = "（" + (call ? CALL_STATE_LABEL[call] + " · " : "") + duty + "）";
  if (call) $("duty").dataset.callState = call; else delete $("duty").dataset.callState;
}

let flashTimer = null;
function flashTitle() {
  let n = 6;
  clearInterval(flashTimer);
  flashTimer = setInterval(() => { document.title = (n % 2 ? "【来电】" : "") + title; if (--n < 0) clearInterval(flashTimer); }, 600);
}

function handle(m) {
  superviseFrame(m);
  switch (m.type) {
    case "hello":
      me = m.staff; showState(m.state, m.on_duty);
      replaceCalls(m.on_duty ? m.calls || [] : []); // 不值班的督导、管理员只在督导台看通话
      showDuty();
      if (Array.isArray(m.operators)) { clearOperators(); for (const o of m.operators) onOperatorState(o); }
      if (Array.isArray(m.campaigns)) showRunning(m.campaigns);
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
      if (m.type === "calls.snapshot" || String(m.type).startsWith("call.")) {
        if (onDuty && onCallFrame(m)) { flashTitle(); ring(); }
        refreshOperators(); showDuty();
      }
      else if (String(m.type).startsWith("campaign.")) onCampaignMessage(m);
      else if (String(m.type).startsWith("request.")) onRequestFrame(m);
      break; // pong 以及以后版本的新消息
  }
}

for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showScreen(b.dataset.screen));
for (const b of document.querySelectorAll("#states button")) {
  b.addEventListener("click", () => send({ type: "state.set", state: b.dataset.state }));
}
$("logout").addEventListener("click", async () => {
  // 先断开：服务器在退出时关闭连接，断线后的会话检查（401）就不必发了。
  disconnect();
  try { await api("POST", "/api/logout"); } catch (e) { /* 无论如何都退出 */ }
  showLogin("已退出");
});
whenExpired(showLogin);
wireLogin(startDesk);

(async () => {
  if (!currentToken()) return showLogin();
  try { const r = await api("GET", "/api/session"); startDesk(r.staff); } catch (e) { showLogin(); }
})();
