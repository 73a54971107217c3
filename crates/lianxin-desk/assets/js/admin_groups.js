// 电话组（管理员）：全部电话组和各组户数（含已停用的），新建、改名、停用/恢复；
// 打开一个组看它的住户，移出住户，按姓名、地址或电话查找住户加入。
// 只用 GET/POST /api/phone-groups、PUT /api/phone-groups/{id}、
// /api/phone-groups/{id}/households[/{住户}] 和 /api/households/search
// （docs/desk-protocol.md §13.2、§3）。

import { api } from "./api.js";
import { el, toast } from "./dom.js";
import { field, showError, clearErrors, confirmButton } from "./admin_form.js";

let box = null;

/** 画出电话组名单。 */
export async function openGroups(container) {
  box = container;
  let r;
  try { r = await api("GET", "/api/phone-groups?all=true"); }
  catch (e) { box.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  const live = r.groups.filter((g) => !g.retired).length;
  box.replaceChildren(
    el("p", { class: "muted" }, "共 " + live + " 个在用的电话组" + (r.groups.length > live ? "，另有 " + (r.groups.length - live) + " 个已停用" : "") + "。停用的组保留住户和群拨记录，但不再出现在群拨选择里。"),
    el("div", { class: "table-wrap" }, el("table", { class: "admin-table groups" },
      el("thead", {}, el("tr", {}, ["电话组", "户数", "状态", "操作"].map((h) => el("th", {}, h)))),
      el("tbody", {}, r.groups.map(row)))),
    addForm(),
    el("div", { id: "group-members" }));
}

function row(g) {
  const tr = el("tr", { "data-group": g.id, class: g.retired ? "inactive" : "" },
    el("td", {}, g.name, g.description ? el("div", { class: "muted" }, g.description) : null),
    el("td", { class: "count" }, String(g.households)),
    el("td", {}, g.retired ? el("span", { class: "off" }, "已停用") : el("span", { class: "ok" }, "在用")),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "members", onclick: () => openMembers(g) }, "住户"),
      el("button", { type: "button", class: "rename", onclick: () => tr.replaceWith(renameRow(g)) }, "改名"),
      confirmButton(g.retired ? "恢复" : "停用", g.retired ? "确认恢复？" : "确认停用？", () => setRetired(g, !g.retired), { class: "retire" })));
  return tr;
}

async function setRetired(g, retired) {
  try {
    await api("PUT", "/api/phone-groups/" + g.id, { retired });
    toast(g.name + (retired ? " 已停用" : " 已恢复"));
    openGroups(box);
  } catch (e) { toast(e.message); }
}

function renameRow(g) {
  const name = el("input", { name: "name", value: g.name, maxlength: "30" });
  const form = el("form", { class: "admin-form inline rename-group" }, field("新名称", name, "name"),
    el("div", { class: "err", "data-for": "other" }),
    el("button", { type: "submit", class: "primary" }, "保存"),
    el("button", { type: "button", onclick: () => openGroups(box) }, "取消"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      await api("PUT", "/api/phone-groups/" + g.id, { name: name.value.trim() });
      toast("已改名为 " + name.value.trim());
      openGroups(box);
    } catch (e) { showError(form, e); }
  });
  return el("tr", { "data-group": g.id }, el("td", { colspan: "4" }, form));
}

function addForm() {
  const name = el("input", { name: "name", maxlength: "30", placeholder: "如 独居老人" });
  const desc = el("input", { name: "description", maxlength: "200", placeholder: "可不填" });
  const form = el("form", { class: "admin-form inline add-group" },
    field("新电话组", name, "name"), field("说明", desc, "description"),
    el("div", { class: "err", "data-for": "other" }),
    el("button", { type: "submit", class: "primary" }, "新建"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const r = await api("POST", "/api/phone-groups", { name: name.value.trim(), description: desc.value.trim() });
      toast("已新建电话组 " + r.group.name);
      await openGroups(box);
      openMembers(r.group);
    } catch (e) { showError(form, e); }
  });
  return form;
}

/** 一个组的住户：名单、移出，查找住户加入。 */
async function openMembers(g) {
  const panel = document.getElementById("group-members");
  if (!panel) return;
  let r;
  try { r = await api("GET", "/api/phone-groups/" + g.id + "/households"); }
  catch (e) { panel.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  const inGroup = new Set(r.households.map((h) => h.household_id));
  const q = el("input", { name: "q", placeholder: "按姓名、地址或电话查找住户", maxlength: "64" });
  const hits = el("div", { class: "hits" });
  const search = el("form", { class: "search member-search" }, q, el("button", { type: "submit" }, "查找"));
  search.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!q.value.trim()) return;
    try {
      const s = await api("GET", "/api/households/search?q=" + encodeURIComponent(q.value.trim()));
      hits.replaceChildren(...(s.households.length ? s.households.map((h) => el("div", { class: "hit", "data-household": h.id },
        el("span", {}, h.address + "　" + h.members.join("、")),
        inGroup.has(h.id) ? el("span", { class: "ok" }, "已在组内")
          : el("button", { type: "button", class: "add-member", onclick: () => change(g, h.id, true) }, "加入"))) : [el("p", { class: "empty" }, "没有找到")]));
    } catch (e) { hits.replaceChildren(el("p", { class: "err" }, e.message)); }
  });
  panel.replaceChildren(
    el("h3", {}, g.name + " 的住户（" + r.households.length + " 户）"),
    search, hits,
    r.households.length ? el("div", { class: "table-wrap" }, el("table", { class: "admin-table group-members" },
      el("thead", {}, el("tr", {}, ["户号", "地址", "家庭成员", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, r.households.map((h) => el("tr", { "data-household": h.household_id },
        el("td", {}, h.code), el("td", {}, h.address), el("td", {}, h.members.join("、")),
        el("td", {}, el("button", { type: "button", class: "remove-member", onclick: () => change(g, h.household_id, false) }, "移出")))))))
      : el("p", { class: "empty" }, "这个组还没有住户"));
  panel.scrollIntoView({ block: "nearest" });
}

async function change(g, household, add) {
  try {
    const r = await api(add ? "PUT" : "DELETE", "/api/phone-groups/" + g.id + "/households/" + household);
    toast((add ? "已加入 " : "已移出 ") + r.group.name + "，现有 " + r.group.households + " 户");
    const cell = box.querySelector('tr[data-group="' + g.id + '"] .count');
    if (cell) cell.textContent = String(r.group.households);
    openMembers(r.group);
  } catch (e) { toast(e.message); }
}
