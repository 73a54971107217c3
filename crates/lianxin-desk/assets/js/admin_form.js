// 管理各屏共用的小表单工具：带出错提示位置的输入项、把服务器错误显示在它指明的字段旁、
// 点两次才执行的按钮（防误点）、中文的选择文件按钮。不访问服务器。

import { el } from "./dom.js";
import { errorSlot } from "./form_errors.js";

export { clearErrors, showError } from "./form_errors.js";

/** 一个输入项：标签、输入框，下面是这个字段的出错提示。 */
export function field(label, input, name) {
  return el("div", { class: "af" }, el("label", {}, label, " ", input), errorSlot(name));
}

/** 第一次点击只提示“再点一次确认”，3 秒内再点才执行 action。 */
export function confirmButton(label, confirmLabel, action, attrs) {
  const b = el("button", Object.assign({ type: "button" }, attrs || {}), label);
  let armed = null;
  b.addEventListener("click", async () => {
    if (!armed) {
      b.textContent = confirmLabel;
      b.classList.add("armed");
      armed = setTimeout(() => { armed = null; b.textContent = label; b.classList.remove("armed"); }, 3000);
      return;
    }
    clearTimeout(armed); armed = null;
    b.textContent = label; b.classList.remove("armed");
    b.disabled = true;
    try { await action(); } finally { b.disabled = false; }
  });
  return b;
}

/** 选择录音文件的按钮（浏览器自带的按钮文字随系统语言，这里统一用中文），旁边显示选中的文件名。
 *  返回 { picker: 放进表单的元素, input: 文件输入框 }。 */
export function audioPicker(name) {
  const input = el("input", { type: "file", name, accept: ".wav,.mp3,audio/wav,audio/mpeg", class: "file-input" });
  const chosen = el("span", { class: "file-name muted" }, "未选择文件");
  input.addEventListener("change", () => {
    const f = input.files && input.files[0];
    chosen.textContent = f ? f.name : "未选择文件";
  });
  const picker = el("span", { class: "file-pick" }, el("label", { class: "file-button" }, input, "选择录音文件…"), chosen);
  return { picker, input };
}
