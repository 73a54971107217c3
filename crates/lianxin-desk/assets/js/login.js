// 登录表单：用户名、密码，错误信息显示在出错的字段下面。

import { api, setToken } from "./api.js";
import { $ } from "./dom.js";

/** 显示登录表单（msg 显示在表单下方）。 */
export function showLoginForm(msg) {
  $("login").hidden = false;
  document.querySelector('.err[data-for="other"]').textContent = msg || "";
}

/** 接好表单：登录成功时以工作人员信息调用 onStaff。 */
export function wireLogin(onStaff) {
  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    for (const e of document.querySelectorAll("#login .err")) e.textContent = "";
    for (const i of document.querySelectorAll("#login input")) i.classList.remove("invalid");
    try {
      const r = await api("POST", "/api/login", { username: $("username").value, password: $("password").value });
      setToken(r.token);
      $("password").value = "";
      onStaff(r.staff);
    } catch (e) {
      const field = ["username", "password"].includes(e.field) ? e.field : "other";
      document.querySelector('.err[data-for="' + field + '"]').textContent = e.message;
      if (field !== "other") $(field).classList.add("invalid");
    }
  });
}
