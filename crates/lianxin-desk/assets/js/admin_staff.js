// 人员与角色（管理员）：工作人员名单（姓名、用户名、角色、分机、包片主任负责的片区、
// 是否启用），添加人员（登录密码和话机 SIP 密码由服务器生成，只在页面上显示这一次），
// 修改角色、分机、片区，停用/启用，重置登录密码或话机密码。
// 只用 GET/POST /api/staff、PUT /api/staff/{id}、POST /api/staff/{id}/password|sip-password
// （docs/desk-protocol.md §13.1）。

import { api } from "./api.js";
import { el, toast, ROLE_LABEL } from "./dom.js";
import { field, showError, clearErrors, confirmButton } from "./admin_form.js";

const ROLES = ["operator", "captain", "committee", "supervisor", "admin"];
/** 角色全称（名单和选择框用）。 */
const ROLE_NAME = { operator: "热线值班员", captain: "包片主任", committee: "居委会工作人员", supervisor: "街道督导", admin: "系统管理员" };

let box = null;
let blocks = [];

/** 画出人员管理。 */
export async function openStaff(container) {
  box = container;
  let r;
  try { r = await api("GET", "/api/staff"); }
  catch (e) { box.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  blocks = r.blocks || [];
  const secrets = el("div", { id: "staff-secrets" });
  box.replaceChildren(
    secrets,
    el("div", { class: "table-wrap" }, el("table", { class: "admin-table staff-table" },
      el("thead", {}, el("tr", {}, ["姓名", "用户名", "角色", "分机", "负责片区", "状态", "操作"].map((h) => el("th", {}, h)))),
      el("tbody", {}, r.staff.map(row)))),
    addForm());
}

function roleSelect(value) {
  return el("select", { name: "role" }, ROLES.map((r) => el("option", { value: r, selected: r === value ? "" : null }, ROLE_NAME[r])));
}

/** 片区复选框（只有包片主任用）。 */
function blockPicker(chosen) {
  return el("div", { class: "block-picker", "data-name": "blocks" }, blocks.map((b) =>
    el("label", { class: "check-inline" }, el("input", { type: "checkbox", value: b.name, checked: chosen.includes(b.name) ? "" : null }), " " + b.name + "（" + b.households + "户）")));
}

function chosenBlocks(picker) {
  return [...picker.querySelectorAll("input:checked")].map((i) => i.value);
}

/** 新密码只显示这一次。 */
function showSecret(title, lines) {
  const s = document.getElementById("staff-secrets");
  const card = el("div", { class: "secret", role: "status" },
    el("b", {}, title),
    el("p", { class: "muted" }, "请现在抄下或转告本人：密码只显示这一次，服务器只保存加密后的形式。"),
    el("dl", {}, lines.map(([k, v]) => [el("dt", {}, k), el("dd", {}, el("code", {}, v))])),
    el("button", { type: "button", class: "dismiss", onclick: () => card.remove() }, "我已记下"));
  s.replaceChildren(card);
  card.scrollIntoView({ block: "nearest" });
}

function row(s) {
  const tr = el("tr", { "data-staff": s.id, class: s.active ? "" : "inactive" },
    el("td", {}, s.display_name),
    el("td", {}, s.username),
    el("td", {}, ROLE_NAME[s.role] || ROLE_LABEL[s.role] || s.role),
    el("td", {}, s.extension || ""),
    el("td", {}, s.role === "captain" ? (s.blocks.join("、") || "（未分配）") : ""),
    el("td", {}, s.active ? el("span", { class: "ok" }, "启用") : el("span", { class: "off" }, "已停用")),
    el("td", { class: "row-actions" },
      el("button", { type: "button", class: "edit", onclick: () => tr.replaceWith(editRow(s)) }, "修改"),
      confirmButton(s.active ? "停用" : "启用", s.active ? "确认停用？" : "确认启用？", () => setActive(s, !s.active), { class: "toggle-active" }),
      confirmButton("重置登录密码", "确认重置？", () => resetPassword(s), { class: "reset-password" }),
      confirmButton("重置话机密码", "确认重置？", () => resetSip(s), { class: "reset-sip" })));
  return tr;
}

async function setActive(s, active) {
  try {
    await api("PUT", "/api/staff/" + s.id, { active });
    toast(s.display_name + (active ? " 已启用" : " 已停用，不能再登录"));
    openStaff(box);
  } catch (e) { toast(e.message); }
}

async function resetPassword(s) {
  try {
    const r = await api("POST", "/api/staff/" + s.id + "/password");
    showSecret(s.display_name + " 的新登录密码", [["用户名", s.username], ["登录密码", r.password]]);
  } catch (e) { toast(e.message); }
}

async function resetSip(s) {
  try {
    const r = await api("POST", "/api/staff/" + s.id + "/sip-password");
    showSecret(s.display_name + " 的新话机密码", [["话机用户名", s.username], ["SIP 密码", r.sip_password], ["域（realm）", r.realm]]);
  } catch (e) { toast(e.message); }
}

/** 在名单里就地修改一行。 */
function editRow(s) {
  const name = el("input", { name: "display_name", value: s.display_name, maxlength: "20" });
  const role = roleSelect(s.role);
  const ext = el("input", { name: "extension", value: s.extension || "", inputmode: "numeric", maxlength: "8", placeholder: "无" });
  const phone = el("input", { name: "phone", value: s.phone || "", maxlength: "20", placeholder: "无" });
  const picker = blockPicker(s.blocks);
  const pickerBox = el("div", {}, el("div", { class: "muted" }, "负责片区"), picker, el("div", { class: "err", "data-for": "blocks" }));
  pickerBox.hidden = s.role !== "captain";
  role.addEventListener("change", () => { pickerBox.hidden = role.value !== "captain"; });
  const form = el("form", { class: "admin-form edit-staff" },
    field("姓名", name, "display_name"), field("角色", role, "role"), field("分机", ext, "extension"),
    field("联系电话", phone, "phone"), pickerBox,
    el("div", { class: "err", "data-for": "other" }),
    el("div", { class: "actions" },
      el("button", { type: "submit", class: "primary" }, "保存"),
      el("button", { type: "button", onclick: () => openStaff(box) }, "取消")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { display_name: name.value.trim(), role: role.value, extension: ext.value.trim(), phone: phone.value.trim() };
    if (role.value === "captain") body.blocks = chosenBlocks(picker);
    try {
      await api("PUT", "/api/staff/" + s.id, body);
      toast("已保存 " + body.display_name);
      openStaff(box);
    } catch (e) { showError(form, e); }
  });
  return el("tr", { class: "editing", "data-staff": s.id }, el("td", { colspan: "7" }, form));
}

function addForm() {
  const username = el("input", { name: "username", maxlength: "32", placeholder: "如 8004 或 sunli", autocomplete: "off" });
  const name = el("input", { name: "display_name", maxlength: "20", placeholder: "如 孙丽" });
  const role = roleSelect("operator");
  const ext = el("input", { name: "extension", inputmode: "numeric", maxlength: "8", placeholder: "值班员、督导填写" });
  const phone = el("input", { name: "phone", maxlength: "20", placeholder: "可不填" });
  const picker = blockPicker([]);
  const pickerBox = el("div", {}, el("div", { class: "muted" }, "负责片区"), picker, el("div", { class: "err", "data-for": "blocks" }));
  pickerBox.hidden = true;
  role.addEventListener("change", () => { pickerBox.hidden = role.value !== "captain"; });
  const form = el("form", { class: "admin-form add-staff" },
    el("h3", {}, "添加工作人员"),
    el("p", { class: "muted" }, "登录密码和话机密码由服务器生成，添加后只显示一次。值班员的用户名一般用分机号。"),
    field("用户名", username, "username"), field("姓名", name, "display_name"), field("角色", role, "role"),
    field("分机", ext, "extension"), field("联系电话", phone, "phone"), pickerBox,
    el("div", { class: "err", "data-for": "other" }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "添加")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { username: username.value.trim(), display_name: name.value.trim(), role: role.value, extension: ext.value.trim(), phone: phone.value.trim() };
    if (role.value === "captain") body.blocks = chosenBlocks(picker);
    try {
      const r = await api("POST", "/api/staff", body);
      await openStaff(box);
      showSecret("已添加 " + r.staff.display_name + "（" + (ROLE_NAME[r.staff.role] || r.staff.role) + "）",
        [["用户名", r.staff.username], ["登录密码", r.password], ["话机 SIP 密码", r.sip_password], ["域（realm）", r.realm]]);
    } catch (e) { showError(form, e); }
  });
  return form;
}
