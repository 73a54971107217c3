// 驻区单位查询（GET /api/units?q=）：按名称、地址、招聘岗位或电话查找；正在招聘的单位
// 排在前面，岗位醒目显示（值班员给找工作的来电人介绍，见种子案例 000）。

import { api } from "./api.js";
import { $, el } from "./dom.js";

/** 打开：第一次列出全部单位。 */
export function openUnits() {
  const box = $("units");
  if (box.childElementCount) return;
  const input = el("input", { class: "q", name: "q", placeholder: "单位名称、地址、岗位（如“招聘”“厨师”）或电话", maxlength: "40", "aria-label": "查找驻区单位" });
  const find = el("button", { type: "button", class: "find" }, "查找");
  const list = el("div", { id: "units-list" });
  const go = () => search(input.value.trim(), list);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
  find.addEventListener("click", go);
  box.replaceChildren(el("div", { class: "search" }, input, find), list);
  go();
}

/** 清空（退出登录）。 */
export function clearUnits() { $("units").replaceChildren(); }

async function search(q, list) {
  list.replaceChildren(el("p", { class: "muted" }, "正在查找…"));
  try {
    const r = await api("GET", "/api/units?limit=100" + (q ? "&q=" + encodeURIComponent(q) : ""));
    if (!r.units.length) { list.replaceChildren(el("p", { class: "empty" }, "没有找到符合条件的单位")); return; }
    list.replaceChildren(...r.units.map((u) => el("div", { class: "unit" + (u.jobs ? " hiring" : ""), "data-unit": u.id },
      el("div", { class: "unit-head" }, el("b", {}, u.name), u.jobs ? el("span", { class: "badge jobs" }, "招聘中") : null),
      el("div", {}, u.address || ""),
      u.jobs ? el("div", { class: "unit-jobs" }, "岗位：" + u.jobs) : null,
      el("div", { class: "muted" }, [u.contact ? "联系人 " + u.contact : "", u.phone ? "电话 " + u.phone : "", u.notes || ""].filter(Boolean).join(" · ")))));
  } catch (e) { if (e.status !== 401) list.replaceChildren(el("p", { class: "err" }, e.message)); }
}
