/* Small DOM helpers shared by the staff pages (staff.js) and the waiting-room TV (tv.js).
 * Plain ES5 so that cheap TV browsers run it. */
window.LoketDom = (function () {
  "use strict";

  // A new element with a class and a text (both optional); text never goes in as HTML.
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  // Set a text only when it changed (no needless repaint on a TV).
  function setText(node, value) {
    if (node && node.textContent !== value) { node.textContent = value; }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // "%(name)s" placeholders of a translated sentence, filled in.
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  return { el: el, clear: clear, setText: setText, pad: pad, fill: fill };
}());
