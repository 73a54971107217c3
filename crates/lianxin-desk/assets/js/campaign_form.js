// 发起电话群拨：选电话组（带户数）、选通知录音或上传一段并在本页试听、选项、预览
// （户数、号码数、呼叫数），确认后开始。只用 /api/phone-groups、/api/notices、
// /api/campaigns/preview 和 POST /api/campaigns（docs/desk-protocol.md §9）。

import { api, upload } from "./api.js";
import { el, toast } from "./dom.js";

const NOTICE_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

function numberField(name, label, hint, attrs) {
  return el("label", { class: "opt" }, label, el("input", Object.assign({ name, type: "number", placeholder: hint }, attrs || {})));
}

/** 建发起表单；onStarted(id) 在群拨开始后调用。 */
export function campaignForm(onStarted) {
  const err = el("div", { class: "err", role: "alert" });
  const groups = el("div", { class: "groups" }, el("p", { class: "muted" }, "正在载入电话组…"));
  const notice = el("select", { name: "notice", "aria-label": "通知录音" });
  const file = el("input", { type: "file", accept: ".wav,.mp3,audio/wav,audio/mpeg", name: "file" });
  const fileName = el("input", { name: "upload-name", placeholder: "录音名称，如 water-cut" });
  const player = el("audio", { controls: "", class: "listen" });
  player.hidden = true;
  const name = el("input", { name: "name", placeholder: "不填则自动命名", maxlength: "100" });
  const windowSel = el("select", { name: "window" },
    el("option", { value: "" }, "按服务器默认时段"),
    el("option", { value: "any" }, "全天（不限时段）"),
    el("option", { value: "custom" }, "自定义"));
  const from = el("input", { type: "time", name: "from", value: "08:00" });
  const to = el("input", { type: "time", name: "to", value: "20:00" });
  const custom = el("span", { class: "custom-window" }, from, " 至 ", to);
  custom.hidden = true;
  windowSel.addEventListener("change", () => { custom.hidden = windowSel.value !== "custom"; });
  const strategy = el("select", { name: "strategy" },
    el("option", { value: "" }, "按服务器默认"),
    el("option", { value: "first" }, "只拨第一个号码（座机优先）"),
    el("option", { value: "each" }, "逐个号码拨，直到有人接听"));
  const urgent = el("input", { type: "checkbox", name: "urgent" });
  const confirmKey = el("input", { type: "checkbox", name: "confirm_key" });
  const preview = el("div", { class: "preview" });
  const previewBtn = el("button", { type: "submit", class: "primary", name: "preview" }, "预览");

  // 上传前在本页试听所选文件。
  file.addEventListener("change", () => {
    const f = file.files && file.files[0];
    if (!f) { player.hidden = true; return; }
    if (player.src) URL.revokeObjectURL(player.src);
    player.src = URL.createObjectURL(f);
    player.hidden = false;
    if (!fileName.value) fileName.value = f.name.replace(/\.[^.]*$/, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  });
  const uploadBtn = el("button", { type: "button", name: "upload" }, "上传");
  uploadBtn.addEventListener("click", async () => {
    const f = file.files && file.files[0];
    if (!f) { toast("请先选择 WAV 或 MP3 文件"); return; }
    if (!NOTICE_NAME.test(fileName.value)) { err.textContent = "录音名称只能用小写字母、数字和 -，最多 40 个字符"; return; }
    uploadBtn.disabled = true;
    try {
      const r = await upload("PUT", "/api/notices/" + fileName.value, f);
      toast("已上传录音 " + r.name + "（" + r.seconds + " 秒）");
      await loadNotices(r.name);
    } catch (e) { err.textContent = e.message; }
    finally { uploadBtn.disabled = false; }
  });

  async function loadNotices(select) {
    try {
      const r = await api("GET", "/api/notices");
      notice.replaceChildren(...r.notices.map((n) => el("option", { value: n.name }, n.name + "（" + n.seconds + " 秒" + (n.source === "uploaded" ? "，上传" : "") + "）")));
      if (select) notice.value = select;
    } catch (e) { err.textContent = e.message; }
  }
  async function loadGroups() {
    try {
      const r = await api("GET", "/api/phone-groups");
      groups.replaceChildren(...(r.groups.length ? r.groups.map((g) => el("label", { class: "group" },
        el("input", { type: "checkbox", value: g.name, "data-households": g.households }), " " + g.name + "（" + g.households + " 户）")) : [el("p", { class: "muted" }, "还没有电话组")]));
    } catch (e) { groups.replaceChildren(el("p", { class: "err" }, e.message)); }
  }

  function request() {
    const body = { groups: [...groups.querySelectorAll("input:checked")].map((i) => i.value), notice: notice.value };
    if (name.value.trim()) body.name = name.value.trim();
    for (const f of form.querySelectorAll("input[type=number]")) if (f.value !== "") body[f.name] = Number(f.value);
    if (strategy.value) body.strategy = strategy.value;
    if (windowSel.value === "any") body.window = null;
    if (windowSel.value === "custom") body.window = [from.value, to.value];
    if (urgent.checked) body.urgent = true;
    if (confirmKey.checked) body.confirm_key = true;
    return body;
  }

  function showPreview(p, body) {
    const s = p.settings || {};
    const start = el("button", { type: "button", class: "primary", name: "start" }, "确认并开始");
    const back = el("button", { type: "button", name: "back" }, "修改");
    back.addEventListener("click", () => preview.replaceChildren());
    start.addEventListener("click", async () => {
      start.disabled = true;
      try {
        const r = await api("POST", "/api/campaigns", body);
        preview.replaceChildren();
        toast("群拨已开始：" + r.households + " 户");
        onStarted(r.id);
      } catch (e) { err.textContent = e.message; start.disabled = false; }
    });
    preview.replaceChildren(el("div", { class: "preview-box" },
      el("h3", {}, "预览：" + p.name),
      el("p", { class: "figures" },
        el("b", { class: "pv-households" }, p.households), " 户，", el("b", {}, p.numbers), " 个号码；第一轮呼叫 ",
        el("b", { class: "pv-calls" }, p.calls), " 次，含重拨最多 ", el("b", {}, p.max_calls), " 次。"),
        p.without_number ? el("p", { class: "muted" }, p.without_number + " 户没有电话，不会拨打。") : null,
        (p.opted_out || []).length ? el("p", { class: "muted" }, p.opted_out.length + " 户不接收非紧急通知：" + p.opted_out.map((o) => o.address).join("、")) : null,
        el("p", { class: "muted" }, "通知 " + p.notice + " · 同时最多 " + s.max_calls + " 路 · 每秒 " + (s.calls_per_second || "不限") + " 个新呼叫 · 振铃 " + s.ring_timeout_s + " 秒 · 重拨 " + s.retries + " 次（间隔 " + s.retry_pause_s + " 秒）· " +
          (s.window ? "时段 " + s.window.join("–") : "不限时段") + (s.urgent ? " · 紧急" : "") + (s.confirm_key ? " · 按 1 确认" : "")),
        el("div", { class: "actions" }, start, back)));
  }

  const form = el("form", { class: "campaign-form", novalidate: "" },
    el("fieldset", {}, el("legend", {}, "1. 选择电话组"), groups),
    el("fieldset", {}, el("legend", {}, "2. 通知录音"),
      el("label", { class: "opt" }, "已有录音", notice),
      el("div", { class: "upload" }, el("span", { class: "muted" }, "或上传新录音（WAV 或 MP3，可先试听）："), file, fileName, uploadBtn),
      player),
    el("fieldset", { class: "options" }, el("legend", {}, "3. 选项（不填按默认）"),
      el("label", { class: "opt" }, "名称", name),
      numberField("max_calls", "同时最多通话", "1–800", { min: "1", max: "800" }),
      numberField("calls_per_second", "每秒新呼叫", "0 为不限", { min: "0", max: "1000" }),
      numberField("ring_timeout_s", "振铃超时（秒）", "5–120", { min: "5", max: "120" }),
      numberField("retries", "重拨次数", "0–5", { min: "0", max: "5" }),
      numberField("retry_pause_s", "重拨间隔（秒）", "10–86400", { min: "10", max: "86400" }),
      el("label", { class: "opt" }, "拨号方式", strategy),
      el("label", { class: "opt" }, "呼叫时段", windowSel, custom),
      el("label", { class: "check" }, urgent, " 紧急通知（不受时段和“不接收通知”限制）"),
      el("label", { class: "check" }, confirmKey, " 通知结束后请居民按 1 确认收听")),
    err,
    el("div", { class: "actions" }, previewBtn),
    preview);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const body = request();
    if (!body.groups.length) { err.textContent = "请至少选择一个电话组"; return; }
    if (!body.notice) { err.textContent = "请选择通知录音"; return; }
    previewBtn.disabled = true;
    try { showPreview(await api("POST", "/api/campaigns/preview", body), body); }
    catch (e) { err.textContent = e.message; preview.replaceChildren(); }
    finally { previewBtn.disabled = false; }
  });
  loadGroups();
  loadNotices();
  return form;
}
