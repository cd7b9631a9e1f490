package diagnose

import (
	"strings"
	"testing"

	"github.com/wscope/wscope/session"
)

// The answers below were copied byte for byte from the Debian packages run
// on 127.0.0.1 (nginx 1.22.1, HAProxy 2.6.12, Apache 2.4, Caddy 2.6.2,
// lighttpd 1.4.69, varnish 7.1, h2o 2.2.5, squid 5.7, tinyproxy 1.11.1,
// privoxy 3.0.34, puma + ActionCable) in front of, or in place of, a gorilla
// backend. The app answers (Engine.IO, ws, Odoo, Tornado) follow the apps'
// sources, Rails's was captured from puma + ActionCable; Envoy's and
// Cloudflare's follow their documentation and issue threads (envoy#4740).
const (
	nginx101 = "HTTP/1.1 101 Switching Protocols\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 03:25:22 GMT\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	// gorilla's 400 to a request without Upgrade, passed by nginx without the upgrade headers.
	nginxGorilla400    = "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 03:25:23 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nConnection: keep-alive\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\n\r\nBad Request\n"
	nginx502           = "HTTP/1.1 502 Bad Gateway\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 03:25:25 GMT\r\nContent-Type: text/html\r\nContent-Length: 157\r\nConnection: keep-alive\r\n\r\n<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
	nginx404           = "HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 153\r\n\r\n<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
	haproxy101         = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	haproxyGorilla403  = "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\nsec-websocket-version: 13\r\nx-content-type-options: nosniff\r\ndate: Wed, 25 Nov 2026 03:25:30 GMT\r\ncontent-length: 10\r\n\r\nForbidden\n"
	haproxy503         = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
	haproxy403         = "HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n"
	apache101          = "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
	apache503          = "HTTP/1.1 503 Service Unavailable\r\nDate: Wed, 25 Nov 2026 03:25:50 GMT\r\nServer: Apache/2.4.71 (Debian)\r\nContent-Length: 339\r\nConnection: close\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>503 Service Unavailable</title>\n</head><body>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n</body></html>\n"
	apacheGorilla400   = "HTTP/1.1 400 Bad Request\r\nDate: Wed, 25 Nov 2026 03:25:50 GMT\r\nServer: Apache/2.4.71 (Debian)\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n"
	caddy101           = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-Websocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: Caddy\r\nUpgrade: websocket\r\n\r\n"
	caddy502           = "HTTP/1.1 502 Bad Gateway\r\nServer: Caddy\r\nDate: Wed, 25 Nov 2026 03:25:58 GMT\r\nContent-Length: 0\r\n\r\n"
	lighttpd101        = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nConnection: upgrade\r\nDate: Wed, 25 Nov 2026 03:26:06 GMT\r\nServer: lighttpd/1.4.69\r\n\r\n"
	lighttpdGorilla400 = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nDate: Wed, 25 Nov 2026 03:26:07 GMT\r\nContent-Length: 12\r\nServer: lighttpd/1.4.69\r\n\r\nBad Request\n"
	lighttpd503        = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nContent-Length: 361\r\nDate: Wed, 25 Nov 2026 03:26:07 GMT\r\nServer: lighttpd/1.4.69\r\n\r\n<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n         \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n <head>\n  <title>503 Service Unavailable</title>\n </head>\n <body>\n  <h1>503 Service Unavailable</h1>\n </body>\n</html>\n"
	varnishPiped101    = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	// varnish without return (pipe): the upgrade is dropped, gorilla answers 400.
	varnishGorilla400 = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nDate: Wed, 25 Nov 2026 03:26:15 GMT\r\nContent-Length: 12\r\nX-Varnish: 32770\r\nAge: 0\r\nVia: 1.1 varnish (Varnish/7.1)\r\nConnection: keep-alive\r\n\r\nBad Request\n"
	varnish503        = "HTTP/1.1 503 Backend fetch failed\r\nDate: Wed, 25 Nov 2026 03:26:15 GMT\r\nServer: Varnish\r\nContent-Type: text/html; charset=utf-8\r\nRetry-After: 5\r\nX-Varnish: 65538\r\nAge: 0\r\nVia: 1.1 varnish (Varnish/7.1)\r\nContent-Length: 282\r\nConnection: keep-alive\r\n\r\n<!DOCTYPE html>\n<html>\n  <head>\n    <title>503 Backend fetch failed</title>\n  </head>\n  <body>\n    <h1>Error 503 Backend fetch failed</h1>\n    <p>Backend fetch failed</p>\n    <h3>Guru Meditation:</h3>\n    <p>XID: 65539</p>\n    <hr>\n    <p>Varnish cache server</p>\n  </body>\n</html>\n"
	h2o101            = "HTTP/1.1 101 Switching Protocols\r\nDate: Wed, 25 Nov 2026 03:26:23 GMT\r\nConnection: upgrade\r\nServer: h2o/2.2.5\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nupgrade: websocket\r\n\r\n"
	h2oGorilla400     = "HTTP/1.1 400 Bad Request\r\nDate: Wed, 25 Nov 2026 03:26:24 GMT\r\nConnection: close\r\nContent-Length: 12\r\nServer: h2o/2.2.5\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\n\r\nBad Request\n"
	h2o502            = "HTTP/1.1 502 Gateway Error\r\nDate: Wed, 25 Nov 2026 03:26:24 GMT\r\nConnection: close\r\nContent-Length: 17\r\nServer: h2o/2.2.5\r\ncontent-type: text/plain; charset=utf-8\r\n\r\nconnection failed"
	rails404          = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nPage not found"
	// Engine.IO answers a plain HTTP request (polling, or an upgrade a
	// proxy lost) with JSON (abortRequest) ...
	eioSticky     = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"code\":1,\"message\":\"Session ID unknown\"}"
	eioBadRequest = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"code\":3,\"message\":\"Bad request\"}"
	eioTransport  = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"code\":0,\"message\":\"Transport unknown\"}"
	// ... and an upgrade it refuses with the bare message (abortUpgrade in
	// engine.io 6.6 build/server.js), captured from Socket.IO 4 on Node,
	// directly and behind HAProxy 2.6 / nginx 1.22 round robin.
	eioUpgradeTransport   = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: 17\r\n\r\nTransport unknown"
	eioUpgradeStickyHA    = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/html\r\ncontent-length: 18\r\n\r\nSession ID unknown"
	eioUpgradeStickyNginx = "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 03:56:37 GMT\r\nContent-Type: text/html\r\nContent-Length: 18\r\nConnection: keep-alive\r\n\r\nSession ID unknown"
	eioUpgradeBadRequest  = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-type: text/html\r\nContent-Length: 11\r\n\r\nBad request"
	eioSpacedVersion      = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"code\": 5, \"message\": \"Unsupported protocol version\"}"
	// Python websockets 10.4 (legacy server) to a request without the upgrade.
	pyWebsockets426 = "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nDate: Wed, 25 Nov 2026 03:57:07 GMT\r\nServer: Python/3.11 websockets/10.4\r\nContent-Length: 137\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nFailed to open a WebSocket connection: invalid Connection header: keep-alive.\n\nYou cannot access a WebSocket server directly with a browser. You need a WebSocket client.\n"
	pyWebsockets101 = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nDate: Wed, 25 Nov 2026 03:57:07 GMT\r\nServer: Python/3.11 websockets/10.4\r\n\r\n"
	// Node ws's 101 (and gorilla's: the same bytes).
	ws101        = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	ws426        = "HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain\r\nDate: Wed, 25 Nov 2026 03:30:00 GMT\r\nConnection: keep-alive\r\nContent-Length: 16\r\n\r\nUpgrade Required"
	wsExtensions = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 56\r\n\r\nInvalid or unacceptable Sec-WebSocket-Extensions header"
	odooOrigin   = "HTTP/1.1 400 BAD REQUEST\r\nServer: Werkzeug/2.0.2 Python/3.11.2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n<p>Empty or missing header(s): origin</p>\n"
	odooUpgrade  = "HTTP/1.1 400 BAD REQUEST\r\nServer: nginx/1.22.1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n<p>Empty or missing header(s): upgrade, connection</p>\n"
	// Odoo's 8069 with workers > 0 raises "Couldn't bind the websocket…";
	// Odoo logs it and answers werkzeug's generic 500 page (odoo/http.py),
	// here through nginx. odoo8069 is the same with a debug traceback that
	// quotes the message.
	odoo8069Generic   = "HTTP/1.1 500 Internal Server Error\r\nServer: nginx/1.22.1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 265\r\nConnection: keep-alive\r\n\r\n<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete its request. Either the server is overloaded or there is an error in the application.</p>\n"
	odoo8069          = "HTTP/1.1 500 INTERNAL SERVER ERROR\r\nServer: nginx/1.22.1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>Couldn't bind the websocket. Is the connection opened on the evented port (8072)?</p>\n"
	tornado400        = "HTTP/1.1 400 Bad Request\r\nServer: TornadoServer/6.3.3\r\nContent-Type: text/html; charset=UTF-8\r\n\r\nCan \"Upgrade\" only to \"WebSocket\"."
	envoy403          = "HTTP/1.1 403 Forbidden\r\ncontent-length: 19\r\ncontent-type: text/plain\r\ndate: Wed, 25 Nov 2026 03:30:00 GMT\r\nserver: envoy\r\n\r\nupgrade_failed"
	cloudflare101     = "HTTP/1.1 101 Switching Protocols\r\nDate: Wed, 25 Nov 2026 03:30:00 GMT\r\nConnection: upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nServer: cloudflare\r\nCF-RAY: 8e1f0c1d2a3b4c5d-FRA\r\n\r\n"
	ingressDefault404 = "HTTP/1.1 404 Not Found\r\nServer: nginx\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 21\r\n\r\ndefault backend - 404"
	railsForceSSL     = "HTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.22.1\r\nLocation: https://chat.example.com/cable\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
	nginx301          = "HTTP/1.1 301 Moved Permanently\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nLocation: https://chat.example.com/cable\r\n\r\n<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n"
	squid403          = "HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nMime-Version: 1.0\r\nContent-Type: text/html;charset=utf-8\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nVia: 1.1 wscope-test (squid/5.7)\r\nConnection: keep-alive\r\n\r\n"
	tinyproxy403      = "HTTP/1.1 403 Access violation\r\nServer: tinyproxy/1.11.1\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
	tinyproxyBody     = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<html>\n<head><title>403 Access violation</title></head>\n<body>\n<h1>Access violation</h1>\n<p>The CONNECT method not allowed with the port you tried to use.</p>\n<hr />\n<p><em>Generated by tinyproxy version 1.11.1.</em></p>\n</body>\n</html>\n"
	privoxy403        = "HTTP/1.1 403 Request blocked by Privoxy\r\nContent-Length: 8153\r\nContent-Type: text/html\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n"
)

