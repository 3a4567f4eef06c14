/* Agent console: vanilla JS, polling the JSON API (overview every 2 s, the open conversation every second). */
(function () {
  "use strict";
  var T = {
    zh: {
      consoleTitle: "星河数码 · 客服工作台", username: "用户名", password: "密码", signIn: "登录", signOut: "退出",
      online: "在线", away: "离开", queue: "排队中", mine: "我的会话", callbacks: "留言待回电", team: "团队",
      pick: "从左侧选择一个会话。", claim: "接入", handBack: "交还机器人", resolve: "结束并邀请评价",
      canned: "快捷回复…", replyHint: "回复客户（Enter 发送，Shift+Enter 换行）", send: "发送",
      noteHint: "内部备注，客户看不到", addNote: "加备注", waiting: "已等待", minutes: "分钟", priority: "优先级",
      customer: "客户", tier: "等级", channel: "渠道", language: "语言", phone: "电话", reason: "原因",
      tickets: "未结工单", kb: "知识库回答", helpful: "有帮助", unhelpful: "没帮上", noFeedback: "未评价",
      unanswered: "没答上", emotions: "情绪轨迹", open: "服务中", closed: "非服务时间", hours: "服务时间",
      agentsOnline: "在线客服", satisfaction: "满意度", ratings: "条评价", taken: "已被其他同事接入",
      statuses: {queued: "排队中", claimed: "服务中", resolved: "已解决", returned: "已交还机器人", cancelled: "客户已取消", callback: "待回电"},
      reasons: {explicit: "主动要求", misunderstood: "机器人没听懂", angry: "情绪激动", safety: "安全问题", repeat: "重复投诉", vip: "VIP"},
      presence: {online: "在线", away: "离开", offline: "离线"}, openCount: "进行中", leftMessage: "客户留言",
      undelivered: "条回复待送达（会自动重试）", loginFailed: "用户名或密码不正确", you: "您"
    },
    en: {
      consoleTitle: "Galaxy Digital · Agent console", username: "Username", password: "Password", signIn: "Sign in", signOut: "Sign out",
      online: "Online", away: "Away", queue: "Queue", mine: "My conversations", callbacks: "Callbacks", team: "Team",
      pick: "Pick a conversation on the left.", claim: "Claim", handBack: "Hand back to bot", resolve: "Resolve and ask for rating",
      canned: "Canned replies…", replyHint: "Reply to the customer (Enter sends, Shift+Enter for a new line)", send: "Send",
      noteHint: "Internal note, never shown to the customer", addNote: "Add note", waiting: "waiting", minutes: "min", priority: "priority",
      customer: "Customer", tier: "Tier", channel: "Channel", language: "Language", phone: "Phone", reason: "Reason",
      tickets: "Open tickets", kb: "Knowledge-base answers", helpful: "helpful", unhelpful: "not helpful", noFeedback: "no feedback",
      unanswered: "unanswered", emotions: "Mood over time", open: "Open", closed: "Closed", hours: "Hours",
      agentsOnline: "Agents online", satisfaction: "Satisfaction", ratings: "ratings", taken: "Another agent already took it",
      statuses: {queued: "queued", claimed: "in progress", resolved: "resolved", returned: "back with the bot", cancelled: "cancelled by customer", callback: "callback"},
      reasons: {explicit: "asked for a person", misunderstood: "bot misunderstood", angry: "angry", safety: "safety", repeat: "repeat complaint", vip: "VIP"},
      presence: {online: "online", away: "away", offline: "offline"}, openCount: "open", leftMessage: "Customer's message",
      undelivered: "replies waiting to be delivered (retrying)", loginFailed: "Wrong username or password", you: "you"
    }
  };
  var lang = localStorage.getItem("console-lang") || "zh";
  var state = {me: null, selected: null, detail: null, lastMessageId: 0, timers: []};
  var $ = function (id) { return document.getElementById(id); };
  function t(key) { return T[lang][key] || key; }
  function esc(text) { var d = document.createElement("div"); d.textContent = text == null ? "" : String(text); return d.innerHTML; }

  function applyTexts() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.getAttribute("data-t")); });
    document.querySelectorAll("[data-t-placeholder]").forEach(function (el) { el.placeholder = t(el.getAttribute("data-t-placeholder")); });
  }
  document.querySelectorAll("[data-lang]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault(); lang = a.getAttribute("data-lang"); localStorage.setItem("console-lang", lang);
      applyTexts(); loadCanned(); refresh(); if (state.selected) { openConversation(state.selected, true); }
    });
  });

  function api(method, path, body) {
    return fetch(path, {method: method, credentials: "same-origin",
      headers: body ? {"Content-Type": "application/json"} : {}, body: body ? JSON.stringify(body) : undefined})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.status === 401 && path !== "/api/login") { showLogin(); }
          if (!r.ok) { var err = new Error(data.error || r.statusText); err.status = r.status; err.data = data; throw err; }
          return data;
        });
      });
  }

  function showLogin() { stopTimers(); $("app").hidden = true; $("login").hidden = false; applyTexts(); }
  function showApp(agent) {
    state.me = agent; $("login").hidden = true; $("app").hidden = false;
    $("me").textContent = agent.display_name; $("presence").value = agent.presence === "away" ? "away" : "online";
    applyTexts(); loadCanned(); refresh(); stopTimers();
    state.timers.push(setInterval(refresh, 2000));
    state.timers.push(setInterval(pollMessages, 1000));
  }
  function stopTimers() { state.timers.forEach(clearInterval); state.timers = []; }

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    api("POST", "/api/login", {username: form.username.value, password: form.password.value})
      .then(function (data) { $("login-error").textContent = ""; form.password.value = ""; showApp(data.agent); })
      .catch(function () { $("login-error").textContent = t("loginFailed"); });
  });
  $("logout").addEventListener("click", function () { api("POST", "/api/logout").finally(showLogin); });
  $("presence").addEventListener("change", function (e) { api("POST", "/api/presence", {presence: e.target.value}); });

  function minutesSince(seconds) { return Math.max(0, Math.round(seconds / 60)); }
  function badges(h) {
    var out = "";
    if (h.tier === "vip") { out += '<span class="badge vip">VIP</span>'; }
    out += '<span class="badge ' + esc(h.reason) + '">' + esc(t("reasons")[h.reason] || h.reason) + "</span>";
    return out;
  }
  function item(h) {
    var li = document.createElement("li");
    li.dataset.id = h.id; li.dataset.testid = "handoff-" + h.number;
    if (state.selected === h.id) { li.className = "selected"; }
    li.innerHTML = "<b>" + esc(h.number) + "</b> " + badges(h) +
      "<small>" + esc(t("waiting")) + " " + minutesSince(h.waiting_s) + " " + esc(t("minutes")) + " · " +
      esc(t("priority")) + " " + h.priority + "</small><small>" + esc(h.summary).slice(0, 90) + "</small>";
    li.addEventListener("click", function () { openConversation(h.id); });
    return li;
  }
  function fill(id, rows) { var ul = $(id); ul.innerHTML = ""; rows.forEach(function (h) { ul.appendChild(item(h)); }); }

  function refresh() {
    if (!state.me) { return; }
    api("GET", "/api/overview").then(function (data) {
      fill("queue", data.queue); fill("mine", data.mine); fill("callbacks", data.callbacks);
      $("queue-count").textContent = data.queue.length || "";
      $("team").innerHTML = data.team.map(function (m) {
        return "<li>" + esc(m.display_name) + ' <span class="badge">' + esc(t("presence")[m.presence]) + "</span> " +
          esc(t("openCount")) + " " + m.open_conversations + "</li>";
      }).join("");
      $("service-state").textContent = (data.service.open ? t("open") : t("closed")) + " · " + t("hours") + " " +
        data.service.hours + " · " + t("agentsOnline") + " " + data.service.agents_online;
      $("satisfaction").textContent = data.satisfaction.ratings ? t("satisfaction") + " " + data.satisfaction.average +
        " / 5 (" + data.satisfaction.ratings + " " + t("ratings") + ")" : "";
      if (state.selected) { refreshDetail(); }
    }).catch(function () {});
  }

  function openConversation(id, keep) {
    if (state.selected !== id || !keep) { state.lastMessageId = 0; $("transcript").innerHTML = ""; }
    state.selected = id; $("empty").hidden = true; $("conversation").hidden = false; $("conv-warning").textContent = "";
    refreshDetail(); pollMessages();
    document.querySelectorAll(".list li").forEach(function (li) { li.classList.toggle("selected", Number(li.dataset.id) === id); });
  }

  function refreshDetail() {
    var id = state.selected;
    api("GET", "/api/handoffs/" + id).then(function (data) { if (state.selected === id) { renderDetail(data); } });
  }

  function renderDetail(data) {
    var h = data.handoff, c = data.context, cust = c.customer || {};
    state.detail = data;
    var mine = h.status === "claimed" && state.me && h.agent_id === state.me.id;
    $("conv-title").textContent = h.number + " · " + (cust.name || h.conversation_masked);
    $("conv-status").textContent = t("statuses")[h.status] + (data.agent && h.status === "claimed" ? " · " + data.agent.display_name : "");
    $("claim").disabled = !(h.status === "queued" || h.status === "callback");
    $("resolve").disabled = !mine; $("hand-back").disabled = !mine;
    $("reply-form").querySelector("button").disabled = !mine; $("reply-text").disabled = !mine;
    $("summary").textContent = (c.summary && (c.summary[lang] || c.summary.zh)) || h.summary;
    var rows = [[t("customer"), (cust.name || "—") + (cust.id ? " (" + cust.id + ")" : "")],
      [t("tier"), cust.tier === "vip" ? "VIP" : (cust.tier || "—")], [t("channel"), cust.channel || h.channel],
      [t("language"), cust.language || h.language], [t("phone"), cust.phone || "—"],
      [t("reason"), t("reasons")[h.reason] || h.reason]];
    $("customer").innerHTML = rows.map(function (r) { return "<dt>" + esc(r[0]) + "</dt><dd>" + esc(r[1]) + "</dd>"; }).join("");
    $("emotions").innerHTML = (c.emotions || []).length ? esc(t("emotions")) + ": " + c.emotions.map(function (e) {
      return '<span class="' + esc(e.level) + '" title="' + esc(e.level + " " + e.score) + '"></span>'; }).join("") : "";
    $("tickets").innerHTML = (c.tickets || []).length ? "<b>" + esc(t("tickets")) + "</b><ul>" + c.tickets.map(function (tk) {
      return "<li>" + esc(tk.number) + " · " + esc(tk.category) + " · " + esc(tk.severity) + (tk.order_number ? " · " + esc(tk.order_number) : "") +
        "<br>" + esc(tk.description) + "</li>"; }).join("") + "</ul>" : "";
    $("kb").innerHTML = (c.kb_answers || []).length ? "<b>" + esc(t("kb")) + "</b><ul>" + c.kb_answers.map(function (a) {
      var verdict = a.outcome === "unanswered" ? t("unanswered") : a.helpful === true ? t("helpful") : a.helpful === false ? t("unhelpful") : t("noFeedback");
      return "<li>" + esc(a.question) + " → " + esc(a.entry_id || "—") + " (" + esc(verdict) + ")</li>"; }).join("") + "</ul>" : "";
    $("callback-message").textContent = h.callback_message ? t("leftMessage") + ": " + h.callback_message : "";
    $("notes").innerHTML = data.notes.map(function (n) { return "<li>" + esc(n.text) + "</li>"; }).join("");
    if (data.undelivered.length) { $("conv-warning").textContent = data.undelivered.length + " " + t("undelivered"); }
  }

  function pollMessages() {
    var id = state.selected;
    if (!id) { return; }
    api("GET", "/api/handoffs/" + id + "/messages?after=" + state.lastMessageId).then(function (data) {
      if (state.selected !== id) { return; }
      var box = $("transcript"), atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
      data.messages.forEach(function (m) {
        if (m.id <= state.lastMessageId && box.querySelector('[data-event="' + m.id + '"]')) { return; }
        var div = document.createElement("div");
        div.className = "msg " + m.who; div.dataset.event = m.id; div.dataset.testid = "message-" + m.who;
        var who = m.who === "agent" ? (m.agent || "agent") : m.who === "bot" ? "bot" : t("customer");
        var meta = who + " · " + (m.at ? new Date(m.at).toLocaleTimeString() : "") + (m.intent ? " · " + m.intent + " " + m.confidence : "");
        div.innerHTML = "<small>" + esc(meta) + "</small>" + esc(m.text) + (m.buttons && m.buttons.length ? "<small>[" + esc(m.buttons.join(" | ")) + "]</small>" : "");
        box.appendChild(div);
      });
      if (data.messages.length) { state.lastMessageId = data.messages[data.messages.length - 1].id; if (atBottom) { box.scrollTop = box.scrollHeight; } }
    }).catch(function () {});
  }

  $("claim").addEventListener("click", function () {
    api("POST", "/api/handoffs/" + state.selected + "/claim").then(function (data) {
      $("conv-warning").textContent = data.warning || ""; refresh();
    }).catch(function (err) {
      $("conv-warning").textContent = t("taken") + (err.data && err.data.owner ? ": " + err.data.owner : ""); refresh();
    });
  });
  function close(kind) {
    api("POST", "/api/handoffs/" + state.selected + "/" + kind).then(function (data) {
      $("conv-warning").textContent = data.warning || ""; refresh();
    }).catch(function (err) { $("conv-warning").textContent = err.message; });
  }
  $("resolve").addEventListener("click", function () { close("resolve"); });
  $("hand-back").addEventListener("click", function () { close("return"); });
  function sendReply() {
    var text = $("reply-text").value.trim();
    if (!text) { return; }
    api("POST", "/api/handoffs/" + state.selected + "/reply", {text: text}).then(function () {
      $("reply-text").value = ""; pollMessages(); refreshDetail();
    }).catch(function (err) { $("conv-warning").textContent = err.message; });
  }
  $("reply-form").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
  $("reply-text").addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); sendReply(); } });
  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("note-text").value.trim();
    if (!text) { return; }
    api("POST", "/api/handoffs/" + state.selected + "/note", {text: text}).then(function () { $("note-text").value = ""; refreshDetail(); });
  });
  function loadCanned() {
    api("GET", "/api/canned").then(function (data) {
      var select = $("canned");
      select.innerHTML = '<option value="">' + esc(t("canned")) + "</option>";
      data.replies.forEach(function (r) {
        var option = document.createElement("option");
        option.value = r.text[lang]; option.textContent = r.title[lang]; select.appendChild(option);
      });
    }).catch(function () {});
  }
  $("canned").addEventListener("change", function (e) { if (e.target.value) { $("reply-text").value = e.target.value; $("reply-text").focus(); e.target.value = ""; } });

  applyTexts();
  api("GET", "/api/me").then(function (data) { showApp(data.agent); }).catch(showLogin);
})();
