// 来电铃声：用浏览器自带的 Web Audio 合成（不需要声音文件，不访问外部网络）。
// 浏览器只允许用户操作过的页面发声，所以在第一次点击或按键时准备好声音。

let ctx = null;

function unlock() {
  if (ctx) return;
  const AC = window.AudioContext || window.webkitAudioContext;
  if (AC) ctx = new AC();
}
document.addEventListener("click", unlock, { capture: true });
document.addEventListener("keydown", unlock, { capture: true });

/** 响两声铃（约 1.5 秒）。 */
export function ring() {
  if (!ctx) return;
  if (ctx.state === "suspended") ctx.resume().catch(() => {});
  const now = ctx.currentTime;
  for (const start of [0, 0.8]) {
    const osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.setValueAtTime(880, now + start);
    osc.frequency.setValueAtTime(660, now + start + 0.2);
    gain.gain.setValueAtTime(0.0001, now + start);
    gain.gain.exponentialRampToValueAtTime(0.3, now + start + 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.5);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + start);
    osc.stop(now + start + 0.55);
  }
}
