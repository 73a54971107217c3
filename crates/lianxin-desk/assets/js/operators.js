// 值班员状态面板（督导、管理员可见）：由 operator.state 消息更新；在通话的值班员显示
// 通话中、振铃中（由督导台的实时通话推出，见 on_call.js）。

import { $, el, fmt } from "./dom.js";
import { liveCalls } from "./live_calls.js";
import { callStateOf, shownState } from "./on_call.js";

const ops = new Map();

/** 记下一个 operator.state 消息并重画面板。 */
export function onOperatorState(m) { ops.set(m.staff_id, m); renderOps(); }

/** 实时通话变了以后重画（谁在通话）。 */
export function refreshOperators() { if (ops.size) renderOps(); }

/** 清空（退出登录）。 */
export function clearOperators() { ops.clear(); renderOps(); }

function renderOps() {
  const box = $("ops-list");
  box.replaceChildren();
  const calls = liveCalls();
  for (const o of [...ops.values()].sort((a, b) => a.staff_id - b.staff_id)) {
    box.append(el("div", { class: "op", "data-staff": o.staff_id, "data-call-state": callStateOf(o.staff_id, calls) },
      o.display_name + "：" + shownState(o, calls) + " ", el("span", { class: "muted" }, fmt(o.at))));
  }
}
