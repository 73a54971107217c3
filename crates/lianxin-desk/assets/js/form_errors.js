// 表单里的服务器错误：显示在它指出的字段（JSON 错误的 field）旁边；认不出的字段显示在表单底部。

/** 清掉表单里的错误提示。 */
export function clearErrors(form) {
  for (const e of form.querySelectorAll(".err")) e.textContent = "";
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
