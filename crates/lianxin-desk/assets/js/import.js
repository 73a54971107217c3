// 住户名册导入（管理员）：选择居委会自己的 Excel（.xlsx）或 CSV 文件（UTF-8 或 GB18030），
// 先预览（POST /api/import/households?dry_run=true，什么都不写入）：将新增多少住户、居民、
// 电话号码，以及每一个有问题的行（行号、列、原因）；没有问题才能确认导入（dry_run=false，
// 全部导入或一条也不导入）。另可把整个名册导出为 Excel（带令牌取回文件再保存，令牌从不进网址）。

import { fetchBlob, upload } from "./api.js";
import { $, el, toast, DAY } from "./dom.js";

/** 读取方式的中文说明。 */
const READ_AS = { "xlsx": "Excel 工作簿（.xlsx）", "csv-utf8": "CSV（UTF-8 编码）", "csv-gb18030": "CSV（GB18030 编码）" };

let wired = false;
/** 预览过的文件和工作表；确认导入时原样再传一次。 */
let previewed = null;

/** 打开导入屏（第一次时连上按钮）。 */
export function openImport() {
  if (wired) return;
  wired = true;
  $("import-file").addEventListener("change", () => { previewed = null; clearResult(); });
  $("import-sheet").addEventListener("input", () => { previewed = null; clearResult(); });
  $("import-preview").addEventListener("click", preview);
  $("import-confirm").addEventListener("click", commit);
  $("import-export").addEventListener("click", exportRegister);
}

/** 清空（退出登录）：不留下任何住户资料。 */
export function clearImport() {
  previewed = null;
  const f = $("import-file");
  if (f) f.value = "";
  const s = $("import-sheet");
  if (s) s.value = "";
  clearResult();
  const x = $("import-export-status");
  if (x) x.textContent = "";
}

function clearResult() {
  $("import-result").replaceChildren();
  $("import-confirm").hidden = true;
  for (const e of document.querySelectorAll("#import-screen .err")) e.textContent = "";
}

/** 把服务器的错误显示在它指出的字段旁边。 */
function showError(e) {
  const field = e.field === "sheet" ? "sheet" : e.field === "role" ? "role" : "file";
  const slot = document.querySelector('#import-screen .err[data-for="' + field + '"]') ||
    document.querySelector('#import-screen .err[data-for="file"]');
  slot.textContent = e.message;
}

/** 上传地址：是否只预览、格式（按扩展名）、工作表和文件名。 */
function path(file, sheet, dryRun) {
  const q = new URLSearchParams({ dry_run: dryRun ? "true" : "false", name: file.name });
  const lower = file.name.toLowerCase();
  if (lower.endsWith(".xlsx")) q.set("format", "xlsx");
  else if (lower.endsWith(".csv")) q.set("format", "csv");
  if (sheet) q.set("sheet", sheet);
  return "/api/import/households?" + q.toString();
}

function counts(r) {
  return "新增住户 " + r.households + " 户，已有住户中 " + r.households_changed + " 户有变动，" +
    "新增居民 " + r.residents + " 人，新增电话号码 " + r.phones + " 个";
}

function badTable(bad) {
  return el("div", { class: "table-wrap" }, el("table", { class: "import-bad", id: "import-bad" },
    el("thead", {}, el("tr", {}, ["行号", "列", "问题"].map((h) => el("th", {}, h)))),
    el("tbody", {}, bad.map((b) => el("tr", { "data-line": b.line },
      el("td", { class: "line" }, "第 " + b.line + " 行"),
      el("td", {}, b.column || "—"),
      el("td", {}, b.message))))));
}

async function preview() {
  clearResult();
  const file = $("import-file").files[0];
  if (!file) { showError({ field: "file", message: "请先选择要导入的文件" }); return; }
  const sheet = $("import-sheet").value.trim();
  const btn = $("import-preview");
  btn.disabled = true;
  $("import-result").replaceChildren(el("p", { class: "muted" }, "正在检查文件，请稍候……"));
  try {
    const { report: r } = await upload("POST", path(file, sheet, true), file);
    const parts = [el("p", { class: "read-as" }, "已按 " + (READ_AS[r.read_as] || r.read_as) + " 读取「" + file.name + "」，有效行 " + r.rows + " 行。")];
    parts.push(el("p", { class: "import-counts", id: "import-counts" }, "预览：" + counts(r) + "。"));
    if (r.bad.length) {
      parts.push(el("p", { class: "err import-refused" }, "以下 " + r.bad.length + " 行有问题。有任何一行有问题就不会导入任何数据；请在文件中改正后重新选择文件预览。"));
      parts.push(badTable(r.bad));
    } else if (r.rows === 0) {
      parts.push(el("p", { class: "err" }, "文件里没有可以导入的行。"));
    } else {
      parts.push(el("p", { class: "ok" }, "文件没有问题，请核对上面的数字后点“确认导入”。"));
      previewed = { file, sheet };
      $("import-confirm").hidden = false;
    }
    $("import-result").replaceChildren(...parts);
  } catch (e) {
    $("import-result").replaceChildren();
    showError(e);
  } finally { btn.disabled = false; }
}

async function commit() {
  if (!previewed) return;
  const { file, sheet } = previewed;
  const btn = $("import-confirm");
  btn.disabled = true;
  try {
    const { report: r } = await upload("POST", path(file, sheet, false), file);
    previewed = null;
    btn.hidden = true;
    $("import-result").replaceChildren(el("p", { class: "ok import-done", id: "import-done" }, "已导入「" + file.name + "」：" + counts(r) + "。"));
    toast("住户名册已导入");
  } catch (e) {
    const bad = e.data && Array.isArray(e.data.bad) ? e.data.bad : null;
    if (bad) $("import-result").replaceChildren(el("p", { class: "err import-refused" }, e.message), badTable(bad));
    else showError(e);
  } finally { btn.disabled = false; }
}

async function exportRegister() {
  const btn = $("import-export");
  const status = $("import-export-status");
  btn.disabled = true;
  status.textContent = "正在导出……";
  try {
    const blob = await fetchBlob("/api/export/households?format=xlsx");
    const name = "住户名册-" + DAY.format(new Date()).replace(/\D/g, "") + ".xlsx";
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    status.textContent = "已导出 " + name + "（" + Math.ceil(blob.size / 1024) + " KB）";
  } catch (e) {
    status.textContent = "";
    showError(e);
  } finally { btn.disabled = false; }
}
