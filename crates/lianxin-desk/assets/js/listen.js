// 在本页试听一段录音（语音留言、通知录音、提示音）：先是一个按钮，点了才带令牌取回录音
// （网址里没有令牌），换成播放器并开始播放。取不到时提示原因，按钮可以再点。

import { el, toast } from "./dom.js";
import { fetchBlob } from "./api.js";

/** 一个“试听”按钮和（点后出现的）播放器；label 是按钮上的字，cls 是按钮的 class。 */
export function listenButton(path, label, cls, failText) {
  const audio = el("audio", { controls: "", preload: "none" });
  audio.hidden = true;
  const btn = el("button", { type: "button", class: cls }, label);
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      if (audio.src) URL.revokeObjectURL(audio.src);
      audio.src = URL.createObjectURL(await fetchBlob(path));
      btn.hidden = true; audio.hidden = false;
      audio.play().catch(() => { /* 浏览器不允许自动播放时，点播放键即可 */ });
    } catch (e) {
      if (e.status !== 401) { toast(e.status ? (e.message || failText) : "无法连接服务器，请检查网络"); btn.disabled = false; }
    }
  });
  return el("div", { class: "player" }, btn, audio);
}
