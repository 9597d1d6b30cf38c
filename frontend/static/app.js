// geojobs page behaviour that HTMX does not cover. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  // Keyboard: g then a navigation key (e, p, j, k, s) goes to that section.
  let pendingG = false;
  document.addEventListener("keydown", function (ev) {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (pendingG) {
      pendingG = false;
      const link = document.querySelector('nav a[data-key="' + ev.key + '"]');
      if (link) { ev.preventDefault(); link.click(); }
      return;
    }
    if (ev.key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1200); }
  });
  // After a swap, move focus to the new content for screen readers and keyboard users.
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (ev.detail && ev.detail.target && ev.detail.target.id === "main") {
      const main = document.getElementById("main");
      if (main) main.focus({ preventScroll: true });
      // keep the nav's current marker in step with the URL
      const path = location.pathname;
      document.querySelectorAll("nav a").forEach(function (a) {
        const here = path === a.getAttribute("href") || path.startsWith(a.getAttribute("href") + "/");
        if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
      });
    }
  });
})();
