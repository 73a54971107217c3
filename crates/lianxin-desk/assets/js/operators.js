// 值班员状态面板（督导、管理员可见）：由 operator.state 消息更新。

import { $, el, fmt, STATE_LABEL } from "./dom.js";

const ops = new Map();

/** 记下一个 operator.state 消息并重画面板。 */
export function onOperatorState(m) { ops.set(m.staff_id, m); renderOps(); }

/** 清空（退出登录）。 */
export function clearOperators() { ops.clear(); renderOps(); }

function renderOps() {
  const box = $("ops-list");
  box.replaceChildren();
  for (const o of [...ops.values()].sort((a, b) => a.staff_id - b.staff_id)) {
    box.append(el("div", { class: "op", "data-staff": o.staff_id }, o.display_name + "：" + (o.on_duty ? STATE_LABEL[o.state] || o.state : "未值班") + " ", el("span", { class: "muted" }, fmt(o.at))));
  }
}
