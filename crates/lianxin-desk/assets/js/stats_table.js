// 统计屏上的一块报表：标题、条形图（每组一根条）、表格（每组一行，最后一行合计）和
// "导出 CSV"按钮。图、表和 CSV 都来自同一份服务器 JSON，CSV 就是表格上显示的内容。

import { el } from "./dom.js";
import { barChart } from "./charts.js";
import { downloadCsv } from "./csv.js";

/**
 * spec: { key, title, note, columns: [[表头, row => 文字]], rows, total, group: row => 原始组名,
 *         chart: { title, label: row => 文字, value: row => 数, text: row => 文字 }, file }
 * 返回 { node, redraw }：redraw(width) 按新宽度重画图。
 */
export function statBlock(spec) {
  const cells = (r) => spec.columns.map(([, f]) => f(r));
  const head = spec.columns.map(([h]) => h);
  const body = spec.rows.map((r) => el("tr", { "data-group": spec.group(r) }, cells(r).map((c) => el("td", {}, c))));
  const foot = spec.total ? el("tr", { class: "total" }, cells(spec.total).map((c) => el("td", {}, c))) : null;
  const chartBox = el("div", { class: "chart-box" });
  const csv = el("button", { type: "button", class: "csv" }, "导出 CSV");
  csv.addEventListener("click", () => {
    const rows = [head, ...spec.rows.map(cells)];
    if (spec.total) rows.push(cells(spec.total));
    downloadCsv(spec.file, rows);
  });
  const table = spec.rows.length
    ? el("div", { class: "table-wrap" }, el("table", { class: "stat-table" },
      el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
      el("tbody", {}, body, foot)))
    : el("p", { class: "empty" }, "这段时间没有数据");
  const node = el("section", { class: "stat-block", "data-report": spec.key },
    el("div", { class: "stat-head" }, el("h3", {}, spec.title), spec.note ? el("span", { class: "muted" }, spec.note) : null,
      el("span", { class: "spacer" }), spec.rows.length ? csv : null),
    spec.rows.length ? chartBox : null,
    table);
  const redraw = (width) => {
    if (!spec.rows.length) return;
    const c = spec.chart;
    chartBox.replaceChildren(barChart(spec.rows.map((r) => ({ label: c.label(r), value: c.value(r), text: c.text ? c.text(r) : undefined })), width, c.title));
  };
  return { node, redraw };
}
