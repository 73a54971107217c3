// 打印任务单：带令牌（Authorization 请求头，令牌不进网址）取回 GET /api/requests/{id}/sheet
// 的 A4 页面，放进本页一个只在打印时显示的区域后调用 window.print()。
// 为什么不开新窗口：blob 页面继承本页的内容安全策略，任务单自带的样式会被拦下；
// 本页的 console.css 里有打印任务单用的样式（@media print）。

import { fetchBlob } from "./api.js";
import { $, toast } from "./dom.js";

/** 取回并打印第 id 号诉求的任务单。 */
export async function printSheet(id) {
  let html;
  try { html = await (await fetchBlob("/api/requests/" + id + "/sheet")).text(); }
  catch (e) { if (e.status !== 401) toast(e.message || "无法取回任务单"); return; }
  // 任务单自带的 <style> 在解析前去掉（本页不允许内联样式，打印样式在 console.css 里）。
  const doc = new DOMParser().parseFromString(html.replace(/<style[\s\S]*?<\/style>/gi, ""), "text/html");
  for (const s of doc.querySelectorAll("script, style, link")) s.remove();
  const area = $("print-sheet");
  area.replaceChildren(...[...doc.body.childNodes].map((n) => document.importNode(n, true)));
  area.dataset.request = String(id);
  document.body.classList.add("printing-sheet");
  window.addEventListener("afterprint", () => document.body.classList.remove("printing-sheet"), { once: true });
  window.print();
}
