// 诉求屏：我的任务（我负责的）、全部、告警（督导和管理员：橙色和红色的），先按颜色（红、橙、
// 绿）再按期限排；筛选（只看未办结、阶段、类别）。request.created / updated / alarm 消息只
// 换掉变了的那一行（或按筛选条件加上、去掉它）。点一行在右侧看详情。

import { api } from "./api.js";
import { $, el, toast } from "./dom.js";
import { STAGE_LABEL, badge, category, requester, minute, urgency } from "./request_labels.js";
import { loadCategories } from "./request_form.js";
import { showRequest, refreshRequest, clearRequest } from "./request_detail.js";

let me = null;
const view = { list: "mine", open: true, stage: "", category: "" };
/** id → 诉求（当前列表里的）。 */
const shown = new Map();
/** 其他屏（包片工作台）也想知道诉求的变化。 */
const listeners = [];

/** 登记一个收听 request.* 变化的函数（收到变化后的诉求）。 */
export function onRequestChange(f) { listeners.push(f); }

/** 登录后准备好这个屏（staff：登录的工作人员）。 */
export function startRequests(staff) {
  me = staff;
  view.list = "mine"; view.open = true; view.stage = ""; view.category = "";
  buildFilters();
}

/** 退出登录：清空。 */
export function clearRequests() {
  me = null; shown.clear();
  $("requests-filters").replaceChildren(); $("requests-list").replaceChildren();
  clearRequest();
}

function watches() { return me && ["supervisor", "admin"].includes(me.role); }

function buildFilters() {
  const box = $("requests-filters");
  const lists = [["mine", "我的任务"], ["all", "全部诉求"]];
  if (watches()) lists.push(["alarm", "告警（橙、红）"]);
  const tabs = el("div", { class: "list-tabs" }, lists.map(([k, t]) => {
    const b = el("button", { type: "button", "data-list": k, class: k === view.list ? "on" : "" }, t);
    b.addEventListener("click", () => { view.list = k; for (const x of tabs.children) x.classList.toggle("on", x === b); openRequestList(); });
    return b;
  }));
  const open = el("input", { type: "checkbox", name: "open" });
  open.checked = view.open;
  open.addEventListener("change", () => { view.open = open.checked; openRequestList(); });
  const stage = el("select", { name: "stage" }, el("option", { value: "" }, "全部阶段"), Object.entries(STAGE_LABEL).map(([k, t]) => el("option", { value: k }, t)));
  stage.addEventListener("change", () => { view.stage = stage.value; openRequestList(); });
  const cat = el("select", { name: "category" }, el("option", { value: "" }, "全部类别"));
  loadCategories().then((list) => {
    for (const item of [...new Set(list.map((c) => c.item))]) cat.append(el("option", { value: item }, item));
  }).catch(() => {});
  cat.addEventListener("change", () => { view.category = cat.value; openRequestList(); });
  box.replaceChildren(tabs, el("div", { class: "filters" }, el("label", {}, open, " 只看未办结"), stage, cat,
    el("button", { type: "button", class: "reload", onclick: () => openRequestList() }, "刷新")));
}

function query() {
  const q = new URLSearchParams();
  if (view.list === "mine") q.set("mine", "true");
  if (view.list === "alarm") q.set("alarm", "orange,red");
  else if (view.open) q.set("open", "true");
  if (view.stage) q.set("stage", view.stage);
  if (view.category) q.set("category", view.category);
  q.set("limit", "300");
  return q.toString();
}

/** 这条诉求是否符合当前的列表和筛选条件。 */
function fits(r) {
  if (view.list === "mine" && r.responsible_staff_id !== (me && me.id)) return false;
  if (view.list === "alarm" && !(r.open && ["orange", "red"].includes(r.alarm))) return false;
  if (view.list !== "alarm" && view.open && !r.open) return false;
  if (view.stage && r.stage !== view.stage) return false;
  if (view.category && r.category_item !== view.category) return false;
  return true;
}

/** 从服务器载入当前列表。 */
export async function openRequestList() {
  if (!me) return;
  const box = $("requests-list");
  try {
    const r = await api("GET", "/api/requests?" + query());
    shown.clear();
    for (const x of r.requests) shown.set(x.id, x);
    const rows = [...shown.values()].sort(urgency).map(row);
    box.replaceChildren(el("div", { class: "table-wrap" }, el("table", { class: "requests" },
      el("thead", {}, el("tr", {}, ["督办", "编号", "类别", "诉求人", "内容", "阶段", "责任人", "期限"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows))), empty());
  } catch (e) { if (e.status !== 401) box.replaceChildren(el("p", { class: "err" }, e.message)); }
}

function empty() {
  const p = el("p", { class: "empty none" }, view.list === "mine" ? "没有需要您办理的诉求" : "没有符合条件的诉求");
  p.hidden = shown.size > 0;
  return p;
}

function row(r) {
  const tr = el("tr", { "data-request": r.id, "data-alarm": r.alarm, class: r.open ? "" : "closed", tabindex: "0" },
    el("td", {}, badge(r.alarm)),
    el("td", {}, String(r.id)),
    el("td", {}, category(r)),
    el("td", {}, requester(r)),
    el("td", { class: "content" }, r.content),
    el("td", {}, STAGE_LABEL[r.stage] || r.stage),
    el("td", {}, r.responsible_name || "待分派"),
    el("td", { class: "deadline" }, minute(r.deadline_at)));
  const open = () => { for (const x of document.querySelectorAll("#requests-list tr.on")) x.classList.remove("on"); tr.classList.add("on"); showRequest(r.id, me); };
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  return tr;
}

/** 一个 request.created / request.updated / request.alarm 消息：只改这一行。 */
export function onRequestFrame(m) {
  const r = m.request;
  if (!r || !me) return;
  for (const f of listeners) f(r, m);
  refreshRequest(r);
  const body = document.querySelector("#requests-list tbody");
  if (!body) return;
  const old = body.querySelector('tr[data-request="' + r.id + '"]');
  if (!fits(r)) {
    if (old) { old.remove(); shown.delete(r.id); }
  } else {
    const selected = old && old.classList.contains("on");
    if (old) old.remove();
    shown.set(r.id, r);
    const tr = row(r);
    if (selected) tr.classList.add("on");
    const after = [...shown.values()].filter((x) => x.id !== r.id && urgency(r, x) < 0).map((x) => x.id);
    const before = [...body.children].find((n) => after.includes(Number(n.dataset.request)));
    body.insertBefore(tr, before || null);
    if (m.type === "request.created" && r.responsible_staff_id === me.id) toast("新的诉求交给您办理（第 " + r.id + " 号）");
  }
  const none = document.querySelector("#requests-list .none");
  if (none) none.hidden = shown.size > 0;
}