// fixture builds a handshake from a captured answer; req are request
// header name/value pairs.
func fixture(url, raw string, req ...string) *session.Handshake {
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	start, headers := session.ParseHead([]byte(head + "\r\n\r\n"))
	h := &session.Handshake{URL: url, StatusLine: start, Response: headers, Body: []byte(body), ConnectAddr: "127.0.0.1:8080"}
	_, rest, _ := strings.Cut(start, " ")
	code, reason, _ := strings.Cut(rest, " ")
	for _, c := range code {
		h.Status = h.Status*10 + int(c-'0')
	}
	h.Reason = reason
	h.Request = append(h.Request, session.Header{Name: "Upgrade", Value: "websocket"}, session.Header{Name: "Connection", Value: "Upgrade"},
		session.Header{Name: "Sec-WebSocket-Key", Value: "dGhlIHNhbXBsZSBub25jZQ=="})
	for i := 0; i+1 < len(req); i += 2 {
		h.Request = append(h.Request, session.Header{Name: req[i], Value: req[i+1]})
	}
	if h.Status == 101 {
		h.Validate()
	}
	return h
}

// forwardProxyFixture is a handshake whose CONNECT the proxy refused.
func forwardProxyFixture(target, head, body string) *session.Handshake {
	status := 0
	_, rest, _ := strings.Cut(head, " ")
	for _, c := range rest[:3] {
		status = status*10 + int(c-'0')
	}
	return &session.Handshake{URL: "ws://" + target + "/ws", Proxy: &session.ProxyExchange{Kind: "http-connect", Proxy: "http://127.0.0.1:3128",
		Target: target, Request: "CONNECT " + target + " HTTP/1.1\r\n\r\n", Response: head, Status: status, Body: body}}
}

