/* Service metrics page (admins): figures, charts (Chart.js, served locally), tables with a CSV export each,
   definitions on hover and in each section's legend, and assigning overdue tickets and callbacks to an agent.
   Everything from the API reaches the page as text (createElement + textContent; class names from fixed lists),
   under the console's strict Content-Security-Policy (SECURITY.md). */
(function () {
  "use strict";
  var T = {
    zh: {
      title: "星河数码 · 服务指标", back: "返回工作台", toConsole: "前往客服工作台登录", signInFirst: "请先登录客服工作台。",
      refusedTitle: "抱歉，您暂时无法查看服务指标", refused: "服务指标仅对管理员开放。如需查看，请联系管理员为您的账号开通权限。",
      period: "期间", today: "今天", days7: "近 7 天", days30: "近 30 天", custom: "自定义", from: "从", to: "到",
      channel: "渠道", language: "客户语言", all: "全部", web: "网站", wechat: "微信", rest: "REST 接口",
      loading: "计算中…", computed: "计算于", exportCsv: "导出 CSV", legend: "指标定义", none: "暂无数据",
      assign: "指派", chooseAgent: "选择客服…", assigned: "已指派给", charts: "图表",
      sections: {volume: "会话量", containment: "自助解决", knowledge_base: "知识库", handoff: "转人工", satisfaction: "满意度",
                 complaints: "投诉", mood: "客户情绪", servqual: "服务质量一览（SERVQUAL）"}
    },
    en: {
      title: "Galaxy Digital · Service metrics", back: "Back to the console", toConsole: "Sign in on the agent console",
      signInFirst: "Please sign in on the agent console first.",
      refusedTitle: "Sorry, the service metrics are not available to you",
      refused: "The service metrics are for admins. If you need them, please ask an admin to give your account that role.",
      period: "Period", today: "Today", days7: "Last 7 days", days30: "Last 30 days", custom: "Custom", from: "From", to: "To",
      channel: "Channel", language: "Customer language", all: "All", web: "Website", wechat: "WeChat", rest: "REST",
      loading: "Computing…", computed: "computed", exportCsv: "Export CSV", legend: "Definitions", none: "Nothing yet",
      assign: "Assign", chooseAgent: "Choose an agent…", assigned: "Assigned to", charts: "Charts",
      sections: {volume: "Volume", containment: "Containment", knowledge_base: "Knowledge base", handoff: "Handoff",
                 satisfaction: "Satisfaction", complaints: "Complaints", mood: "Mood", servqual: "Service quality at a glance (SERVQUAL)"}
    }
  };
  // Table columns whose values are names of things (labels from the API); the rest are shown as they are.
  var LABEL_KINDS = {channel: "channel", language: "language", reason: "reason", status: "handoff_status", category: "category",
                     severity: "severity", outcome: "mood_outcome", dimension: "dimension", message: "message", weekday: "weekday"};
  var COLORS = ["#2f54eb", "#13c2c2", "#fa8c16", "#8c8c8c", "#eb2f96", "#52c41a", "#722ed1", "#fadb14"];
  var CHANNEL_COLORS = {web: "#2f54eb", wechat: "#52c41a", rest: "#fa8c16", other: "#8c8c8c"};
  var lang = localStorage.getItem("console-lang") === "en" ? "en" : "zh";
  var state = {me: null, report: null, charts: [], agents: [], loading: 0};
  var $ = function (id) { return document.getElementById(id); };
  function t(key) { return T[lang][key] || key; }
  /* Text always as text: static/safe_dom.js. */
  var str = SafeDom.str, el = SafeDom.el, fillWith = SafeDom.fillWith;

  function applyTexts() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-t]").forEach(function (node) { node.textContent = t(node.getAttribute("data-t")); });
  }

  /* GETs, and POSTs with a JSON body from this page (the server checks both). */
  function api(method, path, body) {
    var post = method !== "GET";
    return fetch(path, {method: method, credentials: "same-origin",
      headers: post ? {"Content-Type": "application/json"} : {}, body: post ? JSON.stringify(body || {}) : undefined})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var err = new Error(data.error || r.statusText); err.status = r.status; throw err; }
          return data;
        });
      });
  }

  // formatting -------------------------------------------------------------------------------------
  function definition(key) { return (state.report && state.report.definitions[key]) || {name: {}, means: {}}; }
  function nameOf(key) { return definition(key).name[lang] || key; }
  function meansOf(key) { return definition(key).means[lang] || ""; }
  function labelOf(column, value) {
    if (column === "figure") { return nameOf(value); }
    if (column === "categories") {
      return str(value).split(", ").map(function (c) { return labelOf("category", c); }).join(lang === "zh" ? "、" : ", ");
    }
    var kind = LABEL_KINDS[column];
    var found = kind && state.report.labels[kind + ":" + value];
    return found ? found[lang] : value;
  }
  function seconds(value) {
    if (value < 120) { return Number(value.toFixed(1)) + " s"; }
    return value < 7200 ? (value / 60).toFixed(1) + " min" : (value / 3600).toFixed(1) + " h";
  }
  function shown(value, unit) {
    if (value === null || value === undefined || value === "") { return "—"; }
    if (typeof value === "string") { return value; }
    if (unit === "share") { return (value * 100).toFixed(1) + "%"; }
    if (unit === "seconds") { return seconds(value); }
    if (unit === "score") { return value.toFixed(2); }
    return String(value);
  }

  // loading ------------------------------------------------------------------------------------------
  function query() {
    var period = $("period").value, params = new URLSearchParams();
    if (period === "custom") {
      params.set("since", $("from").value || "7d");
      if ($("to").value) { params.set("until", $("to").value); }
    } else { params.set("since", period); }
    if ($("channel").value) { params.set("channel", $("channel").value); }
    if ($("language").value) { params.set("language", $("language").value); }
    return params.toString();
  }
  function load() {
    var ticket = ++state.loading;
    $("status").textContent = t("loading"); $("error").textContent = "";
    api("GET", "/api/admin/metrics?" + query()).then(function (report) {
      if (ticket !== state.loading) { return; }
      state.report = report;
      if ($("period").value !== "custom") { $("from").value = report.period.from; $("to").value = report.period.to; }
      render();
    }).catch(function (err) {
      if (ticket !== state.loading) { return; }
      $("status").textContent = ""; $("error").textContent = err.message;
      if (err.status === 401) { showOnly("signin"); } else if (err.status === 403) { showOnly("refused"); }
    });
  }
  function loadAgents() {
    return api("GET", "/api/admin/agents").then(function (data) {
      state.agents = data.agents.filter(function (a) { return a.active; });
    }).catch(function () { state.agents = []; });
  }

  // rendering ----------------------------------------------------------------------------------------
  function render() {
    var report = state.report;
    state.charts.forEach(function (chart) { chart.destroy(); });
    state.charts = [];
    $("status").textContent = report.period.from + " — " + report.period.to + " · " + t("computed") + " " +
      new Date(report.generated_at).toLocaleString();
    var sections = report.sections.map(renderSection);
    fillWith($("sections"), sections);
    drawCharts();
  }

  function renderSection(section) {
    var figures = section.figures.map(function (f) {
      var d = definition(f.key);
      return el("div", {className: "figure", title: meansOf(f.key), testid: "figure-" + f.key}, [
        el("span", {className: "name", text: nameOf(f.key)}), el("span", {className: "value", text: shown(f.value, d.unit)})]);
    });
    var charts = section.tables.filter(function (tab) { return CHARTS[tab.key]; }).map(function (tab) {
      var canvas = el("canvas", {testid: "chart-" + tab.key});
      canvas.dataset.table = tab.key;
      return el("div", {className: "chart-box"}, [el("h3", {text: nameOf(tab.key), title: meansOf(tab.key)}),
                                                   el("div", {className: "chart"}, [canvas])]);
    });
    var tables = section.tables.map(renderTable);
    var keys = section.figures.map(function (f) { return f.key; }).concat(section.tables.map(function (tab) { return tab.key; }));
    var legend = el("details", {className: "legend"}, [el("summary", {text: t("legend")}), el("dl", {}, [].concat.apply([],
      keys.map(function (key) { return [el("dt", {text: nameOf(key)}), el("dd", {text: meansOf(key)})]; })))]);
    return el("section", {className: "section", testid: "section-" + section.key}, [
      el("h2", {text: t("sections")[section.key] || section.key}),
      el("div", {className: "figures"}, figures), el("div", {className: "charts"}, charts),
      el("div", {className: "tables"}, tables), legend]);
  }

  // Tables that need the section's whole width (long texts, the assign control).
  var WIDE = ["overdue_tickets", "overdue_callbacks", "csat_comments", "repeat_complainants_list", "busiest_hours",
              "mood_by_day"];
  function renderTable(tab) {
    var d = definition(tab.key), columns = d.columns || [];
    var assignable = tab.key === "overdue_tickets" || tab.key === "overdue_callbacks";
    // The SERVQUAL table's unit column says how to show its values; the page shows them so (the CSV keeps it).
    var shownColumns = tab.key === "servqual" ? columns.length - 1 : columns.length;
    var button = el("button", {className: "secondary", text: t("exportCsv"), testid: "csv-" + tab.key});
    button.type = "button";
    button.addEventListener("click", function () { downloadCsv(tab, columns); });
    var head = el("tr", {}, columns.slice(0, shownColumns).map(function (c) {
      return el("th", {text: c.name[lang] || c.key, title: meansOf(tab.key)});
    }).concat(assignable ? [el("th", {text: t("assign")})] : []));
    var body = tab.key === "busiest_hours" ? heatRows(tab) : tab.rows.map(function (row) {
      var cells = row.slice(0, shownColumns).map(function (value, i) {
        var column = columns[i] || {key: "", unit: "text"};
        var unit = tab.key === "servqual" && column.key === "value" ? row[row.length - 1] : column.unit;
        var numeric = typeof value === "number";
        var asText = unit === "text" || unit === "day" || unit === "time";
        return el("td", {className: numeric ? "num" : unit === "text" ? "text" : "",
                         text: asText ? (numeric ? String(value) : str(labelOf(column.key, value)) || "—") : shown(value, unit)});
      });
      if (assignable) { cells.push(el("td", {}, [assignControl(tab.key, row)])); }
      return el("tr", {}, cells);
    });
    var table = el("table", {className: tab.key === "busiest_hours" ? "heat" : "data", testid: "table-" + tab.key},
                   [el("thead", {}, [head]), el("tbody", {}, body.length ? body : [el("tr", {}, [el("td", {text: t("none")})])])]);
    return el("div", {className: WIDE.indexOf(tab.key) >= 0 ? "table-box wide" : "table-box"}, [
      el("div", {className: "head"}, [el("h3", {text: nameOf(tab.key), title: meansOf(tab.key)}), button]), table]);
  }

  function heatRows(tab) {
    var max = 0;
    tab.rows.forEach(function (row) { row.slice(1).forEach(function (v) { max = Math.max(max, v); }); });
    return tab.rows.map(function (row) {
      return el("tr", {}, [el("th", {text: labelOf("weekday", row[0])})].concat(row.slice(1).map(function (v, hour) {
        var level = v && max ? Math.max(1, Math.ceil(5 * v / max)) : 0;
        return el("td", {className: "h" + level, text: v ? String(v) : "",
                         title: labelOf("weekday", row[0]) + " " + (hour < 10 ? "0" : "") + hour + ":00 · " + v});
      })));
    });
  }

  function assignControl(kind, row) {
    var select = el("select", {testid: "assign-agent-" + str(row[0])});
    fillWith(select, [el("option", {text: t("chooseAgent")})].concat(state.agents.map(function (a) {
      var option = el("option", {text: a.display_name + " (" + a.username + ")"});
      option.value = String(Number(a.id));
      return option;
    })));
    select.options[0].value = "";
    var button = el("button", {text: t("assign"), testid: "assign-" + str(row[0])});
    button.type = "button";
    button.addEventListener("click", function () {
      if (!select.value) { return; }
      var path = (kind === "overdue_tickets" ? "/api/admin/tickets/" : "/api/admin/callbacks/") +
        encodeURIComponent(str(row[0])) + "/assign";
      button.disabled = true;
      api("POST", path, {agent_id: Number(select.value)}).then(function () { load(); })
        .catch(function (err) { $("error").textContent = err.message; button.disabled = false; });
    });
    return el("span", {className: "assign"}, [select, button]);
  }

  // CSV: the table's columns and rows as the API gave them (raw values; shares as fractions) ----------------
  function csvCell(value) {
    var text = str(value);
    if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }  // never a formula in a spreadsheet
    return /[",\n\r]/.test(text) ? "\"" + text.replace(/"/g, "\"\"") + "\"" : text;
  }
  function downloadCsv(tab, columns) {
    var lines = [columns.map(function (c) { return csvCell(c.key); }).join(",")].concat(tab.rows.map(function (row) {
      return row.map(csvCell).join(",");
    }));
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], {type: "text/csv;charset=utf-8"});
    var link = el("a");
    var report = state.report;
    link.href = URL.createObjectURL(blob);
    link.download = tab.key + "_" + report.period.from + "_" + report.period.to + ".csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  // charts ---------------------------------------------------------------------------------------------------
  function column(tab, key) {
    var index = tab.columns.indexOf(key);
    return tab.rows.map(function (row) { return row[index]; });
  }
  function shortDays(tab) { return column(tab, "day").map(function (d) { return str(d).slice(5); }); }
  function columnName(tabKey, key) {
    var found = (definition(tabKey).columns || []).filter(function (c) { return c.key === key; })[0];
    return found ? found.name[lang] : key;
  }
  function byChannel(tab) {
    return {type: "bar", data: {labels: shortDays(tab), datasets: ["web", "wechat", "rest", "other"].map(function (c) {
      return {label: labelOf("channel", c), data: column(tab, c), backgroundColor: CHANNEL_COLORS[c]};
    })}, options: {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}}};
  }
  function doughnut(tab, labelColumn, valueColumn) {
    return {type: "doughnut", data: {labels: column(tab, labelColumn).map(function (v) { return labelOf(labelColumn, v); }),
      datasets: [{data: column(tab, valueColumn), backgroundColor: COLORS}]}, options: {}};
  }
  function percentLine(tab, keys) {
    return {type: "line", data: {labels: shortDays(tab), datasets: keys.map(function (key, i) {
      return {label: columnName(tab.key, key), data: column(tab, key).map(function (v) { return v == null ? null : v * 100; }),
              borderColor: COLORS[i + 4], backgroundColor: COLORS[i + 4], spanGaps: true};
    })}, options: {scales: {y: {beginAtZero: true, ticks: {callback: function (v) { return v + "%"; }}}}}};
  }
  var CHARTS = {
    conversations_by_day: byChannel,
    messages_by_day: byChannel,
    volume_by_language: function (tab) { return doughnut(tab, "language", "conversations"); },
    containment_by_day: function (tab) {
      return {type: "bar", data: {labels: shortDays(tab), datasets: [
        {label: columnName(tab.key, "conversations"), data: column(tab, "conversations"), backgroundColor: "#adc6ff"},
        {label: columnName(tab.key, "contained"), data: column(tab, "contained"), backgroundColor: "#52c41a"},
        {label: columnName(tab.key, "abandoned"), data: column(tab, "abandoned"), backgroundColor: "#fa541c"}]},
        options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}};
    },
    handoff_reasons: function (tab) { return doughnut(tab, "reason", "handoffs"); },
    csat_distribution: function (tab) {
      return {type: "bar", data: {labels: column(tab, "score"), datasets: [{label: columnName(tab.key, "ratings"),
        data: column(tab, "ratings"), backgroundColor: ["#52c41a", "#95de64", "#fadb14", "#fa8c16", "#f5222d"]}]},
        options: {plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}};
    },
    csat_by_day: function (tab) {
      return {type: "line", data: {labels: shortDays(tab), datasets: [{label: columnName(tab.key, "average"),
        data: column(tab, "average"), borderColor: "#2f54eb", backgroundColor: "#2f54eb", spanGaps: true}]},
        options: {scales: {y: {min: 1, max: 5}}}};
    },
    tickets_by_category: function (tab) {
      return {type: "bar", data: {labels: column(tab, "category").map(function (v) { return labelOf("category", v); }),
        datasets: [["critical", "#cf1322"], ["high", "#fa8c16"], ["normal", "#2f54eb"]].map(function (s) {
          return {label: labelOf("severity", s[0]), data: column(tab, s[0]), backgroundColor: s[1]};
        })}, options: {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}}};
    },
    mood_by_day: function (tab) { return percentLine(tab, ["upset_share", "angry_share"]); },
    mood_outcomes: function (tab) { return doughnut(tab, "outcome", "total"); }
  };
  function drawCharts() {
    if (typeof window.Chart !== "function") { return; }  // the charts are not installed: tables still show
    var tables = {};
    state.report.sections.forEach(function (s) { s.tables.forEach(function (tab) { tables[tab.key] = tab; }); });
    document.querySelectorAll("canvas[data-table]").forEach(function (canvas) {
      var tab = tables[canvas.dataset.table], spec = CHARTS[canvas.dataset.table](tab);
      spec.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false}, spec.options);
      state.charts.push(new window.Chart(canvas, spec));
    });
  }

  // the page -------------------------------------------------------------------------------------------------
  function showOnly(id) {
    ["signin", "refused", "app"].forEach(function (name) { $(name).hidden = name !== id; });
  }
  document.querySelectorAll("[data-lang]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault(); lang = a.getAttribute("data-lang") === "en" ? "en" : "zh"; localStorage.setItem("console-lang", lang);
      applyTexts(); if (state.report) { render(); }
    });
  });
  $("period").addEventListener("change", function () {
    var custom = $("period").value === "custom";
    document.querySelectorAll(".controls .custom").forEach(function (node) { node.hidden = !custom; });
    load();
  });
  ["from", "to", "channel", "language"].forEach(function (id) { $(id).addEventListener("change", load); });
  $("controls").addEventListener("submit", function (e) { e.preventDefault(); load(); });

  applyTexts();
  api("GET", "/api/me").then(function (data) {
    state.me = data.agent;
    $("me").textContent = data.agent.display_name;
    if (data.agent.role !== "admin") { showOnly("refused"); return; }
    showOnly("app");
    loadAgents().then(load);
  }).catch(function () { showOnly("signin"); });
})();
