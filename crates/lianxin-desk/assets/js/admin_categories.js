// 诉求类别与预警天数、街道部门（管理员、督导）：每个类别的一级预警（变橙）和办结期限
// （变红）天数，停用/启用，添加类别；部门的答复期限天数，停用/启用，添加部门。
// 只用 /api/request-categories 和 /api/departments（docs/desk-protocol.md §10.5）。
// 什么都不删除：不用的停用即可。

import { api } from "./api.js";
import { el, toast } from "./dom.js";
import { field, showError, clearErrors } from "./admin_form.js";

let box = null;

/** 画出类别和部门。 */
export async function openCategories(container) {
  box = container;
  let cats, deps;
  try {
    [cats, deps] = await Promise.all([api("GET", "/api/request-categories?all=true"), api("GET", "/api/departments?all=true")]);
  } catch (e) { box.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  box.replaceChildren(
    el("h3", {}, "诉求类别和预警天数"),
    el("p", { class: "muted" }, "登记后满“一级预警”天数变橙色，超过“办结期限”变红色；改动只影响以后登记的诉求。"),
    el("div", { class: "table-wrap" }, el("table", { class: "admin-table categories" },
      el("thead", {}, el("tr", {}, ["项目", "类别", "一级预警（天）", "办结期限（天）", "启用", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, cats.categories.map(categoryRow)))),
    addCategory(),
    el("h3", {}, "街道部门"),
    el("p", { class: "muted" }, "诉求上报到街道时指定部门，部门须在答复期限内答复。"),
    el("div", { class: "table-wrap" }, el("table", { class: "admin-table departments" },
      el("thead", {}, el("tr", {}, ["部门", "答复期限（天）", "启用", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, deps.departments.map(departmentRow)))),
    addDepartment());
}

function days(name, value) {
  return el("input", { type: "number", min: "1", max: "365", name, value: String(value), class: "days" });
}

function categoryRow(c) {
  const l1 = days("level1_days", c.level1_days);
  const dl = days("deadline_days", c.deadline_days);
  const active = el("input", { type: "checkbox", name: "active", checked: c.active ? "" : null });
  const err = el("div", { class: "err", "data-for": "other" });
  const tr = el("tr", { "data-category": c.id, class: c.active ? "" : "inactive" },
    el("td", {}, c.item), el("td", {}, c.class || ""),
    el("td", {}, l1, el("div", { class: "err", "data-for": "level1_days" })),
    el("td", {}, dl, el("div", { class: "err", "data-for": "deadline_days" })),
    el("td", {}, active),
    el("td", {}, el("button", { type: "button", class: "save", onclick: save }, "保存"), err));
  async function save() {
    clearErrors(tr);
    try {
      await api("PUT", "/api/request-categories/" + c.id, { level1_days: Number(l1.value), deadline_days: Number(dl.value), active: active.checked });
      toast("已保存类别 " + c.item + (c.class ? "." + c.class : ""));
      tr.classList.toggle("inactive", !active.checked);
    } catch (e) { showError(tr, e); }
  }
  return tr;
}

function addCategory() {
  const item = el("input", { name: "item", maxlength: "40", placeholder: "如 设施维修" });
  const cls = el("input", { name: "class", maxlength: "40", placeholder: "可不填，如 电梯" });
  const l1 = days("level1_days", 5);
  const dl = days("deadline_days", 8);
  const form = el("form", { class: "admin-form inline add-category" },
    field("项目", item, "item"), field("类别", cls, "class"), field("一级预警（天）", l1, "level1_days"), field("办结期限（天）", dl, "deadline_days"),
    el("div", { class: "err", "data-for": "other" }),
    el("button", { type: "submit", class: "primary" }, "添加类别"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("POST", "/api/request-categories", { item: item.value.trim(), class: cls.value.trim(), level1_days: Number(l1.value), deadline_days: Number(dl.value) });
      toast("已添加类别 " + item.value.trim());
      openCategories(box);
    } catch (e) { showError(form, e); }
  });
  return form;
}

function departmentRow(d) {
  const ad = days("answer_days", d.answer_days);
  const active = el("input", { type: "checkbox", name: "active", checked: d.active ? "" : null });
  const tr = el("tr", { "data-department": d.id, class: d.active ? "" : "inactive" },
    el("td", {}, d.name),
    el("td", {}, ad, el("div", { class: "err", "data-for": "answer_days" })),
    el("td", {}, active),
    el("td", {}, el("button", { type: "button", class: "save", onclick: save }, "保存"), el("div", { class: "err", "data-for": "other" })));
  async function save() {
    clearErrors(tr);
    try {
      await api("PUT", "/api/departments/" + d.id, { answer_days: Number(ad.value), active: active.checked });
      toast("已保存部门 " + d.name);
      tr.classList.toggle("inactive", !active.checked);
    } catch (e) { showError(tr, e); }
  }
  return tr;
}

function addDepartment() {
  const name = el("input", { name: "name", maxlength: "40", placeholder: "如 城管科" });
  const ad = days("answer_days", 3);
  const form = el("form", { class: "admin-form inline add-department" },
    field("部门", name, "name"), field("答复期限（天）", ad, "answer_days"),
    el("div", { class: "err", "data-for": "other" }),
    el("button", { type: "submit", class: "primary" }, "添加部门"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("POST", "/api/departments", { name: name.value.trim(), answer_days: Number(ad.value) });
      toast("已添加部门 " + name.value.trim());
      openCategories(box);
    } catch (e) { showError(form, e); }
  });
  return form;
}
