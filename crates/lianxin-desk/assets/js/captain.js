// 包片工作台（包片主任）：本片住户（查找只在本片区内）、本片未办结的诉求（实时更新）、
// 待回访的诉求（自动回访没联系上）、民生信号灯的待走访住户、记录走访（住户、时间、情况、走访中提出的诉求）、走访记录和
// 工作日志。接口见 docs/desk-protocol.md §10.8。

import { api } from "./api.js";
import { $, el, fmt, toast } from "./dom.js";
import { clearErrors, errorSlot, showError } from "./form_errors.js";
import { household } from "./household.js";
import { householdSearch } from "./household_search.js";
import { requestForm } from "./request_form.js";
import { badge, category, minute, urgency, STAGE_LABEL } from "./request_labels.js";
import { onRequestChange } from "./requests.js";
import { showRequest } from "./request_detail.js";

export const FREQUENCY_LABEL = { weekly: "每周", monthly: "每月", quarterly: "每季度" };
const KIND_LABEL = { meeting: "会议", activity: "活动", other: "其他" };

let me = null;
const open = new Map();

/** 打开工作台（每次打开都重新载入各栏）。 */
export function openCaptain(staff) {
  me = staff;
  const box = $("captain");
  const card = el("div", { id: "captain-household" });
  box.replaceChildren(el("div", { class: "captain-grid" },
    el("section", { class: "captain-box", id: "captain-search" }, el("h3", {}, "本片住户"),
      householdSearch("查看", (h) => showHousehold(card, h.id), "姓名、地址、户号或电话（只查本片区）"), card),
    el("div", { class: "captain-side" },
      el("section", { class: "captain-box", id: "captain-requests" }, el("h3", {}, "本片未办结的诉求"), el("ul", { id: "captain-open" })),
      el("section", { class: "captain-box", id: "captain-return" }, el("h3", {}, "待回访（自动回访未联系上）"), el("ul", { id: "captain-return-list" })),
      el("section", { class: "captain-box", id: "captain-due" }, el("h3", {}, "待走访（民生信号灯）"), el("ul", { id: "captain-due-list" })),
      el("section", { class: "captain-box", id: "captain-visits" }, el("h3", {}, "走访记录（近 30 天）"), el("ul", { id: "captain-visit-log" })),
      el("section", { class: "captain-box", id: "captain-worklog" }, el("h3", {}, "工作日志"), workForm(), el("ul", { id: "captain-work-log" })))));
  loadOpen(); loadReturnVisits(); loadDue(); loadVisits(); loadWork();
}

/** 清空（退出登录）。 */
export function clearCaptain() { me = null; open.clear(); $("captain").replaceChildren(); }

onRequestChange((r) => {
  const list = $("captain-open");
  if (!list || !me) return;
  if (r.open) open.set(r.id, r); else open.delete(r.id);
  const old = list.querySelector('li[data-request="' + r.id + '"]');
  if (old) old.remove();
  if (!r.open) return;
  const after = [...open.values()].filter((x) => x.id !== r.id && urgency(r, x) < 0).map((x) => x.id);
  const before = [...list.children].find((n) => after.includes(Number(n.dataset.request)));
  list.insertBefore(requestItem(r), before || null);
});

function fail(box, e) { if (e.status !== 401) box.replaceChildren(el("li", { class: "err" }, e.message)); }

async function loadOpen() {
  const list = $("captain-open");
  try {
    const r = await api("GET", "/api/requests?open=true&limit=300");
    open.clear();
    for (const x of r.requests) open.set(x.id, x);
    list.replaceChildren(...[...open.values()].sort(urgency).map(requestItem));
    if (!open.size) list.append(el("li", { class: "empty" }, "本片没有未办结的诉求"));
  } catch (e) { fail(list, e); }
}

