// The demo store page: language switch, the demo's "sign in as a customer", and the chat widget.
// Loaded as a file (the page runs no inline script); its settings come from the JSON block #store-config.
// The widget's header says who is talking: the assistant, or the agent while one is connected (an agent's
// messages carry customCss.agent, see bot/channels/web_chat.py); the agent's name is also on their messages.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("store-config").textContent || "null") || {};
  var texts = {
    zh: {title: "星河数码客服", subtitle: "智能客服小星全天在线 · 人工 {hours}", hint: "请输入您的问题…",
         agentTitle: "{agent} · 人工客服", agentSubtitle: "星河数码客服正在为您服务",
         guest: "请选择顾客", vip: "VIP", failed: "登录失败，请稍后再试"},
    en: {title: "Galaxy Digital support", subtitle: "Stella (bot) day and night · people {hours}",
         agentTitle: "{agent} · customer service", agentSubtitle: "A person from Galaxy Digital is helping you",
         hint: "Type your question…", guest: "Choose a customer", vip: "VIP", failed: "Sign-in failed, please try again"}
  };
  var LOCALES = {zh: "zh-CN", en: "en-US"};
  var CUSTOMER_KEY = "store-demo-customer";  // the signed-in demo customer's id (this tab only)
  var CHAT_KEY = "chat_session";  // where rasa-webchat keeps its session id (params.storage "session")

  var params = new URLSearchParams(location.search);
  var lang = params.get("lang") || localStorage.getItem("store-lang") || config.defaultLanguage || "zh";
  if (!texts[lang]) { lang = "zh"; }
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-" + lang + "]").forEach(function (el) {
    el.textContent = el.getAttribute("data-" + lang);
  });

  // A new conversation starts with a new session: on a language switch, and on signing in or out (a
  // session id is bound to who holds it, so the old one would be refused anyway).
  function newConversation() {
    sessionStorage.removeItem(CHAT_KEY);
  }

  document.querySelectorAll("button.lang").forEach(function (button) {
    button.classList.toggle("active", button.dataset.lang === lang);
    button.addEventListener("click", function () {
      if (button.dataset.lang === lang) { return; }
      localStorage.setItem("store-lang", button.dataset.lang);
      newConversation();  // a new conversation in the new language
      location.search = "?lang=" + button.dataset.lang;
    });
  });

  function postJson(url, body) {
    return fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
                       credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); });
  }

  // What the store's backend would do for a signed-in customer: sign a short-lived token (docs/STORE_TOKENS.md).
  function tokenFor(customerId) {
    return postJson("/api/demo/customer-token", {customer_id: customerId});
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return values[key] != null ? String(values[key]) : all; });
  }

  // Who wrote a message the widget keeps: the agent's name, or null for the assistant.
  function agentOf(message) {
    var css = message && (typeof message.get === "function" ? message.get("customCss") : message.customCss);
    var agent = css && (typeof css.get === "function" ? css.get("agent") : css.agent);
    return typeof agent === "string" && agent ? agent : null;
  }

  // Under each message: its time in the page's language (24-hour clock in Chinese), after the agent's name
  // on an agent's message. The widget calls this once with the time alone, to ask whether to show one.
  function messageStamp(timestamp, message) {
    var when = new Date(timestamp), locale = LOCALES[lang];
    var time = when.toLocaleTimeString(locale, {hour: "2-digit", minute: "2-digit", hour12: lang !== "zh"});
    var today = when.toDateString() === new Date().toDateString();
    var date = today ? "" : when.toLocaleDateString(locale, {month: "numeric", day: "numeric"}) + " ";
    var agent = agentOf(message);
    return (agent ? agent + " · " : "") + date + time;
  }

  // The agent talking to the customer now (null: the assistant), from the messages as they arrive and,
  // after a reload, from the conversation the widget kept.
  var speaker = null;
  function lastSpeaker() {
    try {
      var kept = JSON.parse(sessionStorage.getItem(CHAT_KEY) || "null");
      var responses = ((kept && kept.conversation) || []).filter(function (m) { return m && m.sender === "response"; });
      return responses.length ? agentOf(responses[responses.length - 1]) : null;
    } catch (error) {
      return null;
    }
  }

  var chat = null;  // the widget's settings, kept to render it again when the speaker changes
  function renderChat() {
    var words = texts[lang];
    chat.title = speaker ? fill(words.agentTitle, {agent: speaker}) : words.title;
    chat.subtitle = speaker ? words.agentSubtitle : fill(words.subtitle, {hours: config.serviceHours || "09:00-21:00"});
    window.WebChat.default(chat, document.getElementById("webchat"));
  }
  function heard(message) {
    var agent = agentOf(message);
    if (agent !== speaker) {
      speaker = agent;
      renderChat();
    }
  }

  // A message of spaces only is not a message: the widget would send it; stop it before the widget sees it
  // (a capturing listener runs before the widget's own) and empty the box.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    var box = form && form.classList && form.classList.contains("rw-sender") ? form.querySelector(".rw-new-message") : null;
    if (!box || box.value.trim()) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set.call(box, "");
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }, true);

  function startChat(token) {
    var socketUrl = config.socketUrl;
    if (token) {
      // rasa-webchat 1.0.1 does not hand protocolOptions to socket.io, so the token also rides in the
      // handshake's query string, which the assistant's web-chat channel reads too.
      socketUrl = socketUrl.replace(/\/+$/, "") + "/?token=" + encodeURIComponent(token);
    }
    speaker = lastSpeaker();
    chat = {
      initPayload: "/greet",
      customData: {language: lang},
      socketUrl: socketUrl,
      socketPath: "/socket.io/",
      protocolOptions: token ? {auth: {token: token}} : {},
      inputTextFieldHint: texts[lang].hint,
      showMessageDate: messageStamp,
      onSocketEvent: {bot_uttered: heard},
      params: {storage: "session"}
    };
    renderChat();
  }

  function showSignedIn(customer) {
    var name = document.getElementById("demo-customer-name");
    name.textContent = customer.name + (customer.tier === "vip" ? " (" + texts[lang].vip + ")" : "");
    document.getElementById("demo-signed-in").hidden = false;
    document.getElementById("demo-sign-in").hidden = true;
  }

  function offerSignIn(customers) {
    var form = document.getElementById("demo-sign-in");
    var select = document.getElementById("demo-customer");
    var placeholder = document.createElement("option");
    placeholder.value = "";
    placeholder.textContent = texts[lang].guest;
    select.appendChild(placeholder);
    customers.forEach(function (customer) {
      var option = document.createElement("option");
      option.value = customer.id;
      option.textContent = customer.name + (customer.tier === "vip" ? " · " + texts[lang].vip : "");
      select.appendChild(option);
    });
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!select.value) { return; }
      tokenFor(select.value).then(function () {
        sessionStorage.setItem(CUSTOMER_KEY, select.value);
        newConversation();
        location.reload();
      }, function () { window.alert(texts[lang].failed); });
    });
  }

  document.getElementById("demo-sign-out").addEventListener("click", function () {
    sessionStorage.removeItem(CUSTOMER_KEY);
    newConversation();
    location.reload();
  });

  var signedIn = sessionStorage.getItem(CUSTOMER_KEY);
  fetch("/api/demo/customers", {credentials: "same-origin"})
    .then(function (response) { return response.ok ? response.json() : {customers: []}; })
    .catch(function () { return {customers: []}; })
    .then(function (listing) {
      var customers = listing.customers || [];
      if (!signedIn || !customers.length) {
        if (customers.length) { offerSignIn(customers); }
        startChat(null);
        return;
      }
      // Signed in: a fresh token on every page load, as a store's page would render it.
      tokenFor(signedIn).then(function (issued) {
        showSignedIn(issued.customer);
        startChat(issued.token);
      }, function () {
        sessionStorage.removeItem(CUSTOMER_KEY);
        newConversation();
        offerSignIn(customers);
        startChat(null);
      });
    });
})();
