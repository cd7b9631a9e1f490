package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/session"
)

// When only B is cut while idle, the comparison's finding takes B's own
// attribution: the proxy its 101 names, with that proxy's fix.
func TestCompareIdleNamesBsProxy(t *testing.T) {
	open := time.Unix(1000, 0)
	aEv := Evidence{Chain: []*session.Handshake{fixture("ws://app.example.com/ws", varnishPiped101)}, OpenedAt: open, IdleWait: 75 * time.Second}
	bEv := cutAfter(fixture("ws://app.example.com/ws", nginx101), 60*time.Second)
	bEv.IdleWait = 75 * time.Second
	c := Compare(Side{Evidence: aEv}, Side{Evidence: bEv, Findings: Diagnose(bEv)}, open.Add(80*time.Second))
	var f *Finding
	for i := range c.Findings {
		if c.Findings[i].ID == "idle-timeout" {
			f = &c.Findings[i]
		}
	}
	if f == nil || f.Responder.Name != "nginx" || !strings.Contains(f.Fix, "proxy_read_timeout") || f.Confidence != High || !c.ErrorLevel() {
		t.Fatalf("%+v", c.Findings)
	}
	onlyFixOf(t, "compare idle", f.Fix, "nginx")
}
