// geojobs page behaviour that HTMX does not cover. No inline scripts: the CSP forbids them.
(function () {
  "use strict";
  // In the desktop window the layout adds <meta name="geojobs-desktop">; the page then
  // uses the native folder picker and native notifications (the shell sends them).
  window.geojobsInDesktop = !!document.querySelector('meta[name="geojobs-desktop"]');
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
      if (status) status.textContent = file.name + " · " + file.size.toLocaleString() + " bytes loaded";
      const fname = document.getElementById(input.getAttribute("data-fname-target") || "");
      if (fname) fname.value = file.name;
      // The file itself need not be uploaded again: the base64 value carries it.
      input.value = "";
    };
    reader.readAsDataURL(file);
  });

  // Desktop: a "Choose…" button beside each folder field opens the native folder
  // picker (POST /desktop/downloads-folder; 204 = cancelled) and fills the field. The
  // field only gets the path: the form it is in decides what to do with it (save=0).
  function addFolderPickers(root) {
    if (!window.geojobsInDesktop || !root || !root.querySelectorAll) return;
    const inputs = Array.from(root.querySelectorAll("input[data-folder-picker]"));
    if (root.matches && root.matches("input[data-folder-picker]")) inputs.push(root);
    inputs.forEach(function (input) {
      const next = input.nextElementSibling;
      if (next && next.hasAttribute("data-folder-choose")) return;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "button";
      b.textContent = "Choose…";
      b.setAttribute("data-folder-choose", "true");
      b.setAttribute("data-testid", "folder-choose");
      if (input.id) b.setAttribute("aria-controls", input.id);
      const label = input.id && document.querySelector('label[for="' + input.id + '"]');
      b.setAttribute("aria-label", "Choose… " + (label ? label.textContent.trim() : "folder"));
      input.insertAdjacentElement("afterend", b);
    });
  }
  function folderNote(input, msg) {
    const row = input.parentElement;
    let note = row.parentElement && row.parentElement.querySelector(".folder-note");
    if (!note && msg) {
      note = document.createElement("p");
      note.className = "field-error folder-note";
      note.setAttribute("role", "alert");
      row.insertAdjacentElement("afterend", note);
    }
    if (note) { note.textContent = msg; note.hidden = !msg; }
  }
  document.addEventListener("click", function (ev) {
    const b = ev.target.closest && ev.target.closest("button[data-folder-choose]");
    if (!b || b.disabled) return;
    const input = b.previousElementSibling;
    if (!input || !input.matches("input[data-folder-picker]")) return;
    b.disabled = true;
    const body = new URLSearchParams({ save: "0", start: input.value.trim() });
    fetch("/desktop/downloads-folder", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (resp) {
        if (resp.status === 204) return null; // cancelled
        return resp.json().then(function (v) {
          if (!resp.ok || !v || typeof v.path !== "string") throw new Error(v && v.error ? v.error : "The folder picker failed.");
          return v.path;
        });
      })
      .then(function (path) {
        folderNote(input, "");
        if (path === null) return;
        input.value = path;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }, function (e) { folderNote(input, e && e.message ? e.message : "The folder picker failed."); })
      .finally(function () { b.disabled = false; input.focus(); });
  });
  document.addEventListener("htmx:load", function (ev) { addFolderPickers(ev.detail && ev.detail.elt); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { addFolderPickers(document); });
  else addFolderPickers(document);

  // The map components load with the first page that has one: their modules are 1.3 MB
  // of JavaScript that a page without a map need not parse (4 MiB of the desktop web
  // process at idle). An element already in the page is upgraded once its module defines it.
  const mapModules = { "gj-aoi-map": "/static/map/aoi-map.js", "gj-footprints-map": "/static/map/footprints-map.js" };
  function loadMaps(root) {
    if (!root || !root.querySelector) return;
    for (const tag in mapModules) {
      const src = mapModules[tag];
      if (src && ((root.matches && root.matches(tag)) || root.querySelector(tag))) {
        mapModules[tag] = ""; // once
        import(src);
      }
    }
  }
  document.addEventListener("htmx:load", function (ev) { loadMaps(ev.detail && ev.detail.elt); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { loadMaps(document); });
  else loadMaps(document);

  // Job list: the header's box selects every row shown (rows loaded later too, while it
  // stays ticked); it shows "some" when only part of them are.
  function rowBoxes(form) {
    return Array.from(document.querySelectorAll('input[type=checkbox][name=id][form="' + form + '"]'));
  }
  function syncSelectAll() {
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      const boxes = rowBoxes(all.getAttribute("data-select-all"));
      const n = boxes.filter(function (b) { return b.checked; }).length;
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    });
  }
  document.addEventListener("change", function (ev) {
    const t = ev.target;
    if (t.matches && t.matches("input[data-select-all]")) {
      rowBoxes(t.getAttribute("data-select-all")).forEach(function (b) { b.checked = t.checked; });
    } else if (t.matches && t.matches("input[type=checkbox][name=id]")) {
      syncSelectAll();
    }
  });
  document.addEventListener("htmx:afterSwap", function (ev) {
    if (!ev.detail || !ev.detail.target || ev.detail.target.id !== "job-rows") return;
    const all = document.querySelector("input[data-select-all]");
    if (all && all.checked) rowBoxes(all.getAttribute("data-select-all")).forEach(function (b) { b.checked = true; });
    syncSelectAll();
  });
  // Bulk actions name the action and the number of jobs in their confirmation: the
  // click words the form's hx-confirm before htmx reads it on submit.
  document.addEventListener("click", function (ev) {
    const btn = ev.target.closest && ev.target.closest("#bulk button[data-confirm]");
    if (!btn) return;
    const n = rowBoxes("bulk").filter(function (b) { return b.checked; }).length;
    if (n === 0) {
      ev.preventDefault();
      window.alert("Select the jobs first: tick their boxes in the list.");
      return;
    }
    btn.form.setAttribute("hx-confirm", btn.getAttribute("data-confirm").replace("{n}", n === 1 ? "1 job" : n + " jobs"));
  });

  // Execution form: what an action answers is brought into view and focused (F-16).
  // The form is swapped whole; the button that sent it says what to show: the new
  // row after "+ Add a value", the export dialog, else the problems or the notice at
  // the top of the form (they would sit off-screen above the sticky Submit).
  let execOp = "";
  document.addEventListener("click", function (ev) {
    const b = ev.target.closest && ev.target.closest("#exec-form button[type=submit]");
    if (b) execOp = b.value || "";
  });
  let execPending = null;
  document.addEventListener("htmx:beforeRequest", function (ev) {
    if (ev.detail && ev.detail.elt && ev.detail.elt.id === "exec-form") { execPending = execOp; execOp = ""; }
  });
  document.addEventListener("htmx:afterSettle", function () {
    const form = document.getElementById("exec-form");
    if (!form || execPending === null) return;
    const op = execPending;
    execPending = null;
    const show = function (el, block) {
      if (!el) return false;
      el.scrollIntoView({ block: block || "start" });
      el.focus({ preventScroll: true });
      return true;
    };
    const dialog = document.getElementById("export-dialog");
    if (dialog && op === "export") {
      dialog.close();
      dialog.showModal();
      show(document.getElementById("export-h"), "nearest");
      return;
    }
    const lead = form.querySelector("[data-focus-after-swap]");
    if (lead && lead.matches("[data-testid=problems],[data-testid=submit-error]")) { show(lead); return; }
    if (op.indexOf("add:") === 0 || op.indexOf("remove:") === 0) {
      const fs = document.getElementById("in-" + op.split(":")[1]);
      const rows = fs ? fs.querySelectorAll("[data-testid=row]") : [];
      const row = rows[rows.length - 1];
      const ctl = op.indexOf("add:") === 0 && row
        ? row.querySelector(".value-control input:not([type=hidden]),.value-control textarea,.value-control select") ||
          row.querySelector("input:not([type=hidden]),textarea,select")
        : fs && fs.querySelector("[data-testid=add-row]");
      if (show(ctl, "center")) return;
    }
    if (op === "validate" || op === "import") show(lead);
  });
  document.addEventListener("click", function (ev) {
    const b = ev.target.closest && ev.target.closest("[data-close-dialog]");
    if (!b) return;
    const d = document.getElementById(b.getAttribute("data-close-dialog"));
    if (d) d.close();
    const exp = document.querySelector("#exec-form [data-testid=export]");
    if (exp) exp.focus();
  });

  // A button with data-busy-text says so (and is disabled) while its request runs:
  // a key or connection test may take seconds.
  function busyButton(ev) {
    const elt = ev.detail && ev.detail.elt;
    if (!elt || !elt.matches) return null;
    if (elt.matches("[data-busy-text]")) return elt;
    return elt.querySelector ? elt.querySelector("[data-busy-text]") : null;
  }
  document.addEventListener("htmx:beforeRequest", function (ev) {
    const b = busyButton(ev);
    if (!b || b.hasAttribute("aria-busy")) return;
    b.setAttribute("data-idle-text", b.textContent);
    b.textContent = b.getAttribute("data-busy-text");
    b.setAttribute("aria-busy", "true");
    b.disabled = true;
  });
  document.addEventListener("htmx:afterRequest", function (ev) {
    const b = busyButton(ev);
    if (!b || !b.hasAttribute("aria-busy")) return;
    b.textContent = b.getAttribute("data-idle-text");
    b.removeAttribute("aria-busy");
    b.disabled = false;
  });

  // HTTP keys: only the fields of the chosen authentication scheme are shown.
  function syncScheme(root) {
    const sel = (root || document).querySelector ? (root || document).querySelector("select[name=scheme]") : null;
    if (!sel) return;
    document.querySelectorAll("[data-scheme-only]").forEach(function (el) {
      el.hidden = el.getAttribute("data-scheme-only") !== sel.value;
    });
  }
  document.addEventListener("change", function (ev) {
    if (ev.target.matches && ev.target.matches("select[name=scheme]")) syncScheme(document);
  });
  document.addEventListener("htmx:load", function () { syncScheme(document); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { syncScheme(document); });
  else syncScheme(document);

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

// Live updates (jobs): the hub pushes HTML fragments over a WebSocket (htmx ws extension).
// This part opens the page-wide connection (running indicator, notifications), drops
// fragments for rows the page does not show or that are older than what it shows, adds
// new jobs at the top of an unfiltered list, reconnects after the server asked the
// page to go away, and turns "job ended" notices into browser notifications.
(function () {
  "use strict";
  if (!window.htmx) return;

  function openGlobal() {
    if (document.getElementById("live-global")) return;
    const el = document.createElement("div");
    el.id = "live-global";
    el.hidden = true;
    el.setAttribute("hx-ext", "ws");
    el.setAttribute("ws-connect", "/ws?topic=running&topic=notify");
    document.body.appendChild(el);
    htmx.process(el);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", openGlobal);
  else openGlobal();

  // In the desktop window the shell shows native notifications; the page shows none
  // and asks for no browser permission.
  const desktop = !!window.geojobsInDesktop;

  function notify(t) {
    if (desktop || !("Notification" in window) || Notification.permission !== "granted") return;
    const href = t.getAttribute("data-href") || "";
    const n = new Notification(t.getAttribute("data-title") || "Job ended", {
      body: t.getAttribute("data-body") || "", tag: "geojobs-job-" + (t.getAttribute("data-job") || ""),
    });
    n.onclick = function () {
      window.focus();
      if (/^\/jobs\/[^/]+$/.test(href)) window.location.assign(href);
      n.close();
    };
  }

  function version(el) { return Number(el.getAttribute("data-version") || "0"); }

  document.addEventListener("htmx:wsBeforeMessage", function (ev) {
    const msg = ev.detail && ev.detail.message;
    if (typeof msg !== "string") return;
    const tpl = document.createElement("template");
    tpl.innerHTML = msg;
    const els = Array.from(tpl.content.children);
    const notes = els.filter(function (e) { return e.matches("template[data-notify]"); });
    if (notes.length) { ev.preventDefault(); notes.forEach(notify); return; }
    let changed = false;
    const keep = [];
    els.forEach(function (el) {
      const cur = el.id ? document.getElementById(el.id) : null;
      if (!cur) {
        changed = true;
        const rows = document.querySelector('#job-rows[data-live-new="true"]');
        if (rows && el.matches("tr[data-job]")) {
          el.removeAttribute("hx-swap-oob");
          rows.prepend(el);
          const empty = document.querySelector("[data-testid=no-jobs]");
          if (empty) empty.remove();
          const card = rows.closest(".hidden-table");
          if (card) card.classList.remove("hidden-table");
          htmx.process(el);
        }
        return;
      }
      if (el.hasAttribute("data-version") && version(cur) > version(el)) { changed = true; return; }
      keep.push([cur, el]);
    });
    if (!changed) return; // htmx swaps it as it is
    ev.preventDefault();
    keep.forEach(function (p) {
      const cur = p[0], el = p[1];
      el.removeAttribute("hx-swap-oob");
      // keep a row's checkbox as the user left it
      const box = cur.querySelector && cur.querySelector("input[type=checkbox][name=id]");
      cur.replaceWith(el);
      if (box && box.checked) { const nb = el.querySelector("input[type=checkbox][name=id]"); if (nb) nb.checked = true; }
      htmx.process(el);
    });
  });

  // A live row replaced by htmx keeps its checkbox state too.
  document.addEventListener("htmx:oobBeforeSwap", function (ev) {
    const cur = ev.detail && ev.detail.target;
    const box = cur && cur.querySelector && cur.querySelector("input[type=checkbox][name=id]");
    if (!box || !box.checked || !ev.detail.fragment) return;
    const nb = ev.detail.fragment.querySelector && ev.detail.fragment.querySelector("input[type=checkbox][name=id]");
    if (nb) nb.setAttribute("checked", "");
  });

  // The hub closes a page that falls behind with "going away" (1001); the extension
  // reconnects only after abnormal closes, so this reconnects (and resynchronises).
  document.addEventListener("htmx:wsClose", function (ev) {
    const code = ev.detail && ev.detail.event && ev.detail.event.code;
    const sw = ev.detail && ev.detail.socketWrapper;
    const elt = ev.target;
    if (code !== 1001 || !sw || !document.body.contains(elt)) return;
    setTimeout(function () { if (document.body.contains(elt)) sw.reconnect(); }, 500 + Math.random() * 1500);
  });

  // Connection lost: while the page-wide socket is down (the app stopped, the laptop
  // slept), a banner says so. The extension reconnects every socket of the page, and
  // the hub sends each one a snapshot, which brings the page up to date. The banner
  // waits a moment, so the quick reconnects above (1001) do not flash it.
  const LOST_AFTER_MS = 3000;
  let lostTimer = 0;
  function isGlobal(ev) { return ev.target && ev.target.id === "live-global"; }
  function setLost(lost) {
    const b = document.getElementById("connection-lost");
    if (!b) return;
    b.textContent = lost ? "Connection to geojobs lost — reconnecting…" : "";
    b.hidden = !lost;
  }
  document.addEventListener("htmx:wsClose", function (ev) {
    if (!isGlobal(ev) || lostTimer) return;
    lostTimer = setTimeout(function () { lostTimer = 0; setLost(true); }, LOST_AFTER_MS);
  });
  document.addEventListener("htmx:wsOpen", function (ev) {
    if (!isGlobal(ev)) return;
    clearTimeout(lostTimer);
    lostTimer = 0;
    setLost(false);
  });
  // Try again soon after a long outage too: the extension's default waits up to a
  // minute between attempts; this caps it at about 8 s, with jitter.
  htmx.config.wsReconnectDelay = function (retries) {
    return Math.min(1000 * Math.pow(2, Math.min(retries, 3)), 8000) * (0.5 + Math.random() / 2);
  };

  // Notifications: the button that turns them on also asks the browser's permission
  // (a click is needed for that); where they are on but the browser was never asked,
  // a button offers it.
  document.addEventListener("click", function (ev) {
    const btn = ev.target.closest && ev.target.closest("[data-notify-ask],[data-notify-permission]");
    if (!btn || desktop || !("Notification" in window)) return;
    if (Notification.permission === "default") {
      Notification.requestPermission().then(offerPermission, function () {});
    }
    if (btn.hasAttribute("data-notify-permission")) btn.remove();
  });
  function offerPermission() {
    if (desktop || !("Notification" in window)) return;
    document.querySelectorAll('.notify-control[data-on="true"]').forEach(function (f) {
      const has = f.querySelector("[data-notify-permission]");
      if (Notification.permission !== "default") { if (has) has.remove(); return; }
      if (has) return;
      const b = document.createElement("button");
      b.type = "button";
      b.className = "button small subtle";
      b.setAttribute("data-notify-permission", "true");
      b.textContent = "Allow in this browser";
      f.appendChild(b);
    });
  }
  document.addEventListener("htmx:afterSwap", offerPermission);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", offerPermission);
  else offerPermission();
})();
