// 待处理语音留言：列表、播放（带令牌取回录音后在本页播放，令牌不进网址）、标记已处理
// （POST /api/voice-messages/{id}/handled）。

import { api } from "./api.js";
import { listenButton } from "./listen.js";
import { $, el, fmt, toast } from "./dom.js";
import { voiceRequestButton } from "./voice_request.js";

/** 从服务器载入未处理的留言。 */
export async function loadVoiceMessages() {
  try {
    const r = await api("GET", "/api/voice-messages?open=true");
    $("vms").replaceChildren();
    if (!r.voice_messages.length) $("vms").append(el("p", { class: "empty" }, "暂无留言"));
    for (const v of r.voice_messages) addVoiceMessage(v, false);
  } catch (e) { /* 401 已处理 */ }
}

/** 清空列表（退出登录）。 */
export function clearVoiceMessages() {
  $("vms").replaceChildren(el("p", { class: "empty" }, "暂无留言"));
}

/** 加一条留言；fresh 为新到的（放在最上面并提示）。 */
export function addVoiceMessage(v, fresh) {
  const box = $("vms");
  const empty = box.querySelector(".empty"); if (empty) empty.remove();
  const item = el("div", { class: "vm", "data-vm": v.id },
    el("div", {}, el("b", {}, v.caller_raw || "未显示号码"), " ", el("span", { class: "muted" }, fmt(v.received_at) + " · " + v.duration_s + " 秒")),
    v.household_label ? el("div", { class: "muted" }, v.household_label) : null,
    el("div", { class: "vm-actions" }, audioPlayer(v.id), handledButton(v.id)));
  item.querySelector(".vm-actions").append(voiceRequestButton(v.id, item, () => { item.remove(); if (!box.children.length) clearVoiceMessages(); }));
  if (fresh) { box.prepend(item); toast("收到新的语音留言"); } else box.append(item);
}

function audioPlayer(id) {
  return listenButton("/api/voice-messages/" + id + "/audio", "播放留言", "play", "无法播放该留言");
}

function handledButton(id) {
  const btn = el("button", { type: "button", class: "handled" }, "标记已处理");
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      await api("POST", "/api/voice-messages/" + id + "/handled");
      const item = $("vms").querySelector('[data-vm="' + id + '"]');
      if (item) item.remove();
      if (!$("vms").children.length) clearVoiceMessages();
      toast("留言已标记为已处理");
    } catch (e) {
      if (e.status !== 401) toast(e.message);
      btn.disabled = false;
    }
  });
  return btn;
}
