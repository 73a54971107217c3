// 通知录音（管理员）：群拨能用的全部通知录音（系统自带的和上传的）及其时长，每条都能在
// 本页试听（带令牌取回录音文件，网址里没有令牌）；上传新的录音（WAV 或 MP3）；停用不再
// 需要的录音（从列表和新群拨中去掉，用过它的群拨记录不受影响；正在群拨中使用的不能停用）。
// 只用 GET /api/notices、GET /api/notices/{名称}/audio、PUT 和 DELETE /api/notices/{名称}
// （docs/desk-protocol.md §9.4）。

import { api, upload } from "./api.js";
import { el, toast } from "./dom.js";
import { field, showError, clearErrors, confirmButton, audioPicker } from "./admin_form.js";
import { listenButton } from "./listen.js";
import { errorSlot } from "./form_errors.js";

const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const SOURCE = { prompt: "系统自带", uploaded: "上传" };
let box = null;

/** 画出通知录音。 */
export async function openNotices(container) {
  box = container;
  let r;
  try { r = await api("GET", "/api/notices"); }
  catch (e) { box.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  box.replaceChildren(
    el("p", { class: "muted" }, "群拨时播放给住户听的录音。点“试听”在本页播放；不再用的录音可以停用（已做过的群拨记录不受影响）。"),
    el("div", { class: "table-wrap" }, el("table", { class: "admin-table notices" },
      el("thead", {}, el("tr", {}, ["名称", "时长", "来源", "试听", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, r.notices.map(row)))),
    uploadForm());
}

function row(n) {
  const path = "/api/notices/" + encodeURIComponent(n.name) + "/audio";
  const retire = confirmButton("停用", "再点一次确认停用", async () => {
    try {
      await api("DELETE", "/api/notices/" + encodeURIComponent(n.name));
      toast("已停用通知录音 " + n.name);
      openNotices(box);
    } catch (e) { toast(e.message); }
  }, { class: "retire" });
  return el("tr", { "data-notice": n.name }, el("td", {}, n.name), el("td", {}, n.seconds + " 秒"),
    el("td", {}, SOURCE[n.source] || n.source),
    el("td", { class: "listen-cell" }, listenButton(path, "试听", "listen", "无法播放该录音")),
    el("td", { class: "row-actions" }, retire));
}

function uploadForm() {
  const name = el("input", { name: "name", maxlength: "40", placeholder: "如 water-cut" });
  const { picker, input: file } = audioPicker("notice");
  const form = el("form", { class: "admin-form inline upload-notice" },
    field("录音名称（小写字母、数字和 -）", name, "name"),
    el("div", { class: "af" }, el("span", {}, "录音文件 "), picker, errorSlot("notice")),
    el("div", { class: "err", "data-for": "other" }),
    el("button", { type: "submit", class: "primary" }, "上传"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const f = file.files && file.files[0];
    if (!f) { showError(form, { field: "notice", message: "请选择 WAV 或 MP3 文件" }); return; }
    if (!NAME.test(name.value.trim())) { showError(form, { field: "name", message: "录音名称只能用小写字母、数字和 -，最多 40 个字符" }); return; }
    try {
      const r = await upload("PUT", "/api/notices/" + name.value.trim(), f);
      toast("已上传录音 " + r.name + "（" + r.seconds + " 秒）");
      openNotices(box);
    } catch (e) { showError(form, e); }
  });
  return form;
}
