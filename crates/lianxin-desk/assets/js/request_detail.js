// 诉求详情：各项内容、办理经过（时间线），以及这个阶段可以做的操作（分派、开始办理、上报、
// 办结、回访反馈、重新办理、修改期限、备注），服务器的错误显示在出错的字段旁边；
// “打印任务单”带令牌取回任务单后打印。

import { api } from "./api.js";
import { $, el, fmt, toast } from "./dom.js";
import { clearErrors, errorSlot, showError } from "./form_errors.js";
import { STAGE_LABEL, CHANNEL_LABEL, FEEDBACK_LABEL, badge, category, requester, minute } from "./request_labels.js";
import { printSheet } from "./print_sheet.js";

const KIND_LABEL = { created: "登记", assigned: "分派", started: "开始办理", escalated: "上报", resolved: "办结", feedback: "回访反馈", reopened: "重新办理", thresholds: "修改期限", note: "备注" };
const OPEN = ["new", "assigned", "in_progress", "escalated", "reopened"];

let current = null, me = null;

/** 关掉详情（退出登录、换人）。 */
export function clearRequest() { current = null; const d = $("request-detail"); if (d) { d.replaceChildren(); d.hidden = true; } }

/** 显示第 id 号诉求。 */
export async function showRequest(id, staff) {
  me = staff; current = id;
  const box = $("request-detail");
  box.hidden = false;
  box.replaceChildren(el("p", { class: "muted" }, "正在载入…"));
  try {
    const r = await api("GET", "/api/requests/" + id);
    if (current === id) render(r.request, r.events);
  } catch (e) { if (e.status !== 401) box.replaceChildren(el("p", { class: "err" }, e.message)); }
}

/** 一个 request.* 消息：正在看的这条变了就重新载入（带上新的办理经过）。 */
export function refreshRequest(r) {
  const box = $("request-detail");
  if (current !== r.id || !box || box.hidden) return;
  if (box.querySelector(".request-actions form.busy")) return;
  showRequest(r.id, me);
}

function render(r, events) {
  const box = $("request-detail");
  const head = el("div", { class: "detail-head" }, badge(r.alarm), el("h3", {}, "诉求 第 " + r.id + " 号"),
    el("span", { class: "badge stage" }, STAGE_LABEL[r.stage] || r.stage), el("span", { class: "spacer" }),
    el("button", { type: "button", class: "print", onclick: () => printSheet(r.id) }, "打印任务单"),
    el("button", { type: "button", class: "close-detail", onclick: () => { clearRequest(); for (const x of document.querySelectorAll("#requests-list tr.on")) x.classList.remove("on"); } }, "关闭"));
  const rows = [
    ["登记", minute(r.created_at) + "（" + (CHANNEL_LABEL[r.channel] || r.channel) + "）"],
    ["诉求人", requester(r)],
    ["类别", category(r) + "，" + r.grade + " 级"],
    ["内容", r.content],
    ["责任人", (r.responsible_name || "待分派") + (r.captain_name ? "（包片主任 " + r.captain_name + "）" : "")],
    ["期限", "一级示警 " + minute(r.level1_at) + "，办结时限 " + minute(r.deadline_at)],
  ];
  if (r.escalation_level > 0) rows.push(["上报", r.department_name ? "街道 " + r.department_name + (r.department_due_at ? "，" + minute(r.department_due_at) + " 前答复" : "") : "居委会"]);
  if (r.result) rows.push(["办理结果", r.result + (r.closed_at ? "（" + minute(r.closed_at) + "）" : "")]);
  if (r.feedback_result) rows.push(["回访反馈", (FEEDBACK_LABEL[r.feedback_result] || r.feedback_result) + (r.feedback_how ? "，" + r.feedback_how : "") + (r.feedback_at ? "（" + minute(r.feedback_at) + "）" : "")]);
  const dl = el("dl", { class: "request-fields" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  const timeline = el("ol", { class: "timeline" }, events.map((e) => el("li", { "data-kind": e.kind },
    el("span", { class: "when" }, fmt(e.at)), " ", el("b", {}, KIND_LABEL[e.kind] || e.kind), " ", e.staff_name || "系统",
    stageChange(e), e.note ? el("div", { class: "note" }, e.note) : null)));
  box.replaceChildren(head, dl, el("h3", {}, "办理"), el("div", { class: "request-actions" }, actions(r)), el("h3", {}, "办理经过"), timeline);
}

function stageChange(e) {
  const s = e.changes && e.changes.stage;
  return Array.isArray(s) ? el("span", { class: "muted" }, "（" + (STAGE_LABEL[s[0]] || "—") + " → " + (STAGE_LABEL[s[1]] || s[1]) + "）") : null;
}

const err = errorSlot;

/** 一个操作的小表单：fields 是输入框，body() 给出请求体。 */
function action(name, label, fields, body) {
  const btn = el("button", { type: "submit" }, label);
  const form = el("form", { class: "act", "data-action": name, novalidate: "" }, fields, err("stage"), err("other"), btn);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    let b;
    try { b = body(); } catch (e) { showError(form, e); return; }
    btn.disabled = true; form.classList.add("busy");
    try {
      const r = await api("POST", "/api/requests/" + current + "/" + name, b);
      toast("已" + label + "（第 " + r.request.id + " 号）");
      form.classList.remove("busy");
      showRequest(r.request.id, me);
    } catch (e) {
      btn.disabled = false; form.classList.remove("busy");
      if (e.status !== 401) showError(form, e);
    }
  });
  return form;
}

