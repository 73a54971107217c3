// 值班员此刻是否在通话：由实时通话推出（call.offered 振铃中，call.answered 通话中），
// 因为值班员自己选的状态（如"空闲"）在接电话时不会变。督导台的值班员表、右侧的值班员状态
// 和值班员自己页头的状态都用这里的说法，三处一致。只是函数，不存数据。

import { STATE_LABEL } from "./dom.js";

/** 通话状态的说法。 */
export const CALL_STATE_LABEL = { on_call: "通话中", ringing: "振铃中" };

/** 这位值班员（staff_id）在这些通话中的状态："on_call"、"ringing"，不在通话时 null。 */
export function callStateOf(staffId, calls) {
  let state = null;
  for (const c of calls || []) {
    if (!c.operator || c.operator.staff_id !== staffId) continue;
    if (c.status === "answered") return "on_call";
    if (c.status === "offered") state = "ringing";
  }
  return state;
}

/** 一位值班员（operator.state 消息或 hello.operators 的一行）显示的状态：在通话时说通话，
 *  否则是自己选的状态，不值班时"未值班"。 */
export function shownState(o, calls) {
  const c = callStateOf(o.staff_id, calls);
  if (c) return CALL_STATE_LABEL[c];
  return o.on_duty ? STATE_LABEL[o.state] || o.state : "未值班";
}
