// geojobs desktop shell: what the window's page does only in the desktop app. Loaded
// by the layout into every full page the desktop window shows (web.DesktopShell marks
// its requests); never loaded in browser mode (and not served there).
(function () {
  "use strict";
  if (window.geojobsDesktop) return;
  const meta = function (name) {
    const m = document.querySelector('meta[name="' + name + '"]');
    return m ? m.getAttribute("content") : "";
  };
  const selfTest = meta("geojobs-selftest") === "1";
  const pushURL = meta("geojobs-ws");

  // The page's own WebSockets (htmx's ws extension builds ws://<page host>/ws?…) cannot
  // go to the AssetServer: they go to the app's loopback listener, with the push token
  // that authorizes WebSocket handshakes there. Runs before htmx (document order).
  if (pushURL && window.WebSocket) {
    const Native = window.WebSocket;
    const loop = new URL(pushURL);
    const rewrite = function (url) {
      let u;
      try { u = new URL(String(url), location.href); } catch (e) { return url; }
      if (u.host !== location.host) return url;
      // Built by hand: the URL setter cannot change wails: (not special) to ws: (special).
      const q = new URLSearchParams(u.search);
      q.set("wst", loop.searchParams.get("wst") || "");
      return "ws://" + loop.host + u.pathname + "?" + q.toString();
    };
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        const to = rewrite(url);
        if (protocols === undefined) super(to); else super(to, protocols);
        if (to !== url) state.sockets.push(this);
      }
    };
  }
  const state = { ticks: 0, connected: false, transport: "", sockets: [], errors: [] };
  if (selfTest) {
    window.addEventListener("error", function (ev) { state.errors.push(String(ev.message)); });
    document.addEventListener("htmx:wsError", function () { state.errors.push("htmx:wsError"); });
  }
  window.geojobsDesktop = state;

  // Links to other sites open in the system browser, never inside the window.
  document.addEventListener("click", function (ev) {
    const a = ev.target.closest && ev.target.closest("a[href]");
    if (!a) return;
    let u;
    try { u = new URL(a.href, location.href); } catch (e) { return; }
    if (u.origin === location.origin || !/^https?:$/.test(u.protocol)) return;
    ev.preventDefault();
    if (window.runtime && window.runtime.BrowserOpenURL) window.runtime.BrowserOpenURL(u.href);
  }, true);

  // The page's answers go back on the desktop topic of the app's hub.
  let socket = null;
  function send(m) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ topic: "desktop", data: m }));
  }

  // webgl draws one pixel with WebGL and reads it back: "ok", or what failed. The COG
  // previews draw with WebGL, which needs the GL driver in the web process (the shell
  // keeps it out of its own process).
  let webgl = "";
  function probeWebGL() {
    try {
      const c = document.createElement("canvas");
      c.width = c.height = 1;
      const gl = c.getContext("webgl");
      if (!gl) return "no webgl context";
      gl.clearColor(0, 1, 0, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
      const px = new Uint8Array(4);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
      return px[0] === 0 && px[1] === 255 && px[3] === 255 ? "ok" : "read back " + px.join(",");
    } catch (e) {
      return "error: " + e;
    }
  }

  function report() {
    if (!webgl) webgl = probeWebGL();
    const st = document.getElementById("job-status");
    const bar = st && st.querySelector("progress");
    send({ type: "dom", data: {
      path: location.pathname, title: document.title, ticks: state.ticks, transport: state.transport,
      jobStatus: st ? st.getAttribute("data-status") : "", progress: bar ? Number(bar.getAttribute("value")) : -1,
      runtime: !!window.runtime, htmx: !!window.htmx,
      pageSockets: state.sockets.map(function (w) { return w.readyState; }),
      errors: state.errors.slice(-5), wsConnect: document.querySelectorAll("[ws-connect]").length, webgl: webgl,
    } });
  }

  function handle(m, via) {
    if (!m || typeof m !== "object") return;
    state.transport = via;
    switch (m.type) {
      case "navigate":
        // same-origin paths only
        if (typeof m.data === "string" && m.data.charAt(0) === "/" && m.data.charAt(1) !== "/") location.assign(m.data);
        break;
      case "zoom":
        if (typeof m.data === "number" && m.data >= 0.5 && m.data <= 3) document.documentElement.style.zoom = String(m.data);
        break;
      case "tick":
        state.ticks++;
        if (selfTest) report();
        break;
    }
  }

  // The shell's messages: the app's hub (/ws?topic=desktop on the loopback listener,
  // as the pages' live updates); reconnects with backoff. On (re)connecting the hub
  // sends the window's zoom.
  const url = pushURL;
  let delay = 500;
  function connect() {
    if (!url) return;
    socket = new WebSocket(url);
    socket.onopen = function () { state.connected = true; delay = 500; if (selfTest) report(); };
    socket.onmessage = function (ev) {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      handle(m, "websocket");
    };
    socket.onclose = function () {
      state.connected = false;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }
  connect();

  window.addEventListener("pagehide", function () { if (socket) { socket.onclose = null; socket.close(); } });
})();
