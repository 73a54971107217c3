// 统计屏（盘点）：选一个期间（本月、上月、今年、去年或自选日期，北京时间的日历日）和
// 诉求的分组方式，从 GET /api/reports/requests|visits|population 取数，画出合计、
// 条形图和表格，每张表可导出 CSV。督导、居委会和管理员看全社区，包片主任看自己的片区
// （由服务器按角色决定）。

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { presetPeriod, PRESETS } from "./period.js";
import { statBlock } from "./stats_table.js";
import { REQUEST_BY, groupWord, pct, num } from "./stats_labels.js";

let built = false, preset = "this_month", blocks = [], seq = 0;
const ui = {};

/** 打开统计屏：第一次建表单，然后按当前期间取数。 */
export function openStats() {
  if (!built) build();
  if (preset !== "custom") setDates(presetPeriod(preset));
  load();
}

/** 清空（退出登录）。 */
export function clearStats() {
  seq++;
  built = false; blocks = []; preset = "this_month";
  const box = $("stats");
  if (box) box.replaceChildren();
}

function setDates(p) { if (p) { ui.from.value = p.from; ui.to.value = p.to; } }

function build() {
  built = true;
  ui.presets = el("div", { class: "presets" }, PRESETS.map(([k, t]) => el("button", { type: "button", "data-preset": k, class: k === preset ? "on" : "" }, t)));
  ui.from = el("input", { type: "date", name: "from", "aria-label": "开始日期" });
  ui.to = el("input", { type: "date", name: "to", "aria-label": "结束日期" });
  ui.by = el("select", { name: "by", "aria-label": "诉求分组" }, REQUEST_BY.map(([k, t]) => el("option", { value: k }, "按" + t)));
  ui.go = el("button", { type: "submit", class: "primary" }, "查询");
  const err = (f) => el("div", { class: "err", "data-for": f });
  const form = el("form", { class: "stats-period" },
    ui.presets,
    el("div", { class: "dates" },
      el("label", {}, "从 ", ui.from, err("from")),
      el("label", {}, "到 ", ui.to, err("to")),
      el("label", {}, "诉求 ", ui.by, err("by")),
      ui.go),
    err("other"));
  for (const b of ui.presets.querySelectorAll("button")) {
    b.addEventListener("click", () => {
      preset = b.dataset.preset;
      for (const x of ui.presets.querySelectorAll("button")) x.classList.toggle("on", x === b);
      if (preset === "custom") { ui.from.focus(); return; }
      setDates(presetPeriod(preset));
      load();
    });
  }
  const custom = () => { preset = "custom"; for (const x of ui.presets.querySelectorAll("button")) x.classList.toggle("on", x.dataset.preset === "custom"); };
  ui.from.addEventListener("change", custom);
  ui.to.addEventListener("change", custom);
  ui.by.addEventListener("change", () => load());
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  ui.form = form;
  ui.summary = el("div", { class: "counters stats-summary" });
  ui.out = el("div", { class: "stats-out" });
  $("stats").replaceChildren(form, ui.summary, ui.out);
}

function showErrors(e) {
  for (const x of ui.form.querySelectorAll(".err")) x.textContent = "";
  if (!e) return;
  const box = ui.form.querySelector('.err[data-for="' + (e.field || "other") + '"]') || ui.form.querySelector('.err[data-for="other"]');
  box.textContent = e.message;
}

async function load() {
  const mine = ++seq;
  const q = "from=" + encodeURIComponent(ui.from.value) + "&to=" + encodeURIComponent(ui.to.value);
  const by = ui.by.value;
  $("stats").dataset.loaded = "";
  ui.go.disabled = true;
  try {
    const [req, vis, pop] = await Promise.all([
      api("GET", "/api/reports/requests?" + q + "&by=" + encodeURIComponent(by)),
      api("GET", "/api/reports/visits?" + q),
      api("GET", "/api/reports/population?" + q)]);
    if (mine !== seq) return;
    showErrors(null);
    render(req.report, vis.report, pop.report);
    $("stats").dataset.loaded = ui.from.value + "~" + ui.to.value + "~" + by;
  } catch (e) {
    if (mine === seq) { showErrors(e); ui.summary.replaceChildren(); ui.out.replaceChildren(); blocks = []; }
  } finally {
    if (mine === seq) ui.go.disabled = false;
  }
}

