// 提示音（管理员）：热线接通后播放的各段录音——欢迎语、按键菜单、排队、留言、非工作时间、
// 结束语，以及群拨和回访用的提示。每段都能试听；上传居委会自己录的声音（WAV 或 MP3，
// 最长 2 分钟）替换它，下一通来电就听到新的，不必重启；“恢复默认”换回系统自带的录音。
// 只用 GET /api/prompts、GET /api/prompts/{名称}/audio、PUT 和 DELETE /api/prompts/{名称}
// （docs/desk-protocol.md §13.4）。

import { api, upload } from "./api.js";
import { el, toast } from "./dom.js";
import { showError, clearErrors, confirmButton, audioPicker } from "./admin_form.js";
import { errorSlot } from "./form_errors.js";
import { listenButton } from "./listen.js";

/** 每段提示音的用途（按来电人听到的顺序）。 */
const LABEL = {
  greeting: ["欢迎语", "接通后首先播放"],
  menu: ["按键菜单", "人工服务请按1，留言请按2……"],
  please_hold: ["请稍候", "排队等候值班员时"],
  all_busy: ["值班员忙", "无人接听、转去留言前"],
  leave_message: ["留言提示", "请在提示音后留言"],
  after_hours: ["非工作时间", "值班时间以外来电时"],
  goodbye: ["结束语", "挂机前"],
  confirm_heard: ["确认收听", "群拨通知播完后：请按1确认"],
  return_visit: ["回访满意度", "自动回访：满意请按1，不满意请按2"],
};

let box = null;

/** 画出提示音列表。 */
export async function openPrompts(container) {
  box = container;
  let r;
  try { r = await api("GET", "/api/prompts"); }
  catch (e) { box.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  box.replaceChildren(
    el("p", { class: "muted" }, "来电人听到的各段录音。可以上传居委会自己录的声音替换（WAV 或 MP3，最长 2 分钟），下一通来电起生效。"),
    el("div", { class: "table-wrap" }, el("table", { class: "admin-table prompts" },
      el("thead", {}, el("tr", {}, ["提示音", "时长", "当前录音", "试听", "替换"].map((h) => el("th", {}, h)))),
      el("tbody", {}, r.prompts.map(row)))));
}

function row(p) {
  const [label, when] = LABEL[p.name] || [p.name, ""];
  const path = "/api/prompts/" + encodeURIComponent(p.name);
  const actions = el("td", { class: "row-actions" }, replaceForm(p));
  if (p.replaced) {
    actions.append(confirmButton("恢复默认", "再点一次恢复", async () => {
      try {
        await api("DELETE", path);
        toast("已恢复系统自带的“" + label + "”");
        openPrompts(box);
      } catch (e) { toast(e.message); }
    }, { class: "restore" }));
  }
  return el("tr", { "data-prompt": p.name, class: p.replaced ? "replaced" : "" },
    el("td", {}, el("strong", {}, label), el("div", { class: "muted" }, when)),
    el("td", {}, p.seconds + " 秒"),
    el("td", { class: "source" }, p.replaced ? "已替换" : "系统自带"),
    el("td", { class: "listen-cell" }, listenButton(path + "/audio", "试听", "listen", "无法播放该提示音")),
    actions);
}

function replaceForm(p) {
  const { picker, input: file } = audioPicker("prompt");
  const form = el("form", { class: "replace-prompt" }, picker,
    el("button", { type: "submit" }, "上传替换"), errorSlot("prompt"), errorSlot("name"), errorSlot("other"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const f = file.files && file.files[0];
    if (!f) { showError(form, { field: "prompt", message: "请选择 WAV 或 MP3 文件" }); return; }
    try {
      const r = await upload("PUT", "/api/prompts/" + encodeURIComponent(p.name), f);
      toast("已替换“" + (LABEL[r.name] || [r.name])[0] + "”（" + r.seconds + " 秒），下一通来电起播放");
      openPrompts(box);
    } catch (e) { showError(form, e); }
  });
  return form;
}
