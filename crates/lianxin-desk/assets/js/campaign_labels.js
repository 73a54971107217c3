// 电话群拨的中文标签：结果、状态、计数。

export const OUTCOME = {
  heard: "已收听", hung_up_early: "中途挂断", no_answer: "无人接听", busy: "占线", declined: "拒接",
  invalid_number: "空号", failed: "呼叫失败", interrupted: "中断", cancelled: "已取消",
  opted_out: "不接收通知", no_number: "无电话", ringing: "振铃中", in_call: "通话中",
};
export const STATE = { running: "进行中", paused: "已暂停", finished: "已完成", cancelled: "已取消" };
export const COUNTERS = [
  ["households", "总户数"], ["dialled", "已拨"], ["ringing", "振铃"], ["in_call", "通话中"],
  ["reached", "已通知（是）"], ["not_reached", "未通知（否）"], ["remaining", "待拨"], ["calls_per_second", "每秒呼叫"],
];

/** 是 / 否 / 进行中。 */
export function reachedText(reached) {
  return reached === true ? "是" : reached === false ? "否" : "…";
}
