package ui

import (
	"strings"
	"testing"

	"github.com/wscope/wscope/diagnose"
)

// nginxFinding is what the engine says when nginx dropped the Upgrade: a
// fix whose config lines must survive copying.
func nginxFinding() diagnose.Finding {
	return diagnose.Finding{ID: "upgrade-rejected", Severity: diagnose.Error,
		Title:     "nginx did not forward the Upgrade: the app saw a plain GET",
		Detail:    "127.0.0.1:8080 answered \"HTTP/1.1 400 Bad Request\" with Server: nginx/1.22.1",
		Responder: diagnose.Responder{Role: diagnose.RoleReverseProxy, Name: "nginx", Version: "1.22.1"}, Confidence: diagnose.High,
		Fix: "In the nginx location that proxies the WebSocket path:\n" +
			"    proxy_http_version 1.1;\n" +
			"    proxy_set_header Upgrade $http_upgrade;\n" +
			"    proxy_set_header Connection $connection_upgrade;\n" +
			"with, in the http block: map $http_upgrade $connection_upgrade { default upgrade; '' close; } # and a long tail that cannot fit on one line of the pane"}
}

// TestFindingsBoxShowsTheTopFindingWithoutScrolling: at 100x30 and 80x24
// the most severe finding's title, who answered, the evidence and the fix
// lines are on screen at once, above the detail pane; fix lines are cut
// with a marker, never wrapped; a marker says more follows.
func TestFindingsBoxShowsTheTopFindingWithoutScrolling(t *testing.T) {
	for _, size := range [][2]int{{100, 30}, {80, 24}} {
		m := newTestModel(t, "dark", size[0], size[1])
		m.setFindings([]diagnose.Finding{
			{ID: "tls-unverified", Severity: diagnose.Warn, Title: "a warning", Fix: "w"},
			nginxFinding(),
			{ID: "server-close", Severity: diagnose.Info, Title: "info"},
		})
		s := plain(m)
		for _, want := range []string{"nginx did not forward the Upgrade", "answered by nginx/1.22.1 (reverse proxy)",
			"proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;", "+2 more findings", "x copies the fix"} {
			if !strings.Contains(s, want) {
				t.Errorf("%dx%d: the findings box lacks %q:\n%s", size[0], size[1], want, s)
			}
		}
		if !strings.Contains(s, "→") {
			t.Errorf("%dx%d: a fix line too wide for the pane must end in a marker:\n%s", size[0], size[1], s)
		}
		if strings.Contains(s, "\n│ upgrade; '' close;") || strings.Count(s, "default upgrade;") > 1 {
			t.Errorf("%dx%d: a fix line was wrapped:\n%s", size[0], size[1], s)
		}
		// The detail pane is still there below the box.
		if !strings.Contains(s, "frame ") {
			t.Errorf("%dx%d: the detail pane is gone:\n%s", size[0], size[1], s)
		}
	}
}

func TestCopyFixCopiesTheFixExactly(t *testing.T) {
	m := newTestModel(t, "dark", 100, 30)
	press(m, "esc")
	_, cmd := m.Update(keyMsg("x"))
	if cmd != nil {
		if msg, ok := cmd().(copiedMsg); ok {
			t.Fatalf("x copied %q with no finding", msg.text)
		}
	}
	if !strings.Contains(m.toast, "no warning or error finding") {
		t.Fatalf("toast %q", m.toast)
	}
	m.setFindings([]diagnose.Finding{nginxFinding()})
	_, cmd = m.Update(keyMsg("x"))
	if cmd == nil {
		t.Fatal("x did nothing")
	}
	msg, ok := cmd().(copiedMsg)
	if !ok || !strings.Contains(msg.what, "upgrade-rejected") || (msg.fallback && msg.text != nginxFinding().Fix) {
		t.Fatalf("copied %+v", msg)
	}
}

// TestInfoAloneTakesNoSpace: an info finding does not push the panes down.
func TestInfoAloneTakesNoSpace(t *testing.T) {
	m := newTestModel(t, "dark", 100, 30)
	before := plain(m)
	m.setFindings([]diagnose.Finding{{ID: "server-close", Severity: diagnose.Info, Title: "closed with 1001"}})
	if after := plain(m); after != before {
		t.Fatalf("an info finding changed the screen:\n%s", after)
	}
}
