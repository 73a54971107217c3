// 一户住户的档案（弹屏卡片的主体）：地址、片区与包片主任、家庭成员、电话组、服务记录、
// 近期来电、语音留言和群拨通知的收听情况。只读，不访问服务器。

import { el, fmt, DAY, ALARM_LABEL, OUTCOME_LABEL, SEX_LABEL } from "./dom.js";

export function household(h) {
  const block = h.block;
  const blockText = block ? block.name + (block.captain_name ? " · 包片主任 " + block.captain_name + (block.captain_phone ? "（" + block.captain_phone + "）" : "") : "") : "未分片";
  const members = el("div", { class: "table-wrap" }, el("table", { class: "members" }, el("tr", {}, el("th", {}, "姓名"), el("th", {}, "性别"), el("th", {}, "年龄"), el("th", {}, "工作/特长"), el("th", {}, "备注")),
    (h.members || []).map((p) => el("tr", {},
      el("td", { class: "name" }, p.owns_number ? el("b", {}, p.name) : p.name),
      el("td", {}, SEX_LABEL[p.sex] || p.sex || ""),
      el("td", {}, p.age !== null && p.age !== undefined ? p.age + " 岁" : ""),
      el("td", {}, [p.work, p.skills].filter(Boolean).join("；")),
      el("td", {}, p.notes || "")))));
  const groups = (h.groups || []).length ? h.groups.map((g) => el("span", { class: "tag" }, typeof g === "string" ? g : g.name)) : "无";
  const requests = (h.requests || []).length ? el("ul", { class: "history" }, h.requests.map((r) => el("li", {},
    el("span", { class: "alarm alarm-" + r.alarm, title: "督办预警" }, ALARM_LABEL[r.alarm] || ""),
    fmt(r.created, DAY) + " " + [r.category_item, r.category_class].filter(Boolean).join(".") + "：" + (r.content || ""),
    el("span", { class: "muted" }, r.open ? "（办理中，期限 " + fmt(r.deadline, DAY) + "）" : "（已办结" + (r.result ? "：" + r.result : "") + "）")))) : "无";
  const recent = (h.calls || []).length ? el("ul", { class: "history" }, h.calls.map((k) => el("li", {},
    fmt(k.arrived) + " " + (k.direction === "out" ? "去电" : "来电") + " " + (OUTCOME_LABEL[k.outcome] || "") + (k.operator ? " · " + k.operator : "")))) : "无";
  const vms = (h.voice_messages || []).length ? el("ul", { class: "history" }, h.voice_messages.map((v) => el("li", {},
    fmt(v.created) + " 留言 " + Math.round((v.duration_ms || 0) / 1000) + " 秒" + (v.open ? "（待处理）" : "")))) : "无";
  const notices = (h.campaign_results || []).length ? el("ul", { class: "history" }, h.campaign_results.map((k) => el("li", {},
    fmt(k.created, DAY) + " " + k.name + "：" + (k.heard ? "是（已收听）" : "否（未接听）")))) : null;
  return el("div", { class: "household", "data-household": h.household_id }, el("dl", {},
    el("dt", {}, "地址"), el("dd", { class: "address" }, (h.address || "") + (h.dwelling === "bungalow" ? "（平房）" : h.dwelling === "flat" ? "（楼房）" : "")),
    el("dt", {}, "片区及包片主任"), el("dd", {}, blockText),
    el("dt", {}, "家庭成员"), el("dd", {}, members),
    el("dt", {}, "电话组"), el("dd", {}, groups),
    el("dt", {}, "服务记录"), el("dd", {}, requests),
    el("dt", {}, "近期来电"), el("dd", {}, recent),
    el("dt", {}, "语音留言"), el("dd", {}, vms),
    notices ? [el("dt", {}, "群拨通知"), el("dd", {}, notices)] : null,
    h.notes ? [el("dt", {}, "备注"), el("dd", {}, h.notes)] : null));
}

/** 查找结果里的一户（地址、成员、电话）：关联号码后显示在卡片上。 */
export function householdSummary(h) {
  return el("div", { class: "household", "data-household": h.id }, el("dl", {},
    el("dt", {}, "地址"), el("dd", { class: "address" }, h.address || ""),
    el("dt", {}, "片区"), el("dd", {}, h.block || "未分片"),
    el("dt", {}, "家庭成员"), el("dd", {}, (h.members || []).join("、") || "无"),
    el("dt", {}, "电话"), el("dd", {}, (h.numbers || []).join("、") || "无")));
}

/** 驻区单位来电：单位名称、地址、联系人、招聘岗位（弹屏卡片上，住户档案之前）。 */
export function unitCard(u) {
  return el("div", { class: "unit", "data-unit": u.id },
    el("div", { class: "unit-name" }, "驻区单位来电：" + u.name),
    el("dl", {},
      el("dt", {}, "地址"), el("dd", {}, u.address || "未登记"),
      el("dt", {}, "联系人"), el("dd", {}, u.contact || "未登记"),
      u.jobs ? [el("dt", {}, "招聘岗位"), el("dd", { class: "jobs" }, u.jobs)] : null,
      u.notes ? [el("dt", {}, "备注"), el("dd", {}, u.notes)] : null));
}
