// 来电卡片上的“登记诉求”：按下后展开表单，预先填好住户（或未知来电的号码）、来电编号和
// 来源（热线）；登记好的诉求留在卡片上（编号、类别、督办色块）。

import { el, toast } from "./dom.js";
import { requestForm } from "./request_form.js";
import { badge, category } from "./request_labels.js";

/** 一张来电卡片里一户（household 为 null 时是未知来电人）的登记区。 */
export function callRequest(c, household) {
  const box = el("div", { class: "call-request" });
  const done = el("ul", { class: "history created" });
  const open = el("button", { type: "button", class: "new-request" }, "登记诉求");
  open.addEventListener("click", () => {
    const form = requestForm({
      household, channel: "phone", call_id: c.call_id,
      caller_number: household ? "" : (c.caller_raw || ""),
      title: "登记诉求",
      onCreated: (r) => {
        done.append(el("li", { "data-request": r.id }, badge(r.alarm), "已登记诉求 第 " + r.id + " 号：" + category(r) + "，责任人 " + (r.responsible_name || "待分派")));
        form.remove(); open.hidden = false; open.textContent = "再登记一条";
        toast("诉求已登记（第 " + r.id + " 号）");
      },
    });
    open.hidden = true;
    box.append(form);
    const first = form.querySelector("select, input");
    if (first) first.focus();
  });
  box.append(done, open);
  return box;
}
