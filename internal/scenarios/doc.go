// Package scenarios is the real-world test bed for wscope's diagnosis: its
// tests start real reverse and forward proxies (nginx, HAProxy, Apache,
// Caddy, lighttpd, varnish, h2o, squid, tinyproxy, privoxy, dante) and real
// application servers (Rails ActionCable on puma, Socket.IO, Node ws,
// graphql-ws, Python websockets, and Odoo's bytes served from Go) on
// 127.0.0.1, put them together the way production gets them wrong — one
// test per failure shape of ../../../shared/proxy-failures.md and issue 12
// — and check what probe.Run diagnoses: the finding id, that the finding
// names who answered (Finding.Responder), and that the fix is the failing
// proxy's own configuration and names no other proxy.
//
// The package has no code of its own; the proxies and apps are started by
// internal/realproxy and internal/realapp with the configurations in
// testdata/. Without the Debian packages (or without `npm ci` in
// internal/realapp/testdata/node) the tests skip and say what to install;
// in CI (CI=true) they fail instead.
//
// Run them alone with
//
//	go test ./internal/scenarios
package scenarios
