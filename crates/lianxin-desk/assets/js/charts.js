// 页面里画的条形图：用 JS 直接拼 SVG（不用外部图表库，也不连外网）。一组数据一根横条，
// 左边是组名，右边是数值；按容器的实际宽度画，所以手机上文字不会缩小。

const SVG = "http://www.w3.org/2000/svg";
const ROW = 30, BAR = 20, FONT = 15;

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** 文字大约占多宽（汉字一个字号宽，其余半个多）。 */
function textWidth(s) {
  let w = 0;
  for (const ch of s) w += ch.charCodeAt(0) > 0x2e80 ? FONT : FONT * 0.6;
  return w;
}

/** 截到 max 像素宽，截掉的部分用"…"表示。 */
function fit(s, max) {
  if (textWidth(s) <= max) return s;
  let out = "";
  for (const ch of s) {
    if (textWidth(out + ch + "…") > max) break;
    out += ch;
  }
  return out + "…";
}

/**
 * 画一张横向条形图。rows：[{ label, value, text }]（value 是数，text 是显示在条后的字，
 * 默认就是 value）；width：像素宽。每根条是一个 rect.bar，带 data-label，悬停显示全名和数值。
 */
export function barChart(rows, width, title) {
  const w = Math.max(280, Math.round(width || 600));
  const labelW = Math.min(Math.round(w * 0.36), 220);
  const valueW = 86;
  const barMax = Math.max(40, w - labelW - valueW - 16);
  const max = Math.max(0, ...rows.map((r) => Number(r.value) || 0));
  const h = Math.max(ROW, rows.length * ROW) + 8;
  const root = svg("svg", { class: "chart", width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img", "aria-label": title || "条形图" });
  if (title) root.append(svg("title", {}, title));
  rows.forEach((r, i) => {
    const y = i * ROW + 4;
    const v = Number(r.value) || 0;
    const len = max > 0 ? Math.max(v > 0 ? 2 : 0, Math.round(barMax * v / max)) : 0;
    const label = String(r.label);
    const shown = r.text === undefined ? String(r.value) : String(r.text);
    const g = svg("g", { class: "chart-row" });
    g.append(svg("title", {}, label + "：" + shown));
    g.append(svg("text", { x: labelW - 8, y: y + BAR - 5, "text-anchor": "end", class: "chart-label" }, fit(label, labelW - 12)));
    g.append(svg("rect", { class: "bar", x: labelW, y, width: len, height: BAR, rx: 3, "data-label": label, "data-value": v }));
    g.append(svg("text", { x: labelW + len + 6, y: y + BAR - 5, class: "chart-value" }, shown));
    root.append(g);
  });
  return root;
}
