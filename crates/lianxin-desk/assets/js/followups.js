// 群拨回访名单（包片主任看本片区，居委会、督导、管理员看全部）：群拨没通知到的住户，
// 上门或电话告知后写一句备注并标记已回访（GET /api/follow-ups，
// POST /api/follow-ups/{id}/close）。

import { api } from "./api.js";
import { $, el, fmt, toast, DAY } from "./dom.js";
import { OUTCOME } from "./campaign_labels.js";

let openOnly = true;

/** 载入名单。 */
export async function openFollowUps() {
  const box = $("followup-list");
  const toggle = $("followup-open");
  toggle.checked = openOnly;
  toggle.onchange = () => { openOnly = toggle.checked; openFollowUps(); };
  try {
    const r = await api("GET", "/api/follow-ups" + (openOnly ? "?open=true" : ""));
    if (!r.follow_ups.length) { box.replaceChildren(el("p", { class: "empty" }, openOnly ? "没有待回访的住户" : "还没有回访记录")); return; }
    const rows = r.follow_ups.map(row);
    box.replaceChildren(el("div", { class: "table-wrap" }, el("table", { class: "followups" },
      el("thead", {}, el("tr", {}, ["群拨", "户号", "地址", "未通知原因", "日期", "回访"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows))));
  } catch (e) { box.replaceChildren(el("p", { class: "err" }, e.message)); }
}

/** 清空（退出登录）。 */
export function clearFollowUps() { $("followup-list").replaceChildren(); }

function row(f) {
  const cell = el("td", { class: "close-cell" });
  const tr = el("tr", { "data-followup": f.id, class: f.done ? "done" : "" },
    el("td", {}, f.campaign_name || "群拨 " + f.campaign_id),
    el("td", {}, f.code || ""),
    el("td", {}, f.address || ""),
    el("td", {}, OUTCOME[f.outcome] || f.outcome || ""),
    el("td", {}, fmt(f.created, DAY)),
    cell);
  if (f.done) { cell.append(el("span", { class: "ok" }, "已回访")); return tr; }
  const note = el("input", { class: "note", placeholder: "备注（可不填）", maxlength: "500" });
  const btn = el("button", { type: "button", class: "close-followup" }, "已回访");
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      await api("POST", "/api/follow-ups/" + f.id + "/close", note.value.trim() ? { note: note.value.trim() } : {});
      cell.replaceChildren(el("span", { class: "ok" }, "已回访" + (note.value.trim() ? "：" + note.value.trim() : "")));
      tr.classList.add("done");
    } catch (e) { toast(e.message); btn.disabled = false; }
  });
  cell.append(note, btn);
  return tr;
}
