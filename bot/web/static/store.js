// The demo store page: language switch, the demo's "sign in as a customer", and the chat widget.
// Loaded as a file (the page runs no inline script); its settings come from the JSON block #store-config.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("store-config").textContent || "null") || {};
  var texts = {
    zh: {title: "星河数码客服", subtitle: "小星 · 智能客服，随时可转人工", hint: "请输入您的问题…",
         guest: "请选择顾客", vip: "VIP", failed: "登录失败，请稍后再试"},
    en: {title: "Galaxy Digital support", subtitle: "Stella · virtual assistant, a person on request",
         hint: "Type your question…", guest: "Choose a customer", vip: "VIP", failed: "Sign-in failed, please try again"}
  };
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

  function startChat(token) {
    var socketUrl = config.socketUrl;
    if (token) {
      // rasa-webchat 1.0.1 does not hand protocolOptions to socket.io, so the token also rides in the
      // handshake's query string, which the assistant's web-chat channel reads too.
      socketUrl = socketUrl.replace(/\/+$/, "") + "/?token=" + encodeURIComponent(token);
    }
    window.WebChat.default({
      selector: "#webchat",
      initPayload: "/greet",
      customData: {language: lang},
      socketUrl: socketUrl,
      socketPath: "/socket.io/",
      protocolOptions: token ? {auth: {token: token}} : {},
      title: texts[lang].title,
      subtitle: texts[lang].subtitle,
      inputTextFieldHint: texts[lang].hint,
      showMessageDate: true,
      params: {storage: "session"}
    }, null);
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
