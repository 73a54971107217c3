// 按姓名、地址、户号或电话查找住户（GET /api/households/search）：一个输入框、查找按钮和
// 结果列表，每条结果一个按钮，点了调用 onPick(结果, 按钮)。来访登记、包片工作台（包片主任
// 只查到本片区的）和来电卡片上的未知来电（把来电号码关联到查到的一户）共用这一个。

import { api } from "./api.js";
import { el, toast } from "./dom.js";

/**
 * 建查找框；pickLabel 是每条结果上按钮的文字。
 * opts.pickClass：结果按钮的 class（默认 "pick"）；opts.disabled：结果按钮一开始就不可点
 * （未显示号码的来电无号可关联）。返回的元素有 lock()：关掉输入框和查找按钮（已关联之后）。
 */
export function householdSearch(pickLabel, onPick, placeholder, opts = {}) {
  const input = el("input", { class: "q", name: "q", placeholder: placeholder || "输入姓名、地址、户号或电话号码", "aria-label": "查找住户", maxlength: "64" });
  const find = el("button", { type: "button", class: "find" }, "查找");
  const hits = el("div", { class: "hits" });
  const go = async () => {
    if (input.disabled) return;
    const q = input.value.trim();
    if (!q) { toast("请输入要查找的姓名、地址或电话号码"); return; }
    hits.replaceChildren(el("p", { class: "muted" }, "正在查找…"));
    try {
      const r = await api("GET", "/api/households/search?q=" + encodeURIComponent(q));
      hits.replaceChildren();
      if (!r.households.length) { hits.append(el("p", { class: "muted none" }, "没有找到符合条件的住户")); return; }
      for (const h of r.households) {
        const btn = el("button", { type: "button", class: opts.pickClass || "pick", disabled: !!opts.disabled }, pickLabel);
        btn.addEventListener("click", () => onPick(h, btn));
        hits.append(el("div", { class: "hit", "data-household": h.id, "data-address": h.address },
          el("span", {}, h.address + (h.block ? "（" + h.block + "）" : "") + " · " + (h.members || []).join("、") + ((h.numbers || []).length ? " · 电话 " + h.numbers.join("、") : "")), btn));
      }
    } catch (e) { if (e.status !== 401) hits.replaceChildren(el("p", { class: "err" }, e.message)); }
  };
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); go(); } });
  find.addEventListener("click", go);
  const node = el("div", { class: "household-search" }, el("div", { class: "search" }, input, find), hits);
  node.lock = () => { input.disabled = true; find.disabled = true; };
  return node;
}
