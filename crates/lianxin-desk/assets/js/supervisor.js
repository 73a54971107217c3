// 督导台（督导、管理员）：值班员状态、实时通话（来电人、住户、状态、值班员、时长）、
// 排队（谁在等、等了多久、第几位）、督办预警清单，以及怎样用自己的话机监听或耳语
// （拨 55/56 + 值班员分机，号码就写在每个通话旁边）。数据都来自 WebSocket 消息
// （hello、calls.snapshot、call.*、operator.state、request.*），页面只显示；
// 时长每秒更新。督导"离开"时和管理员照样看到实时通话，但服务器不给他们住户资料
// （call.ringing 和 hello 的通话没有 pop），住户一栏显示"—"；管理员的表不设住户一栏。

import { $, el, fmt } from "./dom.js";
import { callStateOf, shownState } from "./on_call.js";
import { applyCallFrame, clearLive, householdOf, liveCalls, queuedCalls, replaceLive, since, syncClock } from "./live_calls.js";
import { clearAlarms, loadAlarms, onRequestFrame } from "./alarms.js";

/** 与服务器 lianxin-hotline 的 supervision_code 一致：55 + 分机监听，56 + 分机耳语。 */
const LISTEN = "55", WHISPER = "56";
const STATUS = { ringing: "语音导航", queued: "排队中", offered: "正在转接", answered: "通话中" };

let me = null, onDuty = false, ui = null, tick = null, pending = false;
const ops = new Map();

const watches = (staff) => staff && ["supervisor", "admin"].includes(staff.role);

/** 每个收到的消息都先经过这里（只有督导、管理员的页面才处理）。 */
export function superviseFrame(m) {
  if (m.type === "hello") {
    me = m.staff;
    if (!watches(me)) { me = null; return; }
    build();
    syncClock(m.server_time);
    onDuty = !!m.on_duty;
    replaceLive(m.calls || []);
    ops.clear();
    for (const o of m.operators || []) ops.set(o.staff_id, o);
    loadAlarms(ui.alarms);
    later();
    return;
  }
  if (!me) return;
  if (m.type === "calls.snapshot") { replaceLive(m.calls); later(); }
  else if (String(m.type).startsWith("call.")) { if (applyCallFrame(m)) later(); }
  else if (m.type === "operator.state") {
    if (m.staff_id === me.id) onDuty = m.on_duty;
    else ops.set(m.staff_id, m);
    later();
  } else if (String(m.type).startsWith("request.")) onRequestFrame(m);
}

/** 清空（退出登录）。 */
export function clearSupervisor() {
  me = null; onDuty = false; ops.clear(); clearLive(); clearAlarms();
  clearInterval(tick); tick = null; ui = null;
  const box = $("supervisor");
  if (box) box.replaceChildren();
}

function build() {
  if (ui) return;
  const part = (id, title, ...kids) => el("section", { class: "sup-block", id }, el("h3", {}, title), ...kids);
  ui = { note: el("p", { class: "muted sup-note" }), calls: el("div"), queue: el("div"), ops: el("div"), alarms: el("div"), count: el("span", { class: "muted" }) };
  $("supervisor").replaceChildren(
    part("sup-calls", el("span", {}, "实时通话 ", ui.count), ui.note, ui.calls),
    part("sup-queue", "排队等候", ui.queue),
    part("sup-ops", "值班员", ui.ops),
    part("sup-alarms", "督办预警（橙色、红色）", ui.alarms),
    part("sup-help", "监听和耳语", help()));
  tick = setInterval(ticking, 1000);
}

function help() {
  return el("div", { class: "sup-help" },
    el("p", {}, "用督导自己已注册的话机拨号，值班员的分机号写在每个通话旁边："),
    el("ul", {},
      el("li", {}, el("b", {}, "监听"), "：拨 ", el("code", {}, LISTEN + "＋分机号"), "（如分机 8001 拨 ", el("code", {}, LISTEN + "8001"), "），只听不说，双方都听不到您。"),
      el("li", {}, el("b", {}, "耳语"), "：拨 ", el("code", {}, WHISPER + "＋分机号"), "，只有值班员能听到您，来电人听不到。"),
      el("li", {}, el("b", {}, "强插"), "（三方通话）：本系统暂不支持，需要时请先耳语提醒值班员。")),
    el("p", { class: "muted" }, "只有督导账号的话机拨打有效；值班员未在通话时会听到忙音。"));
}

/** 下一轮事件循环时重画一次（一串消息只画一次）。 */
function later() {
  if (pending) return;
  pending = true;
  setTimeout(() => { pending = false; render(); }, 0);
}

