// 督导台的督办预警清单：所有未办结的橙色、红色诉求（GET /api/requests?alarm=orange,red），
// 由 request.created、request.updated 和 request.alarm 消息实时增删：变橙、变红的加进来，
// 办结或回到绿色的移出。红色在前，同色按办理期限排。

import { api } from "./api.js";
import { el, fmt, toast, ALARM_LABEL } from "./dom.js";
import { STAGE_WORD } from "./stats_labels.js";

/** 办理期限：北京时间，到分钟。 */
const MINUTE = new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
const list = new Map();
let box = null;

const urgent = (r) => r && r.open && (r.alarm === "orange" || r.alarm === "red");

/** 在 into 里显示清单，并从服务器重新载入（连上、重连时调用）。 */
export async function loadAlarms(into) {
  box = into;
  try {
    const r = await api("GET", "/api/requests?alarm=orange,red&limit=500");
    list.clear();
    for (const x of r.requests || []) if (urgent(x)) list.set(x.id, x);
    render();
  } catch (e) { if (e.status !== 401) toast(e.message); }
}

/** 处理一个 request.* 消息。 */
export function onRequestFrame(m) {
  const r = m.request;
  if (!r || r.id === undefined) return;
  if (urgent(r)) list.set(r.id, r); else list.delete(r.id);
  render();
}

/** 清空（退出登录）。 */
export function clearAlarms() { list.clear(); if (box) box.replaceChildren(); box = null; }

function render() {
  if (!box) return;
  const rows = [...list.values()].sort((a, b) => (a.alarm === b.alarm ? 0 : a.alarm === "red" ? -1 : 1) || String(a.deadline_at).localeCompare(String(b.deadline_at)));
  if (!rows.length) { box.replaceChildren(el("p", { class: "empty" }, "没有橙色或红色预警的诉求")); return; }
  const who = (r) => r.address || [r.caller_name, r.caller_number].filter(Boolean).join(" ") || "";
  const content = (s) => (s || "").length > 40 ? s.slice(0, 40) + "…" : s || "";
  box.replaceChildren(el("div", { class: "table-wrap" }, el("table", { class: "sup-table alarms" },
    el("thead", {}, el("tr", {}, ["预警", "编号", "住户或来电人", "类别", "内容", "责任人", "办理期限", "阶段"].map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", { "data-request": r.id, "data-alarm": r.alarm },
      el("td", {}, el("span", { class: "alarm alarm-" + r.alarm }, ALARM_LABEL[r.alarm] || "")),
      el("td", {}, "#" + r.id),
      el("td", { class: "who" }, who(r)),
      el("td", {}, [r.category_item, r.category_class].filter(Boolean).join(".")),
      el("td", { class: "content" }, content(r.content)),
      el("td", {}, r.responsible_name || r.department_name || "（无）"),
      el("td", {}, fmt(r.deadline_at, MINUTE)),
      el("td", {}, STAGE_WORD[r.stage] || r.stage || "")))))));
}
