package diagnose

import (
	"testing"

	"github.com/wscope/wscope/session"
)

// TestRelatedAnswerNamesTheApp: Node ws's 101 names nobody (it is byte for
// byte gorilla's); its answer to a plain GET of the same URL does, so a
// finding that blames the app names ws and says how it knows.
func TestRelatedAnswerNamesTheApp(t *testing.T) {
	hs := &session.Handshake{URL: "ws://127.0.0.1:9000/", Status: 101, StatusLine: "HTTP/1.1 101 Switching Protocols",
		Request:  []session.Header{{Name: "Sec-WebSocket-Protocol", Value: "chat.v1"}},
		Response: []session.Header{{Name: "Upgrade", Value: "websocket"}, {Name: "Connection", Value: "Upgrade"}}}
	hs.Checks = session.Checks{AcceptOK: true, UpgradeOK: true, ConnectionOK: true, SubprotocolOK: true, ExtensionsOK: true}
	ev := Evidence{Chain: []*session.Handshake{hs}, Subprotos: []string{"chat.v1"}}
	named := func(ev Evidence) string {
		for _, f := range Diagnose(ev) {
			if f.ID == "subprotocol-mismatch" {
				if f.Responder.Role != RoleApp {
					t.Fatalf("responder %+v", f.Responder)
				}
				return f.Responder.Name
			}
		}
		t.Fatal("no subprotocol-mismatch finding")
		return ""
	}
	if n := named(ev); n != "" {
		t.Fatalf("named %q from a 101 that names nobody", n)
	}
	ev.Related = []*session.Handshake{{URL: hs.URL, Status: 426, StatusLine: "HTTP/1.1 426 Upgrade Required", Reason: "Upgrade Required",
		Response: []session.Header{{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: "16"}},
		Body:     []byte("Upgrade Required")}}
	if n := named(ev); n != "ws" {
		t.Fatalf("named %q, want ws from its plain answer", n)
	}
}
