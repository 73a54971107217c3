// 电话群拨屏（居委会、督导、管理员，包片主任限本片区）：发起表单、实时看板和最近的群拨。

import { api } from "./api.js";
import { $, el, fmt, DAY } from "./dom.js";
import { campaignForm } from "./campaign_form.js";
import { clearBoards, onCampaignFrame, showBoard } from "./campaign_board.js";
import { STATE } from "./campaign_labels.js";

/** 处理 campaign.* 消息；群拨结束时刷新最近的群拨。 */
export function onCampaignMessage(m) {
  onCampaignFrame(m);
  if (m.type === "campaign.started") loadList();
  // 结束的结果写入数据库稍后才到列表里。
  if (m.type === "campaign.finished") { loadList(); setTimeout(loadList, 1500); }
}

/** 打开群拨屏：表单、最近的群拨；hello 里正在进行的群拨另由 showRunning 显示。 */
export function openCampaigns() {
  $("campaign-form").replaceChildren(campaignForm(async (id) => {
    // 开始后收起表单，看板在最上面。
    $("campaign-new").open = false;
    window.scrollTo(0, 0);
    try { const c = await api("GET", "/api/campaigns/" + id); showBoard(c); } catch (e) { /* 看板由消息补上 */ }
    loadList();
  }));
  loadList();
}

/** hello 里正在进行和暂停的群拨。 */
export function showRunning(list) { for (const c of list || []) showBoard(c); }

/** 清空（退出登录）。 */
export function clearCampaigns() {
  clearBoards();
  $("campaign-form").replaceChildren();
  $("campaign-list").replaceChildren();
}

async function loadList() {
  try {
    const r = await api("GET", "/api/campaigns?limit=20");
    $("campaign-list").replaceChildren(...(r.campaigns.length ? r.campaigns.map((c) => el("div", { class: "campaign-row" },
      el("span", {}, fmt(c.created_at, DAY) + " " + c.name),
      el("span", { class: "muted" }, (STATE[c.state] || c.state) + " · " + c.households + " 户，是 " + c.reached + "，否 " + c.not_reached),
      el("button", { type: "button", onclick: () => showBoard(c) }, "查看"))) : [el("p", { class: "empty" }, "还没有群拨")]));
  } catch (e) { $("campaign-list").replaceChildren(el("p", { class: "err" }, e.message)); }
}