function requestItem(r) {
  const li = el("li", { "data-request": r.id, class: "clickable" }, badge(r.alarm), "第 " + r.id + " 号 " + category(r) + "：" + r.content,
    el("div", { class: "muted" }, (r.address || r.caller_name || "") + " · " + (STAGE_LABEL[r.stage] || r.stage) + " · 期限 " + minute(r.deadline_at)));
  li.addEventListener("click", () => { document.querySelector('#tabs button[data-screen="requests-screen"]').click(); showRequest(r.id, me); });
  return li;
}

/** 已办结、还没有回访结果的诉求（自动回访没打通或没按键）：打电话或上门问过后在详情里登记回访。 */
async function loadReturnVisits() {
  const list = $("captain-return-list");
  try {
    const r = await api("GET", "/api/requests?return_visit=due&limit=50");
    list.replaceChildren(...r.requests.map((x) => {
      const li = requestItem(x);
      li.append(el("div", { class: "muted" }, "办理结果：" + (x.result || "") + (x.feedback_result === "not_reached" ? "（未联系上）" : "")));
      return li;
    }));
    if (!r.requests.length) list.append(el("li", { class: "empty" }, "没有待回访的诉求"));
  } catch (e) { fail(list, e); }
}

async function loadDue() {
  const list = $("captain-due-list");
  try {
    const r = await api("GET", "/api/visits/due");
    list.replaceChildren(...r.visits_due.map((d) => {
      const btn = el("button", { type: "button", class: "record-visit" }, "记录走访");
      btn.addEventListener("click", async () => {
        const card = $("captain-household");
        await showHousehold(card, d.household_id);
        card.scrollIntoView({ block: "start" });
      });
      return el("li", { class: "due-row", "data-household": d.household_id },
        el("span", {}, d.address + "（" + (FREQUENCY_LABEL[d.frequency] || d.frequency) + "走访，" + (d.last_visit ? "上次 " + fmt(d.last_visit) : "从未走访") + "）"), btn);
    }));
    if (!r.visits_due.length) list.append(el("li", { class: "empty" }, "没有到期要走访的住户"));
  } catch (e) { fail(list, e); }
}

async function loadVisits() {
  const list = $("captain-visit-log");
  try {
    const r = await api("GET", "/api/visits?days=30");
    list.replaceChildren(...r.visits.map((v) => el("li", { "data-visit": v.id },
      el("b", {}, fmt(v.visited_at)), " " + v.address, v.notes ? el("div", {}, v.notes) : null,
      v.request_ids.length ? el("div", { class: "muted" }, "提出诉求：第 " + v.request_ids.join("、") + " 号") : null)));
    if (!r.visits.length) list.append(el("li", { class: "empty" }, "近 30 天没有走访记录"));
  } catch (e) { fail(list, e); }
}

async function loadWork() {
  const list = $("captain-work-log");
  try {
    const r = await api("GET", "/api/work-log?days=30");
    list.replaceChildren(...r.entries.slice().reverse().map((w) => el("li", { "data-entry": w.id },
      el("b", {}, fmt(w.at)), " [" + (KIND_LABEL[w.kind] || w.kind) + "] " + w.text)));
    if (!r.entries.length) list.append(el("li", { class: "empty" }, "近 30 天没有工作日志"));
  } catch (e) { fail(list, e); }
}

const err = errorSlot;

function workForm() {
  const kind = el("select", { name: "kind" }, Object.entries(KIND_LABEL).map(([k, t]) => el("option", { value: k }, t)));
  const text = el("textarea", { name: "text", rows: "2", maxlength: "2000", placeholder: "今天的会议、活动等工作内容" });
  const form = el("form", { class: "work-form", novalidate: "" }, el("label", {}, "类别 ", kind), err("kind"), text, err("text"), err("at"), err("other"),
    el("button", { type: "submit" }, "记入工作日志"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("POST", "/api/work-log", { kind: kind.value, text: text.value.trim() });
      text.value = "";
      toast("已记入工作日志");
      loadWork();
    } catch (e) { if (e.status !== 401) showError(form, e); }
  });
  return form;
}

