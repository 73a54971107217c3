// 登记诉求的表单（POST /api/requests）：来电卡片、语音留言、来访登记和走访都用它。
// 住户已知时选诉求人（家庭成员），未知来电人填姓名和电话；类别取自
// /api/request-categories；服务器的错误显示在它指出的字段旁边。

import { api } from "./api.js";
import { el } from "./dom.js";
import { clearErrors, errorSlot, showError } from "./form_errors.js";

let categories = null;
/** 启用的诉求类别（只取一次）。 */
export function loadCategories() {
  if (!categories) categories = api("GET", "/api/request-categories").then((r) => r.categories).catch((e) => { categories = null; throw e; });
  return categories;
}

/** 退出登录时忘掉类别（下一位登录的人重新取）。 */
export function forgetCategories() { categories = null; }

const err = errorSlot;

/**
 * 建一个表单。opts: household（住户档案，有 household_id、members）或 null，channel，
 * call_id，caller_number，caller_name，voice_message_id，title，onCreated(request)。
 */
export function requestForm(opts) {
  const h = opts.household;
  const form = el("form", { class: "request-form", novalidate: "" });
  const who = [];
  if (h) {
    const members = h.members || [];
    const pick = el("select", { name: "resident_id" }, el("option", { value: "" }, "（不指定）"),
      members.map((m) => el("option", { value: m.id, selected: m.owns_number ? "" : null }, m.name)));
    who.push(el("label", {}, "诉求人 ", pick), err("resident_id"));
  } else {
    who.push(el("label", {}, "姓名 ", el("input", { name: "caller_name", maxlength: "40", value: opts.caller_name || "" })), err("caller_name"),
      el("label", {}, "电话 ", el("input", { name: "caller_number", maxlength: "40", value: opts.caller_number || "" })), err("caller_number"));
  }
  const cat = el("select", { name: "category_item" }, el("option", { value: "" }, "正在载入类别…"));
  loadCategories().then((list) => {
    cat.replaceChildren(el("option", { value: "" }, "请选择类别"),
      ...list.map((c) => el("option", { value: c.id }, [c.item, c.class].filter(Boolean).join("."))));
    cat.dataset.loaded = "1";
  }).catch((e) => { cat.replaceChildren(el("option", { value: "" }, "类别载入失败")); showError(form, e); });
  const grade = el("select", { name: "grade" }, [1, 2, 3].map((g) => el("option", { value: g }, g + " 级" + (g === 1 ? "（一般）" : g === 3 ? "（紧急）" : ""))));
  const content = el("textarea", { name: "content", rows: "3", maxlength: "2000", placeholder: "来电人反映的问题、地点、要求" });
  const submit = el("button", { type: "submit", class: "primary" }, "登记");
  form.append(
    opts.title ? el("h3", {}, opts.title) : null,
    h ? el("p", { class: "muted" }, "住户：" + (h.address || "")) : null,
    ...who,
    el("label", {}, "类别 ", cat), err("category_item"),
    el("label", {}, "等级 ", grade), err("grade"),
    el("label", { class: "wide" }, "内容 ", content), err("content"),
    err("household_id"), err("channel"), err("voice_message_id"), err("call_id"), err("other"),
    el("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const list = await loadCategories().catch(() => []);
    const c = list.find((x) => String(x.id) === cat.value);
    const body = { channel: opts.channel, content: content.value.trim(), grade: Number(grade.value) };
    if (c) { body.category_item = c.item; body.category_class = c.class || ""; } else body.category_item = "";
    if (h) {
      body.household_id = h.household_id;
      const r = form.querySelector('[name="resident_id"]').value;
      if (r) body.resident_id = Number(r);
    } else {
      body.caller_name = form.querySelector('[name="caller_name"]').value.trim();
      body.caller_number = form.querySelector('[name="caller_number"]').value.trim();
    }
    if (opts.call_id) body.call_id = opts.call_id;
    if (opts.voice_message_id) body.voice_message_id = opts.voice_message_id;
    if (!body.category_item) { showError(form, { field: "category_item", message: "请选择诉求类别" }); return; }
    if (!body.content) { showError(form, { field: "content", message: "请填写诉求内容" }); return; }
    submit.disabled = true;
    try {
      const r = await api("POST", "/api/requests", body);
      opts.onCreated(r.request);
    } catch (e) {
      submit.disabled = false;
      if (e.status !== 401) showError(form, e);
    }
  });
  return form;
}