// fixTokens are words only one responder's fixes use: a fix that names
// another responder's token gives another proxy's advice.
var fixTokens = map[string][]string{
	"nginx":         {"proxy_set_header", "proxy_read_timeout", "proxy_http_version"},
	"haproxy":       {"timeout tunnel", "http-request", "proto h2", "h2-workaround-bogus-websocket-clients"},
	"apache":        {"ProxyPass", "RequestHeader", "H2WebSockets"},
	"caddy":         {"reverse_proxy", "stream_close_delay"},
	"traefik":       {"entryPoints", "loadBalancer"},
	"envoy":         {"upgrade_configs"},
	"lighttpd":      {"server.max-read-idle", "proxy.header"},
	"varnish":       {"vcl_recv", "pipe_timeout"},
	"h2o":           {"proxy.websocket"},
	"squid":         {"SSL_ports"},
	"tinyproxy":     {"ConnectPort"},
	"privoxy":       {"user.action"},
	"dante":         {"socks pass", "danted.conf"},
	"ingress-nginx": {"nginx.ingress.kubernetes.io"},
	"aws-alb":       {"elbv2"},
	"go-net-http":   {"http2xconnect", "GODEBUG"},
	"node-http2":    {"enableConnectProtocol", "createSecureServer"},
}

// onlyFixOf fails when fix carries a token of a responder other than the
// allowed ones.
func onlyFixOf(t *testing.T, name, fix string, allowed ...string) {
	t.Helper()
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for r, tokens := range fixTokens {
		if ok[r] {
			continue
		}
		for _, tok := range tokens {
			if strings.Contains(fix, tok) {
				t.Errorf("%s: the fix gives %s's advice (%q):\n%s", name, r, tok, fix)
			}
		}
	}
}
