// 诉求的中文标签和几个小部件（督办预警色块、类别、期限）：各个诉求屏共用，不访问服务器。

import { el, fmt } from "./dom.js";

export const STAGE_LABEL = { new: "待分派", assigned: "已分派", in_progress: "办理中", escalated: "已上报", resolved: "已办结", feedback_given: "已回访", reopened: "重新办理" };
export const CHANNEL_LABEL = { phone: "热线来电", walk_in: "来站登记", visit: "入户走访" };
export const FEEDBACK_LABEL = { satisfied: "满意", not_satisfied: "不满意", not_reached: "未联系上" };
export const ALARM_NAME = { green: "绿", orange: "橙", red: "红" };
/** 排序用：红在前，橙其次，绿最后。 */
export const ALARM_RANK = { red: 0, orange: 1, green: 2 };

/** 督办预警色块（绿/橙/红）。 */
export function badge(alarm) {
  return el("span", { class: "alarm alarm-" + alarm, title: "督办预警：" + (ALARM_NAME[alarm] || "") }, ALARM_NAME[alarm] || "");
}

/** “某一项.某一类”。 */
export function category(r) {
  return [r.category_item, r.category_class].filter(Boolean).join(".");
}

/** 诉求人：住户的地址和姓名，或未登记来电人的姓名和电话。 */
export function requester(r) {
  if (r.address) return (r.resident_name ? r.resident_name + "，" : "") + r.address;
  return [r.caller_name, r.caller_number].filter(Boolean).join(" ") || "未登记";
}

/** 期限：北京时间，到分钟。 */
const MINUTE = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
export function minute(s) { return fmt(s, MINUTE); }

/** 先按颜色（红、橙、绿）再按期限排。 */
export function urgency(a, b) {
  return (ALARM_RANK[a.alarm] ?? 3) - (ALARM_RANK[b.alarm] ?? 3) || String(a.deadline_at).localeCompare(String(b.deadline_at)) || a.id - b.id;
}
