// 来电屏：每个来电一张卡片（号码、状态、住户档案），未知来电可以查找住户并关联号码。
// call.* 消息只改变卡片上变了的部分（状态、关闭按钮），卡片主体（档案、值班员正在输入的
// 查找和结果）只在来电时建一次，所以排队等消息不会打断值班员的操作。

import { api } from "./api.js";
import { $, el, fmt, toast, OUTCOME_LABEL } from "./dom.js";
import { household, householdSummary, unitCard } from "./household.js";
import { callRequest } from "./call_request.js";
import { householdSearch } from "./household_search.js";

/** call_id → { c: 来电资料, node: 卡片元素 } */
const calls = new Map();

/** 清空所有来电（退出登录）。 */
export function clearCalls() { calls.clear(); $("calls").replaceChildren(); placeholder(); }

/** 处理一个 call.* / calls.snapshot 消息；返回是否是新来电（用于提醒）。 */
export function onCallFrame(m) {
  switch (m.type) {
    case "calls.snapshot": replaceCalls(m.calls || []); return false;
    case "call.ringing":
      upsert({ call_id: m.call_id, number_dialled: m.number_dialled, caller_raw: m.caller_raw, arrived_at: m.arrived_at, pop: m.pop, status: "ringing" });
      return true;
    case "call.queued": update(m.call_id, { status: "queued", queue_position: m.position }); return false;
    case "call.offered": update(m.call_id, { status: "offered", operator: m.operator }); return false;
    case "call.answered": update(m.call_id, { status: "answered", operator: m.operator, answered_at: m.at }); return false;
    case "call.ended": update(m.call_id, { status: "ended", outcome: m.outcome, duration_s: m.duration_s }); return false;
    default: return false;
  }
}

/** 换成这份来电清单（hello、calls.snapshot）；已结束的卡片留着，仍在的来电保留原卡片。 */
export function replaceCalls(list) {
  const keep = new Set(list.map((c) => c.call_id));
  for (const [id, x] of calls) if (x.c.status !== "ended" && !keep.has(id)) remove(id);
  for (const c of list) upsert(c);
}

/** 页面上的来电（含已结束的），供推出值班员自己是否在通话。 */
export function currentCalls() { return [...calls.values()].map((x) => x.c); }

/** 下班（不再值班）时去掉进行中的来电。 */
export function dropLiveCalls() {
  for (const [id, x] of calls) if (x.c.status !== "ended") remove(id);
}

function placeholder() {
  const box = $("calls");
  const empty = box.querySelector(":scope > .empty");
  if (!calls.size && !empty) box.append(el("p", { class: "empty" }, "暂无来电"));
  if (calls.size && empty) empty.remove();
}

function remove(id) {
  const x = calls.get(id);
  if (x) { x.node.remove(); calls.delete(id); }
  placeholder();
}

function upsert(c) {
  const x = calls.get(c.call_id);
  if (x) { update(c.call_id, Object.assign({}, c, { pop: x.c.pop })); return; }
  const node = card(c);
  calls.set(c.call_id, { c, node });
  // 按来电时间排：放在第一张更晚来的卡片前面。
  const later = [...calls.values()].filter((y) => y.node !== node && String(y.c.arrived_at) > String(c.arrived_at)).map((y) => y.node);
  const before = [...$("calls").children].find((n) => later.includes(n));
  $("calls").insertBefore(node, before || null);
  placeholder();
}

function update(id, patch) {
  const x = calls.get(id);
  if (!x) return;
  Object.assign(x.c, patch);
  const c = x.c;
  x.node.className = "card " + (c.status || "");
  x.node.querySelector(".status").textContent = statusText(c);
  const head = x.node.querySelector(".card-head");
  if (c.status === "ended" && !head.querySelector(".close")) {
    head.append(el("button", { class: "close", onclick: () => remove(c.call_id) }, "关闭"));
  }
}

function statusText(c) {
  switch (c.status) {
    case "ringing": return "振铃中";
    case "queued": return "排队中" + (c.queue_position ? "（第 " + c.queue_position + " 位）" : "");
    case "offered": return "正在转接：" + (c.operator ? c.operator.display_name : "");
    case "answered": return "通话中：" + (c.operator ? c.operator.display_name : "");
    case "ended": return "已结束（" + (OUTCOME_LABEL[c.outcome] || c.outcome || "") + "，" + (c.duration_s || 0) + " 秒）";
    default: return c.status || "";
  }
}

function card(c) {
  const head = el("div", { class: "card-head" },
    el("span", { class: "num" }, c.caller_raw || "未显示号码"),
    el("span", { class: "status" }, statusText(c)),
    el("span", { class: "meta" }, "拨打 " + (c.number_dialled || "") + " · 来电时间 " + fmt(c.arrived_at)));
  const body = el("div", { class: "card-body" });
  const pop = c.pop || {};
  const matches = Array.isArray(pop.matches) ? pop.matches : [];
  const units = Array.isArray(pop.units) ? pop.units : [];
  for (const u of units) body.append(unitCard(u));
  if (!matches.length && !units.length) body.append(unknownCaller(c, pop));
  if (!matches.length) body.append(callRequest(c, null));
  else {
    if (matches.length > 1) body.append(el("p", { class: "muted" }, "该号码登记在 " + matches.length + " 户名下，请核对来电人身份。"));
    for (const h of matches) body.append(household(h), callRequest(c, h));
  }
  const node = el("div", { class: "card " + (c.status || ""), "data-call": c.call_id }, head, body);
  if (c.status === "ended") head.append(el("button", { class: "close", onclick: () => remove(c.call_id) }, "关闭"));
  return node;
}

function unknownCaller(c, pop) {
  const caller = pop.caller || {};
  const withheld = caller.type === "anonymous" || !c.caller_raw;
  const title = el("div", {}, el("div", { class: "unknown" }, withheld ? "未知来电（对方未显示号码）" : "未知来电"),
    el("p", { class: "muted" }, withheld ? "可按姓名或地址查找住户。" : "该号码尚未登记。可按姓名、地址查找住户，并把此号码关联到该户。"));
  const attach = async (h, btn) => {
    const buttons = () => search.querySelectorAll(".hits button.attach");
    for (const b of buttons()) b.disabled = true;
    try {
      const a = await api("POST", "/api/households/" + h.id + "/numbers", { number: c.caller_raw });
      btn.replaceWith(el("b", { class: "ok" }, "已关联 " + a.normalized));
      title.replaceWith(el("div", { class: "attached" },
        el("p", { class: "ok" }, "已关联：号码 " + a.normalized + " 已登记到此户，下次来电将直接弹出档案。"),
        householdSummary(h)));
      search.lock();
      // 还没登记诉求时，登记区换成这一户的（诉求记在住户名下）。
      const reqBox = search.closest(".card-body").querySelector(":scope > .call-request");
      if (reqBox && !reqBox.querySelector(".created li")) reqBox.replaceWith(callRequest(c, { household_id: h.id, address: h.address, members: [] }));
    } catch (e) {
      toast(e.message);
      for (const b of buttons()) b.disabled = withheld;
    }
  };
  const search = householdSearch("关联此号码", attach, "输入姓名、地址或电话号码", { pickClass: "attach", disabled: withheld });
  return el("div", { class: "unknown-caller" }, title, search);
}
