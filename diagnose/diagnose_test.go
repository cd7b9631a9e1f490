package diagnose

import (
	"strconv"
	"strings"
	"testing"

	"github.com/wscope/wscope/session"
)

func hs(url string, status int, headers ...string) *session.Handshake {
	h := &session.Handshake{URL: url, Status: status, StatusLine: "HTTP/1.1 " + strconv.Itoa(status) + " X"}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Response = append(h.Response, session.Header{Name: headers[i], Value: headers[i+1]})
	}
	return h
}

func ids(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+":"+string(f.Severity))
	}
	return strings.Join(out, ",")
}

func TestStatusRules(t *testing.T) {
	nginx400 := hs("ws://app/ws", 400, "Server", "nginx/1.24")
	nginx400.Body = []byte("Bad Request")
	cases := []struct {
		h    *session.Handshake
		want string
		fix  string
	}{
		{nginx400, "upgrade-rejected:error", "proxy_set_header Upgrade $http_upgrade"},
		{hs("ws://app/ws", 426), "upgrade-rejected:error", "forward the upgrade"},
		{hs("ws://app/ws", 401), "auth-required:error", "Authorization"},
		{hs("ws://app/ws", 407), "auth-required:error", ""},
		{hs("ws://app/ws", 502, "Server", "nginx"), "proxy-error:error", "upstream"},
		{hs("ws://app/ws", 418), "upgrade-refused:error", ""},
	}
	for _, c := range cases {
		fs := Diagnose(Evidence{Chain: []*session.Handshake{c.h}})
		if ids(fs) != c.want || !strings.Contains(fs[0].Fix, c.fix) {
			t.Errorf("%d: %s, fix %q", c.h.Status, ids(fs), fs[0].Fix)
		}
	}
	origin := hs("ws://app/ws", 403)
	origin.Request = []session.Header{{Name: "Origin", Value: "https://evil.example"}}
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{origin}}); ids(fs) != "origin-rejected:error" || fs[0].Check == "" || len(fs[0].Alternatives) == 0 {
		t.Errorf("403 with Origin: %s %+v", ids(fs), fs)
	}
}

func TestRedirectRules(t *testing.T) {
	h := hs("ws://chat.example/cable", 301, "Location", "https://chat.example/cable")
	fs := Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: &session.Error{Class: session.ClassStatus}})
	if ids(fs) != "https-redirect:error" || !strings.Contains(fs[0].Fix, "X-Forwarded-Proto") {
		t.Fatalf("https redirect: %s", ids(fs))
	}
	other := hs("ws://a.example/ws", 302, "Location", "ws://b.example/ws")
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{other}, DialErr: &session.Error{Class: session.ClassStatus}}); ids(fs) != "redirect:error" {
		t.Fatalf("plain redirect: %s", ids(fs))
	}
}

func TestUpgradeChecks(t *testing.T) {
	h := hs("ws://a/ws", 101)
	h.Checks = session.Checks{AcceptOK: false, UpgradeOK: true, ConnectionOK: false, SubprotocolOK: true, ExtensionsOK: true}
	if got := ids(Diagnose(Evidence{Chain: []*session.Handshake{h}})); got != "missing-upgrade-headers:error,bad-accept:error" {
		t.Fatalf("%s", got)
	}
	ok := hs("ws://a/ws", 101)
	ok.Checks = session.Checks{AcceptOK: true, UpgradeOK: true, ConnectionOK: true, SubprotocolOK: true, ExtensionsOK: true}
	// Chrome fails a connection whose offered subprotocol got no answer: an error.
	fs := Diagnose(Evidence{Chain: []*session.Handshake{ok}, Subprotos: []string{"chat"}})
	if ids(fs) != "subprotocol-mismatch:error" || !strings.Contains(fs[0].Detail, "Chrome") {
		t.Fatalf("offered but none selected: %s", ids(fs))
	}
	if got := Diagnose(Evidence{Chain: []*session.Handshake{ok}}); len(got) != 0 {
		t.Fatalf("healthy handshake has findings: %s", ids(got))
	}
	// Through a proxy, the proxy dropping the header is the alternative.
	proxied := fixture("ws://a/graphql", nginx101, "Sec-WebSocket-Protocol", "graphql-transport-ws")
	fs = Diagnose(Evidence{Chain: []*session.Handshake{proxied}, Subprotos: []string{"graphql-transport-ws"}})
	if ids(fs) != "subprotocol-mismatch:error" || len(fs[0].Alternatives) != 1 || !strings.Contains(fs[0].Alternatives[0].Title, "nginx") {
		t.Fatalf("through nginx: %s %+v", ids(fs), fs)
	}
}
