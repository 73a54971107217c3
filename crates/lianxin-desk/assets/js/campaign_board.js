// 群拨实时看板：每个群拨一块，显示计数、每户的是/否和结果，可暂停、继续、取消和导出 CSV。
// 由 campaign.* 消息更新（只改变了的格子和行）；住户的地址等取自
// GET /api/campaigns/{id}/report。

import { api } from "./api.js";
import { $, el, toast } from "./dom.js";
import { COUNTERS, OUTCOME, STATE, reachedText } from "./campaign_labels.js";

/** id → { live, rows: Map(household_id → 行资料), node, tbody, reload } */
const boards = new Map();

/** 清空所有看板（退出登录）。 */
export function clearBoards() { boards.clear(); $("campaign-boards").replaceChildren(); }

/** 显示（或更新）一个群拨的看板；live 为 CampaignLive 或列表里的摘要。 */
export function showBoard(live) {
  let b = boards.get(live.id);
  if (!b) {
    b = build(live);
    boards.set(live.id, b);
    $("campaign-boards").prepend(b.node);
    loadReport(b);
  }
  setLive(b, live);
  return b;
}

/** 处理 campaign.* 消息。 */
export function onCampaignFrame(m) {
  switch (m.type) {
    case "campaign.started": case "campaign.progress": case "campaign.finished": {
      const b = showBoard(m.campaign);
      if (m.type === "campaign.finished") loadReport(b);
      break;
    }
    case "campaign.household": {
      const b = boards.get(m.id) || showBoard({ id: m.id, name: "群拨 " + m.id, state: "running" });
      for (const r of m.rows || []) setRow(b, r, true);
      break;
    }
    default: break;
  }
}

function build(live) {
  const title = el("h3", {}, "");
  const state = el("span", { class: "badge" }, "");
  const counters = el("div", { class: "counters" }, COUNTERS.map(([k, label]) =>
    el("div", { class: "counter", "data-k": k }, el("span", { class: "v" }, "0"), el("span", { class: "k" }, label))));
  const tbody = el("tbody", {});
  const table = el("div", { class: "table-wrap" }, el("table", { class: "households" },
    el("thead", {}, el("tr", {}, ["户号", "地址", "片区", "是否通知到", "结果", "拨打次数", "收听秒数", "按键"].map((h) => el("th", {}, h)))),
    tbody));
  const pause = el("button", { type: "button", name: "pause" }, "暂停");
  const resume = el("button", { type: "button", name: "resume" }, "继续");
  const cancel = el("button", { type: "button", name: "cancel" }, "取消群拨");
  const csv = el("button", { type: "button", name: "csv" }, "导出 CSV");
  const node = el("section", { class: "board", "data-campaign": live.id },
    el("div", { class: "board-head" }, title, state, el("span", { class: "spacer" }), pause, resume, cancel, csv),
    counters, table);
  const b = { live, rows: new Map(), node, tbody, title, state, counters, pause, resume, cancel, reload: null };
  pause.addEventListener("click", () => act(b, "pause"));
  resume.addEventListener("click", () => act(b, "resume"));
  cancel.addEventListener("click", () => confirmCancel(b));
  csv.addEventListener("click", () => exportCsv(b));
  return b;
}

function setLive(b, live) {
  b.live = Object.assign(b.live || {}, live);
  const l = b.live;
  b.title.textContent = l.name || "群拨 " + l.id;
  b.state.textContent = STATE[l.state] || l.state || "";
  b.state.className = "badge state-" + (l.state || "");
  b.node.dataset.state = l.state || "";
  const c = l.counters || (l.households !== undefined ? { households: l.households, reached: l.reached, not_reached: l.not_reached, remaining: l.remaining } : null);
  if (c) for (const [k] of COUNTERS) {
    const v = b.counters.querySelector('[data-k="' + k + '"] .v');
    const text = String(c[k] === undefined || c[k] === null ? "–" : c[k]);
    if (v.textContent !== text) v.textContent = text;
  }
  const live_ = l.state === "running" || l.state === "paused";
  b.pause.hidden = l.state !== "running";
  b.resume.hidden = l.state !== "paused";
  b.cancel.hidden = !live_;
}

const LIVE_FIELDS = ["reached", "outcome", "attempts", "seconds_heard", "confirmed"];

/** 更新一户的行。live：来自 campaign.household（最新）；否则来自报表，报表可能比消息
 *  晚写入数据库，所以报表里尚未结束的结果不覆盖消息已给出的结果。 */
function setRow(b, r, live) {
  let row = b.rows.get(r.household_id);
  if (!row) {
    row = { data: { household_id: r.household_id }, tr: null, live: false };
    b.rows.set(r.household_id, row);
    if (live) scheduleReload(b);
  }
  if (live || !row.live || r.outcome) Object.assign(row.data, r);
  else for (const [k, v] of Object.entries(r)) if (!LIVE_FIELDS.includes(k)) row.data[k] = v;
  if (live) row.live = true;
  const d = row.data;
  const cells = [d.code || "#" + d.household_id, d.address || "", d.block || "", reachedText(d.reached),
    OUTCOME[d.outcome] || d.outcome || "待拨", d.attempts || 0, d.seconds_heard === null || d.seconds_heard === undefined ? "" : d.seconds_heard, d.confirmed || ""];
  if (!row.tr) {
    row.tr = el("tr", { "data-household": d.household_id }, cells.map((x) => el("td", {}, x)));
    b.tbody.append(row.tr);
  } else {
    cells.forEach((x, i) => { const td = row.tr.children[i]; if (td.textContent !== String(x)) td.textContent = x; });
  }
  row.tr.className = d.reached === true ? "yes" : d.reached === false ? "no" : "";
}

function scheduleReload(b) {
  if (b.reload) return;
  b.reload = setTimeout(() => { b.reload = null; loadReport(b); }, 1000);
}

async function loadReport(b) {
  try {
    const r = await api("GET", "/api/campaigns/" + b.live.id + "/report");
    for (const h of r.households) setRow(b, h);
  } catch (e) { if (e.status !== 401) toast(e.message); }
}

async function act(b, what) {
  try {
    const r = await api("POST", "/api/campaigns/" + b.live.id + "/" + what);
    setLive(b, { state: r.state });
  } catch (e) { toast(e.message); }
}

function confirmCancel(b) {
  const box = el("span", { class: "confirm" }, "确定取消？正在进行的通话会挂断。",
    el("button", { type: "button", name: "cancel-yes", onclick: () => { box.remove(); act(b, "cancel"); } }, "确定取消"),
    el("button", { type: "button", onclick: () => box.remove() }, "不取消"));
  b.cancel.after(box);
}

function csvCell(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

async function exportCsv(b) {
  try {
    const r = await api("GET", "/api/campaigns/" + b.live.id + "/report");
    const lines = [["户号", "地址", "片区", "包片主任", "是否通知到", "结果", "拨打次数", "收听秒数", "按键确认"].join(",")];
    for (const h of r.households) {
      lines.push([h.code, h.address, h.block, h.captain, reachedText(h.reached), OUTCOME[h.outcome] || h.outcome || "", h.attempts, h.seconds_heard, h.confirmed].map(csvCell).join(","));
    }
    const blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    const a = el("a", { href: URL.createObjectURL(blob), download: "群拨-" + b.live.id + ".csv" });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) { toast(e.message); }
}
