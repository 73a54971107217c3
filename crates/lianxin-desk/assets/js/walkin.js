// 来访登记（居委会、值班员）：居民来到服务站，按姓名、地址或电话找到住户，看住户档案
// （GET /api/households/{id}），再登记诉求（来源：来站）。不在册的来访人填姓名和电话。

import { api } from "./api.js";
import { $, el, toast } from "./dom.js";
import { household } from "./household.js";
import { householdSearch } from "./household_search.js";
import { requestForm } from "./request_form.js";
import { badge, category } from "./request_labels.js";

/** 打开（每次都从查找开始）。 */
export function openWalkIn() {
  const box = $("walkin");
  if (box.childElementCount) return;
  const stage = el("div", { class: "walkin-stage" });
  const unknown = el("button", { type: "button", class: "walkin-unknown" }, "来访人不在住户名册里");
  unknown.addEventListener("click", () => show(stage, null));
  box.replaceChildren(
    el("p", { class: "muted" }, "先查找来访居民的住户；找不到时按“来访人不在住户名册里”，填写姓名和电话。"),
    householdSearch("选择此户", async (h) => {
      try { show(stage, (await api("GET", "/api/households/" + h.id)).household); }
      catch (e) { if (e.status !== 401) toast(e.message); }
    }),
    unknown, stage);
}

/** 清空（退出登录）。 */
export function clearWalkIn() { $("walkin").replaceChildren(); }

function show(stage, card) {
  const done = el("div", { class: "walkin-done" });
  const form = requestForm({
    household: card, channel: "walk_in", title: card ? "登记诉求" : "登记诉求（不在册的来访人）",
    onCreated: (r) => {
      done.replaceChildren(el("p", { class: "ok" }, badge(r.alarm), "已登记诉求 第 " + r.id + " 号：" + category(r) + "，责任人 " + (r.responsible_name || "待分派")),
        el("button", { type: "button", onclick: () => { clearWalkIn(); openWalkIn(); } }, "接待下一位"));
      form.remove();
    },
  });
  stage.replaceChildren(card ? el("div", { class: "card walkin-card" }, el("div", { class: "card-body" }, household(card))) : null, form, done);
  stage.scrollIntoView({ block: "start" });
}
