/* Agent console: vanilla JS. The server pushes what changed (GET /api/stream, server-sent events) and the console
   then asks the JSON API for it; polling is a slow safety net and the heartbeat (every 20 s), and runs at the old pace (overview
   every 2 s, the open conversation every second) only while the stream is down.
   What customers and agents wrote reaches the page only as text: elements are built with createElement and
   filled with textContent; class names come from fixed lists, never from data (SECURITY.md). */
(function () {
  "use strict";
  var T = {
    zh: {
      metrics: "服务指标", overdue: "已逾期", overdueTickets: "逾期工单", due: "期限", assignedTo: "指派给",
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
      levels: {calm: "平静", upset: "不满", angry: "生气"},
      tiers: {vip: "VIP", regular: "普通客户"}, channels: {web: "网页", wechat: "微信", rest: "接口"},
      languages: {zh: "中文", en: "英文"}, botName: "小星（机器人）", opened: "客户打开了聊天窗口", tapped: "点选",
      guest: "访客", moodNow: "当前情绪", colon: "：", sound: "提示音", newInQueue: "位新客户排队",
      attachOrder: "关联订单", orderHint: "订单号 GD…", noOrder: "未关联订单", kbNoEntry: "没有对应条目",
      presence: {online: "在线", away: "离开", offline: "离线"}, openCount: "进行中", leftMessage: "客户留言",
      undelivered: "条回复待送达（会自动重试）", loginFailed: "用户名或密码不正确", you: "您",
      throttled: "登录失败次数过多，请稍后再试", failedReplies: "以下回复无法送达客户：", failedMark: "未送达",
      manageAgents: "管理客服", displayName: "显示名", role: "角色", state: "状态", roleAgent: "客服", roleAdmin: "管理员",
      active: "启用", deactivated: "已停用", deactivate: "停用", reactivate: "启用", addAgent: "新增客服",
      newPassword: "初始密码（至少 8 位）", add: "添加", added: "已添加", requeued: "个会话已回到排队"
    },
    en: {
      metrics: "Service metrics", overdue: "overdue", overdueTickets: "Overdue tickets", due: "due", assignedTo: "assigned to",
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
      levels: {calm: "calm", upset: "upset", angry: "angry"},
      tiers: {vip: "VIP", regular: "Regular"}, channels: {web: "Web", wechat: "WeChat", rest: "REST API"},
      languages: {zh: "Chinese", en: "English"}, botName: "Stella (bot)", opened: "The customer opened the chat",
      tapped: "tapped", guest: "Guest", moodNow: "Mood now", colon: ": ", sound: "Sound", newInQueue: "new in the queue",
      attachOrder: "Attach order", orderHint: "Order number GD…", noOrder: "no order attached", kbNoEntry: "no matching entry",
      presence: {online: "online", away: "away", offline: "offline"}, openCount: "open", leftMessage: "Customer's message",
      undelivered: "replies waiting to be delivered (retrying)", loginFailed: "Wrong username or password", you: "you",
      throttled: "Too many failed sign-ins: please try again later", failedReplies: "These replies could not reach the customer:",
      failedMark: "not delivered",
      manageAgents: "Manage agents", displayName: "Display name", role: "Role", state: "State", roleAgent: "agent", roleAdmin: "admin",
      active: "active", deactivated: "deactivated", deactivate: "Deactivate", reactivate: "Reactivate", addAgent: "Add an agent",
      newPassword: "First password (8 characters or more)", add: "Add", added: "Added", requeued: "conversation(s) went back to the queue"
    }
  };
  // The only values that may become class names; anything else gets no class.
  var REASONS = ["explicit", "misunderstood", "angry", "safety", "repeat", "vip"];
  var LEVELS = ["calm", "upset", "angry"];
  var SPEAKERS = ["customer", "bot", "agent"];
  var lang = localStorage.getItem("console-lang") === "en" ? "en" : "zh";
  var CHANNELS = {web: "web", socketio: "web", wechat: "wechat", rest: "rest"};
  var state = {me: null, selected: null, detail: null, lastMessageId: 0, timers: [], labels: null, moods: [],
               orders: [], seenQueue: null, unseen: 0, summaries: {}, stream: null, live: false, refreshPending: null};
  var baseTitle = document.title;
  var $ = function (id) { return document.getElementById(id); };
  function t(key) { return T[lang][key] || key; }
  function known(value, allowed) { return allowed.indexOf(value) >= 0 ? value : ""; }
  /* Text always as text: static/safe_dom.js. */
  var str = SafeDom.str, el = SafeDom.el, fillWith = SafeDom.fillWith;

  /* Codes the records keep, in words of the console's language ("—" for what is not known). */
  function word(group, code) { var names = t(group); return (names && names[code]) || "—"; }
  function ticketName(kind, code) {
    var names = state.labels && state.labels[kind] && state.labels[kind][code];
    return names ? str(names[lang] || names.zh) : "—";
  }
  function clock(iso) {
    if (!iso) { return ""; }
    var when = new Date(iso);
    return when.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-US", {hour: "2-digit", minute: "2-digit", hour12: lang !== "zh"});
  }

  function applyTexts() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-t]").forEach(function (node) { node.textContent = t(node.getAttribute("data-t")); });
    document.querySelectorAll("[data-t-placeholder]").forEach(function (node) { node.placeholder = t(node.getAttribute("data-t-placeholder")); });
  }
  document.querySelectorAll("[data-lang]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault(); lang = a.getAttribute("data-lang") === "en" ? "en" : "zh"; localStorage.setItem("console-lang", lang);
      applyTexts(); loadCanned(); refresh(); if (state.selected) { openConversation(state.selected); }
      if (!$("admin").hidden) { loadAgents(); }
    });
  });

  /* Every state-changing call is a POST with a JSON body from this page (the server checks both). */
  function api(method, path, body) {
    var post = method !== "GET";
    return fetch(path, {method: method, credentials: "same-origin",
      headers: post ? {"Content-Type": "application/json"} : {}, body: post ? JSON.stringify(body || {}) : undefined})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.status === 401 && path !== "/api/login") { showLogin(); }
          if (!r.ok) { var err = new Error(data.error || r.statusText); err.status = r.status; err.data = data; throw err; }
          return data;
        });
      });
  }

  function showLogin() {
    stopTimers(); state.me = null; $("app").hidden = true; $("login").hidden = false; $("admin").hidden = true; applyTexts();
  }
  function showApp(agent) {
    state.me = agent; $("login").hidden = true; $("app").hidden = false;
    $("me").textContent = agent.display_name; $("presence").value = agent.presence === "away" ? "away" : "online";
    $("admin-toggle").hidden = agent.role !== "admin";
    $("metrics-link").hidden = agent.role !== "admin";
    applyTexts(); loadCanned(); loadLabels(); refresh(); startTimers(true); openStream();
  }
  function startTimers(fast) {
    stopTimers(true);
    state.timers.push(setInterval(refresh, fast ? 2000 : SAFETY_NET_MS));
    state.timers.push(setInterval(pollMessages, fast ? 1000 : SAFETY_NET_MS));
  }
  function stopTimers(keepStream) {
    state.timers.forEach(clearInterval); state.timers = [];
    if (!keepStream) { closeStream(); }
  }

  /* The live events: each names what changed (never its content); the console fetches it as before. */
  // The overview request is also the agent's heartbeat: well inside the presence timeout (60 s by default), so an
  // agent whose browser went away stops counting as online; the open stream alone is not a heartbeat.
  var SAFETY_NET_MS = 20000, REOPEN_MS = 5000;
  function openStream() {
    if (!window.EventSource || state.stream || !state.me) { return; }
    var source = new EventSource("/api/stream");
    state.stream = source;
    function on(kind, handle) {
      source.addEventListener(kind, function (e) {
        var data = {};
        try { data = JSON.parse(e.data) || {}; } catch (ignored) { return; }
        handle(data);
      });
    }
    on("ready", function () { state.live = true; startTimers(false); refresh(); pollMessages(); });
    on("queue", refreshSoon);
    on("messages", function (d) { if (d.handoff === state.selected) { pollMessages(); } });
    on("handoff", function (d) { if (d.handoff === state.selected) { refreshDetail(); } });
    on("reply", function (d) {
      var detail = state.detail, ids = detail ? (detail.undelivered || []).concat((detail.failed || []).map(function (r) { return r.id; })) : [];
      if (ids.indexOf(d.reply) >= 0) { refreshDetail(); }
    });
    on("resync", function () { refresh(); pollMessages(); });
    on("signed-out", function () { closeStream(); refresh(); });  // the API's 401 shows the sign-in form
    source.onerror = function () {
      if (state.live) { state.live = false; startTimers(true); }  // the old pace until the stream is back
      if (source.readyState === 2) {  // closed for good (e.g. the session ended): try again later
        state.stream = null;
        setTimeout(openStream, REOPEN_MS);
      }
    };
  }
  function closeStream() {
    if (state.stream) { state.stream.close(); state.stream = null; }
    state.live = false;
  }
  function refreshSoon() {  // many changes at once make one request
    if (state.refreshPending) { return; }
    state.refreshPending = setTimeout(function () { state.refreshPending = null; refresh(); }, 300);
  }
  function loadLabels() {
    api("GET", "/api/labels").then(function (data) { state.labels = data; if (state.detail) { renderDetail(state.detail); } })
      .catch(function () {});
  }

  /* A new customer in the queue while the agent is in another tab: the tab's title says so, and, when the
     agent switched it on, a short tone (made here: no sound file, nothing loaded). */
  var audio = null;
  $("sound").checked = localStorage.getItem("console-sound") === "on";
  $("sound").addEventListener("change", function (e) {
    localStorage.setItem("console-sound", e.target.checked ? "on" : "off");
    if (e.target.checked && !audio && window.AudioContext) { audio = new window.AudioContext(); }
  });
  function chime() {
    if (!$("sound").checked || !window.AudioContext) { return; }
    audio = audio || new window.AudioContext();
    var tone = audio.createOscillator(), gain = audio.createGain();
    tone.frequency.value = 880; gain.gain.value = 0.08;
    tone.connect(gain); gain.connect(audio.destination);
    tone.start(); tone.stop(audio.currentTime + 0.25);
  }
  function noticeQueue(queue) {
    var ids = queue.map(function (h) { return Number(h.id); });
    if (state.seenQueue !== null && document.hidden) {
      var arrived = ids.filter(function (id) { return state.seenQueue.indexOf(id) < 0; }).length;
      if (arrived) {
        state.unseen += arrived;
        document.title = "(" + state.unseen + ") " + state.unseen + " " + t("newInQueue") + " · " + baseTitle;
        chime();
      }
    }
    state.seenQueue = ids;
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { state.unseen = 0; document.title = baseTitle; }
  });

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    api("POST", "/api/login", {username: form.username.value, password: form.password.value})
      .then(function (data) { $("login-error").textContent = ""; form.password.value = ""; showApp(data.agent); })
      .catch(function (err) { $("login-error").textContent = err.status === 429 ? t("throttled") : t("loginFailed"); });
  });
  $("logout").addEventListener("click", function () { api("POST", "/api/logout").finally(showLogin); });
  $("presence").addEventListener("change", function (e) { api("POST", "/api/presence", {presence: e.target.value}); });

  function minutesSince(seconds) { return Math.max(0, Math.round(Number(seconds) / 60)) || 0; }
  function badges(h) {
    var out = [];
    if (h.tier === "vip") { out.push(el("span", {className: "badge vip", text: "VIP"})); }
    var reason = known(h.reason, REASONS);
    out.push(el("span", {className: reason ? "badge " + reason : "badge", text: t("reasons")[reason] || h.reason}));
    return out;
  }
  function item(h) {
    var li = el("li", {testid: "handoff-" + str(h.number)}, [el("b", {text: h.number}), " "]
      .concat(badges(h)).concat(overdueMark(h))
      .concat([el("small", {text: t("waiting") + " " + minutesSince(h.waiting_s) + " " + t("minutes") + " · " +
                                  t("priority") + " " + Number(h.priority)}),
               el("small", {text: summaryOf(h).slice(0, 90)})]));
    li.dataset.id = String(Number(h.id));
    if (state.selected === h.id) { li.className = "selected"; }
    li.addEventListener("click", function () { openConversation(h.id); });
    return li;
  }
  function fill(id, rows) { fillWith($(id), rows.map(item)); }
  /* Service metrics (#14): a callback past its due time, or a handoff whose complaint ticket is past its SLA
     deadline, is marked; overdue tickets are listed under the callbacks. */
  function overdueMark(h) {
    if (!h.overdue) { return []; }
    return [el("span", {className: "badge overdue", testid: "overdue", text: t("overdue"),
                        title: t("due") + " " + (h.due_at ? new Date(h.due_at).toLocaleString() : "")})];
  }
  function fillOverdue(tickets) {
    fillWith($("overdue-tickets"), tickets.map(function (tk) {
      return el("li", {className: "overdue", testid: "overdue-" + str(tk.number)}, [
        el("b", {text: tk.number}), " ", el("span", {className: "badge overdue", text: t("overdue")}),
        el("small", {text: t("due") + " " + new Date(tk.sla_due_at).toLocaleString() +
                           (tk.assigned ? " · " + t("assignedTo") + " " + str(tk.assigned) : "")})]);
    }));
  }
  function summaryOf(h) {
    var summary = state.summaries[String(h.id)];
    return str((summary && (summary[lang] || summary.zh)) || (lang === "zh" ? h.summary : ""));
  }

  function refresh() {
    if (!state.me) { return; }
    api("GET", "/api/overview").then(function (data) {
      state.summaries = data.summaries || {};
      fill("queue", data.queue); fill("mine", data.mine); fill("callbacks", data.callbacks);
      fillOverdue(data.overdue_tickets || []);
      noticeQueue(data.queue);
      $("queue-count").textContent = data.queue.length || "";
      fillWith($("team"), data.team.map(function (m) {
        return el("li", {}, [m.display_name + " ", el("span", {className: "badge", text: t("presence")[m.presence] || m.presence}),
                             " " + t("openCount") + " " + Number(m.open_conversations)]);
      }));
      $("service-state").textContent = (data.service.open ? t("open") : t("closed")) + " · " + t("hours") + " " +
        str(data.service.hours) + " · " + t("agentsOnline") + " " + Number(data.service.agents_online);
      $("satisfaction").textContent = data.satisfaction.ratings ? t("satisfaction") + " " + str(data.satisfaction.average) +
        " / 5 (" + Number(data.satisfaction.ratings) + " " + t("ratings") + ")" : "";
      if (state.selected) { refreshDetail(); }
    }).catch(function () {});
  }

  function openConversation(id, keep) {
    if (state.selected !== id || !keep) {
      state.lastMessageId = 0; state.moods = []; state.orders = []; state.ticketsKey = null; fillWith($("transcript"), []);
      api("GET", "/api/handoffs/" + id + "/orders").then(function (data) {
        if (state.selected !== id) { return; }
        state.orders = data.orders || [];
        fillWith($("order-options"), state.orders.map(function (o) {
          var option = el("option", {text: str(o.placed_at) + " · " + str(o.items)});
          option.value = str(o.order_number);
          return option;
        }));
      }).catch(function () {});
    }
    state.selected = id; $("empty").hidden = true; $("admin").hidden = true; $("conversation").hidden = false;
    $("conv-warning").textContent = "";
    refreshDetail(); pollMessages();
    document.querySelectorAll(".list li").forEach(function (li) { li.classList.toggle("selected", Number(li.dataset.id) === id); });
  }

  function refreshDetail() {
    var id = state.selected;
    api("GET", "/api/handoffs/" + id).then(function (data) { if (state.selected === id) { renderDetail(data); } });
  }

  function section(title, rows) {
    return rows.length ? [el("b", {text: title}), el("ul", {}, rows)] : [];
  }

  function renderDetail(data) {
    var h = data.handoff, c = data.context || {}, cust = c.customer || {};
    state.detail = data;
    var mine = h.status === "claimed" && state.me && h.agent_id === state.me.id;
    $("conv-title").textContent = str(h.number) + " · " + str(cust.name || t("guest"));
    $("conv-status").textContent = (t("statuses")[h.status] || str(h.status)) +
      (data.agent && h.status === "claimed" ? " · " + str(data.agent.display_name) : "");
    $("claim").disabled = !(h.status === "queued" || h.status === "callback");
    $("resolve").disabled = !mine; $("hand-back").disabled = !mine;
    $("reply-form").querySelector("button").disabled = !mine; $("reply-text").disabled = !mine;
    $("summary").textContent = str((c.summary && (c.summary[lang] || c.summary.zh)) || (lang === "zh" ? h.summary : ""));
    var rows = [[t("customer"), str(cust.name || t("guest")) + (cust.id ? " (" + str(cust.id) + ")" : "")],
      [t("tier"), word("tiers", cust.tier || h.tier)], [t("channel"), word("channels", CHANNELS[cust.channel || h.channel])],
      [t("language"), word("languages", cust.language || h.language)], [t("phone"), str(cust.phone || "—")],
      [t("reason"), t("reasons")[h.reason] || "—"]];
    var pairs = [];
    rows.forEach(function (r) { pairs.push(el("dt", {text: r[0]}), el("dd", {text: r[1]})); });
    fillWith($("customer"), pairs);
    renderMoods();
    var tickets = Array.isArray(c.tickets) ? c.tickets : [];
    var ticketsKey = JSON.stringify([lang, mine, state.labels ? 1 : 0, tickets]);
    if (ticketsKey !== state.ticketsKey) {  // not while the agent types an order number into it
      state.ticketsKey = ticketsKey;
      renderTickets(tickets, mine);
    }
    fillWith($("kb"), section(t("kb"), (Array.isArray(c.kb_answers) ? c.kb_answers : []).map(function (a) {
      var verdict = a.outcome === "unanswered" ? t("unanswered") : a.helpful === true ? t("helpful") : a.helpful === false ? t("unhelpful") : t("noFeedback");
      var title = a.entry_title && (a.entry_title[lang] || a.entry_title.zh);
      return el("li", {text: str(a.question) + " → " + str(title || t("kbNoEntry")) + " (" + verdict + ")"});
    })));
    $("callback-message").textContent = h.callback_message ? t("leftMessage") + ": " + str(h.callback_message) : "";
    fillWith($("notes"), data.notes.map(function (n) { return el("li", {text: n.text}); }));
    var failed = data.failed || [];
    $("failed-replies").hidden = !failed.length;
    fillWith($("failed-list"), failed.map(function (f) {
      return el("li", {testid: "failed-reply"}, [el("span", {className: "badge failed", text: "✗ " + t("failedMark")}), " ",
        el("span", {text: f.text}), el("small", {text: str(f.error)})]);
    }));
    if (data.undelivered.length) { $("conv-warning").textContent = data.undelivered.length + " " + t("undelivered"); }
  }

  /* The customer's mood message by message (time and level), live: from the messages as they arrive. */
  function renderMoods() {
    function strongest(list) {
      return list.reduce(function (worst, m) {
        var level = known(m.level, LEVELS) || "calm";
        return LEVELS.indexOf(level) > LEVELS.indexOf(worst) ? level : worst;
      }, "calm");
    }
    var moods = state.moods.slice(-12), peak = strongest(state.moods);
    var window_ = Math.max(1, Number(state.labels && state.labels.mood_window) || 1);
    var now = state.moods.length ? strongest(state.moods.slice(-window_)) : "";  // as the queue priority counts it
    $("conv-mood").className = now ? "badge mood " + now : "badge mood";
    $("conv-mood").textContent = now ? t("moodNow") + t("colon") + t("levels")[now] : "";
    fillWith($("emotions"), moods.length ? [el("b", {text: t("emotions") + (peak !== "calm" ? " (" + t("levels")[peak] + ")" : "")}),
      el("ol", {}, moods.map(function (m) {
        var level = known(m.level, LEVELS) || "calm", score = Number(m.score);
        return el("li", {className: level, text: (m.at ? clock(m.at) + " " : "") + t("levels")[level],
                         title: isFinite(score) ? score.toFixed(2) : ""});
      }))] : []);
  }

  function renderTickets(tickets, mine) {
    fillWith($("tickets"), section(t("tickets"), tickets.map(function (tk) {
      var line = [str(tk.number), ticketName("categories", tk.category), ticketName("severities", tk.severity),
                  tk.order_number ? str(tk.order_number) : t("noOrder")].join(" · ");
      var children = [line, el("br"), str(tk.description)];
      if (!tk.order_number && mine) { children.push(attachControl(tk.number)); }
      return el("li", {testid: "ticket"}, children);
    })));
  }

  function attachControl(ticketNumber) {
    var form = el("form", {className: "attach", testid: "attach-order"});
    var input = el("input");
    input.setAttribute("list", "order-options");
    input.placeholder = t("orderHint");
    var button = el("button", {text: t("attachOrder")});
    button.type = "submit";
    form.append(input, button);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!input.value.trim()) { return; }
      api("POST", "/api/handoffs/" + state.selected + "/attach-order",
          {ticket_number: str(ticketNumber), order_number: input.value.trim()})
        .then(function () { $("conv-warning").textContent = ""; refreshDetail(); })
        .catch(function (err) { $("conv-warning").textContent = err.message; });
    });
    return form;
  }

  function pollMessages() {
    var id = state.selected;
    if (!id) { return; }
    api("GET", "/api/handoffs/" + id + "/messages?after=" + state.lastMessageId).then(function (data) {
      if (state.selected !== id) { return; }
      var box = $("transcript"), moodsChanged = false;
      // Follow the conversation: on opening it, after the agent's own reply, and while they are at the end.
      var atBottom = state.lastMessageId === 0 || state.follow || box.scrollTop + box.clientHeight >= box.scrollHeight - 20;
      data.messages.forEach(function (m) {
        var eventId = String(Number(m.id));
        var exists = Array.prototype.some.call(box.children, function (node) { return node.dataset.event === eventId; });
        if (exists) { return; }
        var who = known(m.who, SPEAKERS) || "customer";
        var name = who === "agent" ? str(m.agent || t("you")) : who === "bot" ? t("botName") : t("customer");
        var mood = who === "customer" && m.emotion ? known(m.emotion.level, LEVELS) : "";
        if (mood) { state.moods.push({at: m.at, level: mood, score: m.emotion.score}); moodsChanged = true; }
        var meta = [el("span", {text: name + " · " + clock(m.at)})];
        if (mood && mood !== "calm") { meta.push(el("span", {className: "mood-tag " + mood, text: " · " + t("levels")[mood]})); }
        if (m.tapped) { meta.push(el("span", {className: "tapped", text: t("tapped")})); }
        var children = [el("small", {}, meta), document.createTextNode(m.opened ? t("opened") : str(m.text))];
        if (Array.isArray(m.buttons) && m.buttons.length) {
          children.push(el("div", {className: "chips"}, m.buttons.map(function (b) { return el("span", {text: b}); })));
        }
        var div = el("div", {className: "msg " + who + (m.opened ? " opened" : ""), testid: "message-" + who}, children);
        div.dataset.event = eventId;
        box.appendChild(div);
      });
      if (data.messages.length) {
        state.lastMessageId = data.messages[data.messages.length - 1].id; state.follow = false;
        if (atBottom) { box.scrollTop = box.scrollHeight; }
      }
      if (moodsChanged) { renderMoods(); }
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
      $("reply-text").value = ""; state.follow = true; pollMessages(); refreshDetail();
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
      var options = [el("option", {text: t("canned")})];
      options[0].value = "";
      data.replies.forEach(function (r) {
        var option = el("option", {text: r.title[lang]});
        option.value = str(r.text[lang]);
        options.push(option);
      });
      fillWith($("canned"), options);
    }).catch(function () {});
  }
  $("canned").addEventListener("change", function (e) { if (e.target.value) { $("reply-text").value = e.target.value; $("reply-text").focus(); e.target.value = ""; } });

  /* Admins only (the server refuses everyone else): the agents, adding one, deactivating and reactivating. */
  function loadAgents() {
    api("GET", "/api/admin/agents").then(function (data) {
      fillWith($("agents"), data.agents.map(function (a) {
        var button = el("button", {text: a.active ? t("deactivate") : t("reactivate"), testid: "toggle-" + str(a.username)});
        button.type = "button";
        button.disabled = state.me && a.id === state.me.id;
        button.addEventListener("click", function () { setActive(a, !a.active); });
        var row = el("tr", {testid: "agent-" + str(a.username)}, [
          el("td", {text: a.username}), el("td", {text: a.display_name}),
          el("td", {text: a.role === "admin" ? t("roleAdmin") : t("roleAgent")}), el("td", {text: a.language}),
          el("td", {text: a.active ? t("active") : t("deactivated")}), el("td", {}, [button])]);
        if (!a.active) { row.className = "inactive"; }
        return row;
      }));
    }).catch(function (err) { $("admin-message").textContent = err.message; });
  }
  function setActive(agent, active) {
    api("POST", "/api/admin/agents/" + Number(agent.id) + "/" + (active ? "reactivate" : "deactivate")).then(function (data) {
      $("admin-message").textContent = data.requeued && data.requeued.length ? data.requeued.length + " " + t("requeued") : "";
      loadAgents(); refresh();
    }).catch(function (err) { $("admin-message").textContent = err.message; });
  }
  $("admin-toggle").addEventListener("click", function () {
    var show = $("admin").hidden;
    $("admin").hidden = !show;
    $("empty").hidden = show || !!state.selected; $("conversation").hidden = show || !state.selected;
    $("admin-message").textContent = "";
    if (show) { loadAgents(); }
  });
  $("add-agent-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    api("POST", "/api/admin/agents", {username: form.username.value, display_name: form.display_name.value,
      password: form.password.value, role: form.role.value, language: form.language.value}).then(function (data) {
      $("admin-message").textContent = t("added") + ": " + data.agent.username; form.reset(); loadAgents();
    }).catch(function (err) { $("admin-message").textContent = err.message; });
  });

  applyTexts();
  api("GET", "/api/me").then(function (data) { showApp(data.agent); }).catch(showLogin);
})();