const tile = (k, label, v) => el("div", { class: "counter", "data-k": k }, el("span", { class: "v" }, v), el("span", { class: "k" }, label));

function render(req, vis, pop) {
  const t = req.total;
  const span = req.period.from + " 至 " + req.period.to;
  ui.summary.replaceChildren(
    tile("count", "诉求件数", String(t.count)), tile("closed", "已办结", String(t.closed)),
    tile("share_closed_by_deadline", "按期办结率", pct(t.share_closed_by_deadline)),
    tile("avg_hours_to_close", "平均办结（小时）", num(t.avg_hours_to_close)),
    tile("p90_hours_to_close", "90% 办结于（小时）", num(t.p90_hours_to_close)),
    tile("satisfaction_rate", "满意率", pct(t.satisfaction_rate)),
    tile("visits", "入户走访", String(vis.total)));
  const byWord = (REQUEST_BY.find(([k]) => k === req.by) || [req.by, req.by])[1];
  const reqCols = [[byWord, (r) => r === t ? "合计" : groupWord(req.by, r.group)], ["件数", (r) => String(r.count)], ["已办结", (r) => String(r.closed)],
    ["按期办结", (r) => String(r.closed_by_deadline)], ["按期办结率", (r) => pct(r.share_closed_by_deadline)],
    ["平均办结（小时）", (r) => num(r.avg_hours_to_close)], ["90% 办结于（小时）", (r) => num(r.p90_hours_to_close)],
    ["满意", (r) => String(r.satisfied)], ["不满意", (r) => String(r.not_satisfied)], ["满意率", (r) => pct(r.satisfaction_rate)]];
  const popTotal = pop.total;
  blocks = [
    statBlock({ key: "requests", title: "诉求统计（按" + byWord + "）", note: "期间内登记的诉求，" + span, columns: reqCols, rows: req.groups, total: t,
      group: (r) => r.group, file: "诉求统计-按" + byWord + "-" + req.period.from + "至" + req.period.to + ".csv",
      chart: { title: "诉求件数（按" + byWord + "）", label: (r) => groupWord(req.by, r.group), value: (r) => r.count } }),
    statBlock({ key: "visits", title: "入户走访（每位走访人）", note: span, rows: vis.visitors, total: null,
      columns: [["走访人", (r) => r.name || "（未记录）"], ["走访次数", (r) => String(r.count)], ["走访户数", (r) => String(r.households)]],
      group: (r) => r.name, file: "入户走访-" + req.period.from + "至" + req.period.to + ".csv",
      chart: { title: "走访次数", label: (r) => r.name || "（未记录）", value: (r) => r.count } }),
    statBlock({ key: "blocks", title: "人口概况（各片区老年人占比）", note: "截至 " + pop.on + "，60 岁及以上", rows: pop.blocks, total: popTotal,
      columns: [["片区", (r) => r === popTotal ? "合计" : groupWord("block", r.block)], ["户数", (r) => String(r.households)], ["人数", (r) => String(r.residents)],
        ["60 岁及以上", (r) => String(r.elderly)], ["老年人占比", (r) => pct(r.elderly_share)], ["出生日期不详", (r) => String(r.dob_unknown)]],
      group: (r) => r.block, file: "人口概况-片区-" + pop.on + ".csv",
      chart: { title: "老年人占比", label: (r) => groupWord("block", r.block), value: (r) => r.elderly_share, text: (r) => pct(r.elderly_share) } }),
    statBlock({ key: "groups", title: "各电话组户数", note: "截至 " + pop.on, rows: pop.groups, total: null,
      columns: [["电话组", (r) => r.group], ["户数", (r) => String(r.households)], ["占全部住户", (r) => pct(r.share)]],
      group: (r) => r.group, file: "电话组户数-" + pop.on + ".csv",
      chart: { title: "各电话组户数", label: (r) => r.group, value: (r) => r.households } }),
  ];
  ui.out.replaceChildren(...blocks.map((b) => b.node));
  redrawAll();
}

function redrawAll() {
  const box = $("stats");
  const w = box && box.clientWidth ? box.clientWidth - 28 : 600;
  for (const b of blocks) b.redraw(Math.min(w, 900));
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (blocks.length) redrawAll(); }, 200);
});
