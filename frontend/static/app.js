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
      // keep the nav's current marker in step with the page (main names its section)
      const section = main ? main.getAttribute("data-section") : "";
      document.querySelectorAll("nav[aria-label=Main] a").forEach(function (a) {
        if (section && a.getAttribute("href") === "/" + section) a.setAttribute("aria-current", "page");
        else a.removeAttribute("aria-current");
      });
    }
  });

  // Copy buttons: data-copy names the element whose text is copied.
  document.addEventListener("click", function (ev) {
    const btn = ev.target.closest && ev.target.closest("[data-copy],[data-download]");
    if (!btn) return;
    const src = document.getElementById(btn.getAttribute("data-copy") || btn.getAttribute("data-download"));
    if (!src) return;
    const text = src.value !== undefined ? src.value : src.textContent;
    if (btn.hasAttribute("data-download")) {
      const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = btn.getAttribute("data-filename") || "execute-request.json";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      return;
    }
    const done = function () {
      const label = btn.textContent;
      btn.textContent = "Copied";
      btn.classList.add("copied");
      setTimeout(function () { btn.textContent = label; btn.classList.remove("copied"); }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { src.select && src.select(); });
    } else if (src.select) {
      src.select();
    }
  });

  // Binary inputs: read the chosen file into the field's hidden base64 textarea, so the
  // value survives re-rendering the form (adding a row, checking, importing).
  document.addEventListener("change", function (ev) {
    const input = ev.target;
    if (!input.matches || !input.matches("input[type=file][data-b64-target]")) return;
    const target = document.getElementById(input.getAttribute("data-b64-target"));
    const status = document.querySelector('[data-b64-status="' + input.getAttribute("data-b64-target") + '"]');
    const file = input.files && input.files[0];
    if (!target || !file) return;
    const reader = new FileReader();
    reader.onload = function () {
      const s = String(reader.result);
      target.value = s.slice(s.indexOf(",") + 1);
      if (status) status.textContent = file.name + " · " + file.size.toLocaleString() + " bytes";
      // The file itself need not be uploaded again: the base64 value carries it.
      input.value = "";
    };
    reader.readAsDataURL(file);
  });

  // JSON editors: say at once when the text is not JSON (the server checks it again).
  document.addEventListener("focusout", function (ev) {
    const ta = ev.target;
    if (!ta.matches || !ta.matches("textarea[data-json=true]")) return;
    let msg = "";
    if (ta.value.trim() !== "") {
      try { JSON.parse(ta.value); } catch (e) { msg = "Not valid JSON: " + e.message; }
    }
    ta.setCustomValidity(msg);
    ta.setAttribute("aria-invalid", msg ? "true" : "false");
    let note = ta.parentElement.querySelector(".json-note");
    if (msg && !note) {
      note = document.createElement("p");
      note.className = "field-error json-note";
      ta.insertAdjacentElement("afterend", note);
    }
    if (note) { note.textContent = msg; note.hidden = !msg; }
  });
})();
