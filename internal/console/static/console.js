// Roster console: the copy buttons. Everything else works without
// JavaScript; htmx (htmx.min.js) only enhances forms that declare it.
(function () {
  "use strict";
  function copied(btn) {
    var label = btn.getAttribute("data-label") || btn.textContent;
    btn.setAttribute("data-label", label);
    btn.textContent = "Copied";
    btn.classList.add("copied");
    setTimeout(function () { btn.textContent = label; btn.classList.remove("copied"); }, 2000);
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-copy]");
    if (!btn) return;
    var field = document.getElementById(btn.getAttribute("data-copy"));
    if (!field) return;
    var text = field.value;
    function fallback() {
      field.focus();
      field.select();
      try { document.execCommand("copy"); } catch (e) { /* selected for Ctrl+C */ }
      copied(btn);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(btn); }, fallback);
    } else {
      fallback();
    }
  });
})();
