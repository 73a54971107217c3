// 语音留言“转为诉求”：取草稿（GET /api/voice-messages/{id}/draft：来电人的住户、号码、
// 留言时间），补上类别和内容后登记；服务器同时把留言标记为已处理，诉求的期限从留言时算起。

import { api } from "./api.js";
import { el, toast } from "./dom.js";
import { requestForm } from "./request_form.js";

/** 一条留言的“转为诉求”按钮；done() 在诉求登记好之后调用（留言离开待处理列表）。 */
export function voiceRequestButton(id, item, done) {
  const btn = el("button", { type: "button", class: "to-request" }, "转为诉求");
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      const d = (await api("GET", "/api/voice-messages/" + id + "/draft")).draft;
      const household = d.household_id ? (await api("GET", "/api/households/" + d.household_id)).household : null;
      const form = requestForm({
        household, channel: d.channel || "phone", call_id: d.call_id, caller_number: d.caller_number,
        voice_message_id: d.voice_message_id, title: "留言转为诉求",
        onCreated: (r) => { toast("留言已转为诉求（第 " + r.id + " 号）"); done(r); },
      });
      btn.hidden = true;
      item.append(form);
    } catch (e) {
      if (e.status !== 401) toast(e.message);
      btn.disabled = false;
    }
  });
  return btn;
}
