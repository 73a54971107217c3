// 值班时间（管理员改，其他人可看）：全天值班，或工作日、周末各自的值班时段（北京时间），
// 节假日（全天不值班）和调休上班日（按工作日时段值班）。保存后下一个来电起就按新时间，
// 不用重启服务器。只用 GET/PUT /api/opening-hours（docs/desk-protocol.md §13.3）。

import { api } from "./api.js";
import { el, toast } from "./dom.js";
import { showError, clearErrors } from "./admin_form.js";

let box = null;

/** 画出值班时间表单。 */
export async function openHours(container) {
  box = container;
  let r;
  try { r = await api("GET", "/api/opening-hours"); }
  catch (e) { box.replaceChildren(el("p", { class: "err" }, e.message)); return; }
  box.replaceChildren(form(r.hours));
}

/** 一种日子（工作日或周末）：是否值班和起止时间。 */
function spanFields(name, label, span) {
  const on = el("input", { type: "checkbox", name: name + "-on", checked: span ? "" : null });
  const open = el("input", { type: "time", name: name + "-open", value: span ? span.open : "08:30" });
  const close = el("input", { type: "time", name: name + "-close", value: span ? span.close : "17:30" });
  const times = el("span", { class: "times" }, open, " 至 ", close);
  const sync = () => { times.hidden = !on.checked; };
  on.addEventListener("change", sync);
  sync();
  const part = el("div", { class: "af", "data-span": name },
    el("label", { class: "check-inline" }, on, " " + label + "值班"), " ", times,
    el("div", { class: "err", "data-for": name }));
  part.value = () => (on.checked ? { open: open.value, close: close.value } : null);
  return part;
}

/** 日期列表：选日期加入，点 × 去掉。 */
function dateList(name, label, dates) {
  let list = [...dates];
  const chips = el("div", { class: "chips" });
  const pick = el("input", { type: "date", name: name + "-pick" });
  const draw = () => chips.replaceChildren(...(list.length ? list.map((d) => el("span", { class: "chip", "data-date": d }, d,
    el("button", { type: "button", class: "x", "aria-label": "去掉 " + d, onclick: () => { list = list.filter((x) => x !== d); draw(); } }, "×"))) : [el("span", { class: "muted" }, "（无）")]));
  const add = el("button", { type: "button", class: "add-date", onclick: () => {
    if (pick.value && !list.includes(pick.value)) { list.push(pick.value); list.sort(); draw(); }
  } }, "加入");
  draw();
  const part = el("div", { class: "af", "data-dates": name }, el("div", {}, label), chips, el("div", { class: "actions" }, pick, add),
    el("div", { class: "err", "data-for": name }));
  part.value = () => list;
  return part;
}

function form(h) {
  const always = el("input", { type: "checkbox", name: "always", checked: h.always ? "" : null });
  const weekdays = spanFields("weekdays", "周一至周五", h.weekdays);
  const weekends = spanFields("weekends", "周六、周日", h.weekends);
  const holidays = dateList("holidays", "节假日（全天不值班）", h.holidays || []);
  const working = dateList("working_days", "调休上班日（周末按工作日时段值班）", h.working_days || []);
  const detail = el("div", { class: "hours-detail" }, weekdays, weekends, holidays, working);
  const sync = () => { detail.hidden = always.checked; };
  always.addEventListener("change", sync);
  sync();
  const saved = el("p", { class: "ok saved", role: "status" });
  const f = el("form", { class: "admin-form hours-form" },
    el("p", { class: "muted" }, "时间均为北京时间。不在值班时间的来电会听到非工作时间提示，可以留言。保存后下一个来电起生效。"),
    el("div", { class: "af" }, el("label", { class: "check-inline" }, always, " 全天 24 小时值班"), el("div", { class: "err", "data-for": "always" })),
    detail,
    el("div", { class: "err", "data-for": "other" }),
    el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "保存值班时间")),
    saved);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(f);
    saved.textContent = "";
    const body = { always: always.checked, weekdays: weekdays.value(), weekends: weekends.value(), holidays: holidays.value(), working_days: working.value() };
    try {
      await api("PUT", "/api/opening-hours", body);
      saved.textContent = "已保存，下一个来电起按新的值班时间接听。";
      toast("值班时间已保存");
    } catch (e) { showError(f, e); }
  });
  return f;
}
