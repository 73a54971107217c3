// 督导台的实时通话清单：由 hello.calls、calls.snapshot 和 call.* 消息维护的一张表
// （call_id → 来电卡片），结束的通话立即移出。只有数据，不画页面；时间按服务器时钟算
// （hello 里的 server_time 给出本机与服务器的时差）。

const live = new Map();
let offset = 0;

/** 服务器现在的时间（毫秒）。 */
export function serverNow() { return Date.now() + offset; }

/** 记下服务器时间（hello.server_time），用于计算等候和通话时长。 */
export function syncClock(serverTime) {
  const t = Date.parse(serverTime || "");
  if (!isNaN(t)) offset = t - Date.now();
}

/** 换成这份清单（hello、calls.snapshot）。 */
export function replaceLive(list) {
  live.clear();
  for (const c of list || []) live.set(c.call_id, Object.assign({}, c));
}

/** 清空（退出登录、不再值班）。 */
export function clearLive() { live.clear(); }

/** 处理一个 call.* 消息；返回清单是否变了。 */
export function applyCallFrame(m) {
  const c = live.get(m.call_id);
  switch (m.type) {
    case "call.ringing":
      live.set(m.call_id, { call_id: m.call_id, number_dialled: m.number_dialled, caller_raw: m.caller_raw, arrived_at: m.arrived_at, pop: m.pop, status: "ringing" });
      return true;
    case "call.queued":
      if (!c) return false;
      if (c.status !== "queued") c.queued_at = m.at;
      Object.assign(c, { status: "queued", queue_position: m.position });
      return true;
    case "call.offered":
      if (!c) return false;
      Object.assign(c, { status: "offered", operator: m.operator, queue_position: null });
      return true;
    case "call.answered":
      if (!c) return false;
      Object.assign(c, { status: "answered", operator: m.operator, answered_at: m.at, queue_position: null });
      return true;
    case "call.ended": return live.delete(m.call_id);
    default: return false;
  }
}

/** 进行中的通话，按来电时间排。 */
export function liveCalls() {
  return [...live.values()].sort((a, b) => String(a.arrived_at).localeCompare(String(b.arrived_at)));
}

/** 排队的来电，按位次排。 */
export function queuedCalls() {
  return liveCalls().filter((c) => c.status === "queued").sort((a, b) => (a.queue_position || 99999) - (b.queue_position || 99999));
}

/** 从 since（RFC 3339）到现在的时长，"分:秒"或"时:分:秒"。 */
export function since(t) {
  const ms = Date.parse(t || "");
  if (isNaN(ms)) return "";
  const s = Math.max(0, Math.floor((serverNow() - ms) / 1000));
  const two = (n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return (h ? h + ":" + two(m) : String(m)) + ":" + two(s % 60);
}

/** 来电人的住户（弹屏资料）：地址和登记此号码的人；未登记、共用号码时说明；
 *  消息里没有住户资料（督导离开时、管理员）时是"—"。 */
export function householdOf(c) {
  if (c.pop === undefined) return "—"; // 不接听的人看不到住户资料（服务器没有发）
  const matches = (c.pop && Array.isArray(c.pop.matches)) ? c.pop.matches : [];
  if (!matches.length) return "未登记号码";
  if (matches.length > 1) return "共用号码（" + matches.length + " 户）：" + matches.map((h) => h.address).join("、");
  const h = matches[0];
  const owners = (h.members || []).filter((p) => p.owns_number).map((p) => p.name);
  const names = owners.length ? owners : (h.members || []).slice(0, 1).map((p) => p.name);
  return (h.address || "") + (names.length ? " · " + names.join("、") : "");
}
