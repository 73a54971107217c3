// 统计屏和督导台用的中文词与数字格式：诉求阶段、受理渠道（与服务器 request_stage 的
// label_zh 一致）、比例和小时数的显示。只有常量和纯函数。

export const STAGE_WORD = { new: "新登记", assigned: "已分派", in_progress: "办理中", escalated: "已上报", resolved: "已办结", feedback_given: "已反馈", reopened: "重新办理" };
export const CHANNEL_WORD = { phone: "热线电话", walk_in: "来站办理", visit: "入户走访" };

/** 诉求统计可以按这些分组（服务器的 by 参数 → 中文）。 */
export const REQUEST_BY = [["category", "类别"], ["channel", "受理渠道"], ["block", "片区"], ["stage", "办理阶段"], ["responsible", "责任人"]];

/** 某种分组下一个组名的显示文字（空组名也要说清是什么）。 */
export function groupWord(by, group) {
  if (by === "stage") return STAGE_WORD[group] || group;
  if (by === "channel") return CHANNEL_WORD[group] || group;
  if (group === "") return by === "block" ? "（未分片）" : by === "responsible" ? "（无责任人）" : "（未填）";
  return group;
}

/** 比例（0–1，四位小数）显示为百分数，两位小数；没有数据时为"—"。 */
export function pct(v) {
  return v === null || v === undefined ? "—" : (v * 100).toFixed(2) + "%";
}

/** 小时数等可能为空的数：原样显示；没有数据时为"—"。 */
export function num(v) {
  return v === null || v === undefined ? "—" : String(v);
}