const need = (field, message) => { const e = new Error(message); e.field = field; return e; };
const val = (form, name) => form.querySelector('[name="' + name + '"]').value.trim();

function actions(r) {
  const out = [];
  const open = OPEN.includes(r.stage);
  if (["new", "assigned", "escalated", "reopened"].includes(r.stage)) out.push(action("start", "开始办理", [], () => ({})));
  if (open) {
    const who = el("select", { name: "staff_id" }, el("option", { value: "" }, "选择责任人"));
    api("GET", "/api/assignees").then((x) => { for (const s of x.assignees) who.append(el("option", { value: s.id }, s.display_name + "（" + s.role_label + "）")); }).catch(() => {});
    const f = action("assign", "分派", [el("label", {}, "责任人 ", who), err("staff_id")], () => {
      if (!who.value) throw need("staff_id", "请选择责任人");
      return { staff_id: Number(who.value) };
    });
    out.push(f);
    const dep = el("select", { name: "department_id" }, el("option", { value: "" }, "居委会"));
    if (me && !["operator", "captain"].includes(me.role)) {
      api("GET", "/api/departments").then((x) => { for (const d of x.departments) dep.append(el("option", { value: d.id }, "街道 " + d.name + "（" + d.answer_days + " 天内答复）")); }).catch(() => {});
    }
    const why = el("input", { name: "note", placeholder: "上报原因（可不填）", maxlength: "2000" });
    out.push(action("escalate", "上报", [el("label", {}, "上报给 ", dep), err("department_id"), why, err("note")], () => {
      const b = {}; if (dep.value) b.department_id = Number(dep.value); if (why.value.trim()) b.note = why.value.trim(); return b;
    }));
    const result = el("textarea", { name: "result", rows: "2", maxlength: "2000", placeholder: "办理结果（办结后自动消单）" });
    out.push(action("resolve", "办结", [el("label", { class: "wide" }, "办理结果 ", result), err("result")], () => ({ result: result.value.trim() })));
    if (me && ["supervisor", "admin"].includes(me.role)) {
      const l1 = el("input", { type: "datetime-local", name: "level1_at", value: local(r.level1_at) });
      const dl = el("input", { type: "datetime-local", name: "deadline_at", value: local(r.deadline_at) });
      out.push(action("thresholds", "修改期限", [el("label", {}, "一级示警 ", l1), err("level1_at"), el("label", {}, "办结时限 ", dl), err("deadline_at")],
        () => ({ level1_at: rfc(l1.value, "level1_at"), deadline_at: rfc(dl.value, "deadline_at") })));
    }
  }
  if (r.stage === "resolved") {
    const res = el("select", { name: "result" }, Object.entries(FEEDBACK_LABEL).map(([k, t]) => el("option", { value: k }, t)));
    const how = el("input", { name: "how", placeholder: "回访方式，如电话回访、上门", maxlength: "100" });
    out.push(action("feedback", "记录回访", [el("label", {}, "反馈 ", res), err("result"), el("label", {}, "方式 ", how), err("how")], () => ({ result: res.value, how: how.value.trim() })));
  }
  if (!open) {
    const why = el("input", { name: "note", placeholder: "重新办理的原因", maxlength: "2000" });
    out.push(action("reopen", "重新办理", [why, err("note")], () => ({ note: why.value.trim() })));
  }
  const note = el("input", { name: "note", placeholder: "备注", maxlength: "2000" });
  out.push(action("note", "添加备注", [note, err("note")], () => ({ note: note.value.trim() })));
  return out;
}

/** RFC 3339 → datetime-local 的北京时间值。 */
function local(s) {
  const d = new Date(s);
  if (isNaN(d)) return "";
  return new Date(d.getTime() + 8 * 3600e3).toISOString().slice(0, 16);
}

/** datetime-local 的值（北京时间）→ RFC 3339。 */
function rfc(v, field) {
  if (!v) throw need(field, "请填写时间");
  return v + ":00+08:00";
}
