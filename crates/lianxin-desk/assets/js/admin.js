// 系统设置（只有管理员看到）：上方一排小标签切换各项管理——人员与角色、诉求类别与部门、
// 电话组、通知录音、提示音、值班时间；每项的内容由各自的模块（admin_*.js）画出。

import { $, el } from "./dom.js";
import { openStaff } from "./admin_staff.js";
import { openCategories } from "./admin_categories.js";
import { openGroups } from "./admin_groups.js";
import { openHours } from "./admin_hours.js";
import { openNotices } from "./admin_notices.js";
import { openPrompts } from "./admin_prompts.js";

const PANELS = [
  { id: "staff", label: "人员与角色", open: openStaff },
  { id: "categories", label: "诉求类别与部门", open: openCategories },
  { id: "groups", label: "电话组", open: openGroups },
  { id: "notices", label: "通知录音", open: openNotices },
  { id: "prompts", label: "提示音", open: openPrompts },
  { id: "hours", label: "值班时间", open: openHours },
];

let current = "staff";

/** 打开系统设置屏（显示当前那一项）。 */
export function openAdmin() {
  const nav = $("admin-nav");
  nav.replaceChildren(...PANELS.map((p) => el("button", {
    type: "button", "data-panel": p.id, class: p.id === current ? "on" : "",
    onclick: () => { current = p.id; openAdmin(); },
  }, p.label)));
  const body = $("admin-body");
  body.replaceChildren(el("p", { class: "muted" }, "正在载入…"));
  const panel = PANELS.find((p) => p.id === current) || PANELS[0];
  panel.open(body);
}

/** 退出登录时清空。 */
export function clearAdmin() {
  current = "staff";
  $("admin-nav").replaceChildren();
  $("admin-body").replaceChildren();
}
