// 页面通用的小工具：建元素、提示条、北京时间格式化和各种中文标签。
// 不访问服务器，不保存状态。

/** 所有时间按北京时间（Asia/Shanghai）显示。 */
const TZ = "Asia/Shanghai";
export const FULL = new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
export const DAY = new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit" });
export const CLOCK = new Intl.DateTimeFormat("zh-CN", { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });

/** 把 RFC 3339 时间格式化为北京时间；无效时为空串。 */
export function fmt(s, f) {
  if (!s) return "";
  const d = new Date(s);
  return isNaN(d) ? "" : (f || FULL).format(d);
}

export const STATE_LABEL = { available: "空闲", busy: "忙碌", after_call: "话后处理", away: "离开" };
export const ROLE_LABEL = { operator: "值班员", captain: "包片主任", committee: "居委会", supervisor: "街道督导", admin: "管理员" };
export const OUTCOME_LABEL = { answered: "已接听", abandoned: "来电人挂断", voice_message: "已留言", rejected: "未受理", failed: "通话失败" };
export const ALARM_LABEL = { red: "红", orange: "橙", green: "绿" };
export const SEX_LABEL = { female: "女", male: "男" };

export const $ = (id) => document.getElementById(id);

/** 建一个元素：属性（class、on* 事件、其他属性）和子节点（字符串或节点，可嵌套数组）。 */
export function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
  }
  for (const k of kids.flat(Infinity)) if (k !== null && k !== undefined && k !== "") e.append(k instanceof Node ? k : String(k));
  return e;
}

let toastTimer = null;
/** 屏幕下方显示几秒钟的提示。 */
export function toast(msg) {
  const t = $("toast");
  t.textContent = msg;
  t.style.display = "block";
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.style.display = "none"), 4000);
}
