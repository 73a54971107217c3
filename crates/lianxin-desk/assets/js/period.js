// 统计期间：本月、上月、今年、去年或自选日期，都是北京时间（Asia/Shanghai）的日历日，
// 起止两天都算在内（docs/desk-protocol.md §11.1）。只算日期，不访问服务器。

const YMD = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" });

/** 北京时间的今天，YYYY-MM-DD。 */
export function todayInShanghai(now) {
  return YMD.format(now || new Date());
}

const pad = (n) => String(n).padStart(2, "0");
const ymd = (y, m, d) => y + "-" + pad(m) + "-" + pad(d);
/** 某年某月（1–12）有几天。 */
const daysIn = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** 预设期间的起止日期：this_month、last_month、this_year、last_year。 */
export function presetPeriod(name, now) {
  const [y, m] = todayInShanghai(now).split("-").map(Number);
  const today = todayInShanghai(now);
  switch (name) {
    case "this_month": return { from: ymd(y, m, 1), to: today };
    case "last_month": {
      const [py, pm] = m === 1 ? [y - 1, 12] : [y, m - 1];
      return { from: ymd(py, pm, 1), to: ymd(py, pm, daysIn(py, pm)) };
    }
    case "this_year": return { from: ymd(y, 1, 1), to: today };
    case "last_year": return { from: ymd(y - 1, 1, 1), to: ymd(y - 1, 12, 31) };
    default: return null;
  }
}

export const PRESETS = [["this_month", "本月"], ["last_month", "上月"], ["this_year", "今年"], ["last_year", "去年"], ["custom", "自选日期"]];