const codes = (c) => c.status === "answered" && c.operator && c.operator.extension
  ? el("span", { class: "codes" }, "监听拨 ", el("code", {}, LISTEN + c.operator.extension), " · 耳语拨 ", el("code", {}, WHISPER + c.operator.extension))
  : "";

function statusText(c) {
  if (c.status === "queued") return STATUS.queued + (c.queue_position ? "（第 " + c.queue_position + " 位）" : "");
  return STATUS[c.status] || c.status || "";
}

/** 时长格：answered 从接听算，其余从来电算；每秒由 ticking 更新。 */
function duration(c) {
  const from = c.status === "answered" && c.answered_at ? c.answered_at : c.arrived_at;
  return el("span", { class: "dur", "data-since": from || "", "data-prefix": c.status === "answered" ? "通话 " : "已等 " }, (c.status === "answered" ? "通话 " : "已等 ") + since(from));
}

function render() {
  if (!ui) return;
  const calls = liveCalls();
  ui.count.textContent = "（" + calls.length + " 个）";
  const admin = me.role === "admin";
  ui.note.textContent = admin
    ? "管理员不接听来电，这里只显示通话概况，不显示来电人的住户资料。"
    : onDuty ? "" : "您现在是\u201c离开\u201d状态：通话照常显示，但不弹屏，也不显示新来电的住户资料；切换到其他状态后恢复。";
  ui.note.hidden = !ui.note.textContent;
  const head = admin ? ["来电号码", "状态", "值班员", "时长", "监听 / 耳语"] : ["来电号码", "住户", "状态", "值班员", "时长", "监听 / 耳语"];
  ui.calls.replaceChildren(calls.length ? table("sup-live", head, calls.map((c) =>
    el("tr", { "data-call": c.call_id, "data-state": c.status },
      el("td", { class: "num" }, c.caller_raw || "未显示号码"), admin ? null : el("td", { class: "household" }, householdOf(c)), el("td", { class: "state" }, statusText(c)),
      el("td", { class: "operator" }, c.operator ? c.operator.display_name + (c.operator.extension ? "（" + c.operator.extension + "）" : "") : ""),
      el("td", {}, duration(c)), el("td", {}, codes(c)))))
    : el("p", { class: "empty" }, "暂无通话"));
  const queue = queuedCalls();
  ui.queue.replaceChildren(queue.length ? table("sup-waiting", admin ? ["位次", "来电号码", "已等待"] : ["位次", "来电号码", "住户", "已等待"], queue.map((c) =>
    el("tr", { "data-call": c.call_id }, el("td", {}, c.queue_position ? "第 " + c.queue_position + " 位" : ""),
      el("td", { class: "num" }, c.caller_raw || "未显示号码"), admin ? null : el("td", {}, householdOf(c)),
      el("td", {}, el("span", { class: "dur", "data-since": c.queued_at || c.arrived_at || "", "data-prefix": "" }, since(c.queued_at || c.arrived_at))))))
    : el("p", { class: "empty" }, "没有人在排队"));
  renderOps(calls);
}

function renderOps(calls) {
  const list = [...ops.values()].sort((a, b) => a.staff_id - b.staff_id);
  if (!list.length) { ui.ops.replaceChildren(el("p", { class: "empty" }, "没有值班员在线")); return; }
  const onCall = (id) => calls.find((c) => c.operator && c.operator.staff_id === id && c.status === "answered")
    || calls.find((c) => c.operator && c.operator.staff_id === id && c.status === "offered");
  ui.ops.replaceChildren(table("sup-operators", ["值班员", "状态", "自", "当前通话"], list.map((o) => {
    const c = onCall(o.staff_id);
    return el("tr", { "data-staff": o.staff_id, "data-state": o.on_duty ? o.state : "off", "data-call-state": callStateOf(o.staff_id, calls) },
      el("td", {}, o.display_name), el("td", { class: "state" }, shownState(o, calls)), el("td", {}, fmt(o.at)),
      el("td", {}, c ? [statusText(c) + "：" + (c.caller_raw || "未显示号码") + " ", codes(c)] : ""));
  })));
}

function table(cls, head, rows) {
  return el("div", { class: "table-wrap" }, el("table", { class: "sup-table " + cls },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
}

function ticking() {
  if (!ui) return;
  for (const d of $("supervisor").querySelectorAll(".dur")) {
    const t = d.dataset.prefix + since(d.dataset.since);
    if (d.textContent !== t) d.textContent = t;
  }
}
