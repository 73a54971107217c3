// 表单里的服务器错误：显示在它指出的字段（JSON 错误的 field）旁边；认不出的字段显示在
// data-for="other" 处。诉求、包片工作台和管理各屏的表单都用这里。

import { el } from "./dom.js";

/** 一个字段的出错提示位置。 */
export const errorSlot = (field) => el("div", { class: "err", "data-for": field });

/** 清掉表单里的错误提示。 */
export function clearErrors(form) {
  for (const e of form.querySelectorAll(".err[data-for]")) e.textContent = "";
  for (const i of form.querySelectorAll(".invalid")) i.classList.remove("invalid");
}

/** 把错误 e（带 field）显示在对应字段旁边。 */
export function showError(form, e) {
  clearErrors(form);
  const box = (e.field && form.querySelector('.err[data-for="' + e.field + '"]')) || form.querySelector('.err[data-for="other"]');
  if (box) box.textContent = e.message;
  const input = e.field && form.querySelector('[name="' + e.field + '"]');
  if (input) { input.classList.add("invalid"); input.focus(); }
}
