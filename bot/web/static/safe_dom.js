/* The one way the console's pages build their DOM: text always as text (textContent), never HTML built
   from data; shared by console.js and metrics.js. */
(function () {
  "use strict";
  function str(value) { return value == null ? "" : String(value); }

  /* el("li", {className: "x", text: "…", title: "…"}, [children]) */
  function el(tag, props, children) {
    var node = document.createElement(tag);
    props = props || {};
    if (props.className) { node.className = props.className; }
    if (props.text != null) { node.textContent = str(props.text); }
    if (props.title != null) { node.title = str(props.title); }
    if (props.testid) { node.dataset.testid = props.testid; }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function fillWith(node, children) { node.replaceChildren.apply(node, children); }

  window.SafeDom = {str: str, el: el, fillWith: fillWith};
})();
