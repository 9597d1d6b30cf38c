// Package app is geojobs' desktop shell: a Wails v2 window over the same http.Handler
// the browser mode serves, plus what only a desktop app has (native menu, folder
// picker, notifications, remembered window geometry, one running instance).
//
// The window's page is served in-process through the Wails AssetServer (origin
// wails://wails, http://wails.localhost on Windows); anything that must be a real
// socket (the web front's WebSocket hub, which carries the pages' live updates and the
// shell's own messages on the "desktop" topic; geojobs' own client calling the
// built-in endpoint) goes to a loopback listener started on an ephemeral port behind
// backend/server's Guard, with this launch's token and an exact Origin allowlist.
//
// Files without build tags hold the parts that do not need a webview (state, the
// trusted handler, the loopback server, the desktop topic's channel) and are tested
// by plain `go test`. The Wails code is in files tagged desktop || dev || bindings, so a
// plain build never compiles it. app is only the shell: it builds the application
// (backend/application.New) and its web front (frontend/webapp.New) as the browser mode
// does, and nothing imports app.
package app
