package diagnose

import (
	"strconv"
	"strings"
	"testing"
	"time"

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
		{hs("ws://app/ws", 426), "upgrade-rejected:error", "Upgrade: websocket"},
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
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{origin}}); ids(fs) != "origin-rejected:error" {
		t.Errorf("403 with Origin: %s", ids(fs))
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
	if got := ids(Diagnose(Evidence{Chain: []*session.Handshake{ok}, Subprotos: []string{"chat"}})); got != "subprotocol-mismatch:warn" {
		t.Fatalf("offered but none selected: %s", got)
	}
	if got := Diagnose(Evidence{Chain: []*session.Handshake{ok}}); len(got) != 0 {
		t.Fatalf("healthy handshake has findings: %s", ids(got))
	}
}

func TestCloseRules(t *testing.T) {
	ok := hs("ws://a/ws", 101)
	ok.Checks = session.Checks{AcceptOK: true, UpgradeOK: true, ConnectionOK: true, SubprotocolOK: true, ExtensionsOK: true}
	open := time.Unix(1000, 0)
	idle := &session.StateChange{State: session.StateClosed, Time: open.Add(60 * time.Second), Cause: session.CauseAbnormal, Code: 1006, Detail: "dropped"}
	fs := Diagnose(Evidence{Chain: []*session.Handshake{ok}, Closed: idle, OpenedAt: open})
	if ids(fs) != "idle-timeout:error" || !strings.Contains(fs[0].Title, "1m0s") || !strings.Contains(fs[0].Detail, "proxy_read_timeout") ||
		!strings.Contains(fs[0].Fix, "timeout tunnel") {
		t.Fatalf("idle: %s %+v", ids(fs), fs)
	}
	busy := &session.StateChange{State: session.StateClosed, Time: open.Add(60 * time.Second), Cause: session.CauseAbnormal, Code: 1006, Detail: "dropped"}
	fs = Diagnose(Evidence{Chain: []*session.Handshake{ok}, Closed: busy, OpenedAt: open, LastFrameAt: open.Add(59900 * time.Millisecond)})
	if ids(fs) != "abnormal-close:error" {
		t.Fatalf("abnormal while busy: %s", ids(fs))
	}
	clean := &session.StateChange{State: session.StateClosed, Cause: session.CauseRemoteClose, Code: 1000}
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{ok}, Closed: clean}); len(fs) != 0 {
		t.Fatalf("clean close: %s", ids(fs))
	}
	app := &session.StateChange{State: session.StateClosed, Cause: session.CauseRemoteClose, Code: 4001}
	if fs := Diagnose(Evidence{Chain: []*session.Handshake{ok}, Closed: app}); ids(fs) != "server-close:info" {
		t.Fatalf("4001: %s", ids(fs))
	}
}
