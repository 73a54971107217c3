// 来电屏：每个来电一张卡片（号码、状态、住户档案），未知来电可以查找住户并关联号码。
// 卡片由 call.* 消息更新。

import { api } from "./api.js";
import { $, el, fmt, toast, OUTCOME_LABEL } from "./dom.js";
import { household } from "./household.js";

const calls = new Map();

/** 清空所有来电（退出登录）。 */
export function clearCalls() { calls.clear(); render(); }

/** 处理一个 call.* / calls.snapshot 消息；返回是否是新来电（用于提醒）。 */
export function onCallFrame(m) {
  switch (m.type) {
    case "calls.snapshot": replaceCalls(m.calls || []); return false;
    case "call.ringing":
      calls.set(m.call_id, { call_id: m.call_id, number_dialled: m.number_dialled, caller_raw: m.caller_raw, arrived_at: m.arrived_at, pop: m.pop, status: "ringing" });
      render();
      return true;
    case "call.queued": update(m.call_id, { status: "queued", queue_position: m.position }); return false;
    case "call.offered": update(m.call_id, { status: "offered", operator: m.operator }); return false;
    case "call.answered": update(m.call_id, { status: "answered", operator: m.operator, answered_at: m.at }); return false;
    case "call.ended": update(m.call_id, { status: "ended", outcome: m.outcome, duration_s: m.duration_s }); return false;
    default: return false;
  }
}

/** 换成这份来电清单（hello、calls.snapshot）；已结束的卡片留着。 */
export function replaceCalls(list) {
  for (const [id, c] of calls) if (c.status !== "ended") calls.delete(id);
  for (const c of list) calls.set(c.call_id, c);
  render();
}

/** 下班（不再值班）时去掉进行中的来电。 */
export function dropLiveCalls() {
  for (const [id, c] of calls) if (c.status !== "ended") calls.delete(id);
  render();
}

function update(id, patch) { const c = calls.get(id); if (c) { Object.assign(c, patch); render(); } }

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

function render() {
  const box = $("calls");
  box.replaceChildren();
  const list = [...calls.values()].sort((a, b) => String(a.arrived_at).localeCompare(String(b.arrived_at)));
  if (!list.length) { box.append(el("p", { class: "empty" }, "暂无来电")); return; }
  for (const c of list) box.append(card(c));
}

function card(c) {
  const number = c.caller_raw || "未显示号码";
  const head = el("div", { class: "card-head" },
    el("span", { class: "num" }, number),
    el("span", { class: "status" }, statusText(c)),
    el("span", { class: "meta" }, "拨打 " + (c.number_dialled || "") + " · 来电时间 " + fmt(c.arrived_at)),
    c.status === "ended" ? el("button", { class: "close", onclick: () => { calls.delete(c.call_id); render(); } }, "关闭") : null);
  const body = el("div", { class: "card-body" });
  const pop = c.pop || {};
  const matches = Array.isArray(pop.matches) ? pop.matches : [];
  if (!matches.length) body.append(unknownCaller(c, pop));
  else {
    if (matches.length > 1) body.append(el("p", { class: "muted" }, "该号码登记在 " + matches.length + " 户名下，请核对来电人身份。"));
    for (const h of matches) body.append(household(h));
  }
  return el("div", { class: "card " + (c.status || ""), "data-call": c.call_id }, head, body);
}

function unknownCaller(c, pop) {
  const caller = pop.caller || {};
  const withheld = caller.type === "anonymous" || !c.caller_raw;
  const box = el("div", {}, el("div", { class: "unknown" }, withheld ? "未知来电（对方未显示号码）" : "未知来电"),
    el("p", { class: "muted" }, withheld ? "可按姓名或地址查找住户。" : "该号码尚未登记。可按姓名、地址查找住户，并把此号码关联到该户。"));
  const input = el("input", { class: "q", placeholder: "输入姓名、地址或电话号码" });
  const hits = el("div", { class: "hits" });
  const go = async () => {
    hits.replaceChildren();
    try {
      const r = await api("GET", "/api/households/search?q=" + encodeURIComponent(input.value.trim()));
      if (!r.households.length) { hits.append(el("p", { class: "muted" }, "没有找到符合条件的住户")); return; }
      for (const h of r.households) {
        const msg = el("span", {}, h.address + " · " + (h.members || []).join("、") + ((h.numbers || []).length ? " · 电话 " + h.numbers.join("、") : ""));
        const btn = el("button", { class: "attach", disabled: withheld }, "关联此号码");
        btn.addEventListener("click", async () => {
          try {
            const a = await api("POST", "/api/households/" + h.id + "/numbers", { number: c.caller_raw });
            btn.disabled = true; btn.replaceWith(el("b", { class: "ok" }, "已关联 " + a.normalized));
          } catch (e) { toast(e.message); }
        });
        hits.append(el("div", { class: "hit" }, msg, btn));
      }
    } catch (e) { hits.append(el("p", { class: "err" }, e.message)); }
  };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
  box.append(el("div", { class: "search" }, input, el("button", { class: "find", onclick: go }, "查找")), hits);
  return box;
}
