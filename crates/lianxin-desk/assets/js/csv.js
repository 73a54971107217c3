// 在页面里生成 CSV 并下载：UTF-8 加 BOM（中文版 Windows 上的 Excel 才能正确识别中文），
// 行尾 CRLF，含逗号、引号或换行的格子加引号。

function cell(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** 行（每行一个数组）拼成 CSV 文本（不含 BOM）。 */
export function csvText(rows) {
  return rows.map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

/** 把这些行作为 CSV 文件 name 下载（浏览器的"另存为"，不经过服务器）。 */
export function downloadCsv(name, rows) {
  const blob = new Blob(["\ufeff" + csvText(rows)], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