/** 在工作台上显示一户的档案、走访频率、记录走访和登记诉求。 */
async function showHousehold(box, id) {
  box.replaceChildren(el("p", { class: "muted" }, "正在载入…"));
  let card, reqs, visits;
  try {
    card = (await api("GET", "/api/households/" + id)).household;
    reqs = (await api("GET", "/api/requests?open=true&household=" + id)).requests;
    visits = await api("GET", "/api/visits?household=" + id);
  } catch (e) { if (e.status !== 401) box.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  const past = visits.visits.length ? el("ul", { class: "history" }, visits.visits.slice(0, 5).map((v) => el("li", {}, fmt(v.visited_at) + " " + (v.notes || "")))) : el("p", { class: "muted" }, "还没有走访记录");
  box.replaceChildren(el("div", { class: "captain-card", "data-household": id }, household(card),
    el("h3", {}, "最近走访"), past, frequencyForm(card, visits.frequency), visitForm(card, reqs)));
}

function frequencyForm(card, current) {
  const sel = el("select", { name: "frequency" }, el("option", { value: "" }, "不定期"),
    Object.entries(FREQUENCY_LABEL).map(([k, t]) => el("option", { value: k, selected: current === k ? "" : null }, t)));
  const form = el("form", { class: "frequency-form", novalidate: "" }, el("label", {}, "走访频率（民生信号灯） ", sel), err("frequency"), err("other"),
    el("button", { type: "submit" }, "保存频率"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("PUT", "/api/households/" + card.household_id + "/visit-frequency", { frequency: sel.value || null });
      toast("走访频率已保存");
      loadDue();
    } catch (e) { if (e.status !== 401) showError(form, e); }
  });
  return form;
}

function visitForm(card, reqs) {
  const when = el("input", { type: "datetime-local", name: "visited_at", value: new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 16) });
  const notes = el("textarea", { name: "notes", rows: "3", maxlength: "2000", placeholder: "走访情况：见到谁、反映了什么" });
  const raised = el("div", { class: "raised" });
  const tick = (r, checked) => raised.append(el("label", { class: "check" }, el("input", { type: "checkbox", name: "request_ids", value: r.id, checked: checked ? "" : null }),
    " ", badge(r.alarm), "第 " + r.id + " 号 " + category(r) + "：" + r.content));
  for (const r of reqs) tick(r, false);
  const extra = el("div");
  const newReq = el("button", { type: "button", class: "new-request" }, "走访中登记诉求");
  newReq.addEventListener("click", () => {
    const f = requestForm({ household: card, channel: "visit", title: "走访中登记诉求", onCreated: (r) => { tick(r, true); f.remove(); newReq.hidden = false; toast("诉求已登记（第 " + r.id + " 号）"); } });
    newReq.hidden = true;
    extra.append(f);
  });
  const form = el("form", { class: "visit-form", novalidate: "" }, el("h3", {}, "记录走访"),
    el("label", {}, "走访时间 ", when), err("visited_at"), notes, err("notes"),
    el("div", { class: "muted" }, "走访中提出的诉求（勾选）："), raised, err("request_ids"), err("household_id"), err("other"),
    el("button", { type: "submit", class: "primary" }, "保存走访记录"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const ids = [...form.querySelectorAll('input[name="request_ids"]:checked')].map((x) => Number(x.value));
    const body = { household_id: card.household_id, notes: notes.value.trim(), request_ids: ids };
    if (when.value) body.visited_at = when.value + ":00+08:00";
    try {
      await api("POST", "/api/visits", body);
      toast("走访记录已保存");
      form.replaceWith(el("p", { class: "ok visit-saved" }, "已记录 " + card.address + " 的走访"));
      loadDue(); loadVisits();
    } catch (e) { if (e.status !== 401) showError(form, e); }
  });
  return el("div", {}, form, newReq, extra);
}
