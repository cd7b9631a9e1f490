package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/session"
)

// offering is a 101 to a request that offered subprotocols.
func offering(raw string, protos ...string) Evidence {
	h := fixture("ws://app.example.com/graphql", raw, "Sec-WebSocket-Protocol", strings.Join(protos, ", "))
	h.Validate()
	return Evidence{Chain: []*session.Handshake{h}, Subprotos: protos}
}

func find(fs []Finding, id string) *Finding {
	for i := range fs {
		if fs[i].ID == id {
			return &fs[i]
		}
	}
	return nil
}

// A 101 without the offered subprotocol: the app chose, and it is named
// only when something names it (its Server header, the close that
// followed); its fix then is its own.
func TestSubprotocolMismatchNamesTheApp(t *testing.T) {
	f := find(Diagnose(offering(pyWebsockets101, "chat.v1")), "subprotocol-mismatch")
	if f == nil || f.Severity != Error || f.Responder != (Responder{Role: RoleApp, Name: "python-websockets", Version: "10.4"}) || !strings.Contains(f.Fix, `subprotocols=["chat.v1"]`) {
		t.Fatalf("python websockets: %+v", f)
	}
	onlyFixOf(t, "python websockets", f.Fix)

	// Node ws's 101 is gorilla's, byte for byte: the role, no name.
	f = find(Diagnose(offering(ws101, "chat.v1")), "subprotocol-mismatch")
	if f == nil || f.Responder != (Responder{Role: RoleApp}) || f.Fix == "" {
		t.Fatalf("nameless 101: %+v", f)
	}
	onlyFixOf(t, "nameless 101", f.Fix)

	// graphql-ws accepts the upgrade and closes 4406: that close names it.
	ev := offering(ws101, "graphql-ws")
	ev.OpenedAt = time.Unix(1000, 0)
	ev.Closed = &session.StateChange{State: session.StateClosed, Time: ev.OpenedAt.Add(time.Millisecond), Cause: session.CauseRemoteClose,
		Code: 4406, Reason: "Subprotocol not acceptable", Detail: `closed cleanly by the server: 4406 (application) "Subprotocol not acceptable"`}
	fs := Diagnose(ev)
	f = find(fs, "subprotocol-mismatch")
	if f == nil || f.Responder.Name != "graphql-ws" || f.Confidence != High || !strings.Contains(f.Fix, "Sec-WebSocket-Protocol: graphql-transport-ws") ||
		!strings.Contains(f.Detail, "subscriptions-transport-ws") {
		t.Fatalf("graphql-ws subprotocol: %+v", f)
	}
	c := find(fs, "app-close")
	if c == nil || c.Responder.Name != "graphql-ws" || c.Confidence != High || !strings.Contains(c.Detail, "did not offer graphql-transport-ws") ||
		!strings.Contains(c.Detail, `offered "graphql-ws"`) || !strings.Contains(c.Fix, "--subprotocol graphql-transport-ws") {
		t.Fatalf("graphql-ws 4406: %+v", c)
	}
	// An unknown app's own code keeps the role and says nothing made up.
	ev.Closed.Code, ev.Closed.Reason = 4000, "bye"
	if c := find(Diagnose(ev), "app-close"); c == nil || c.Responder != (Responder{Role: RoleApp}) || c.Severity != Warn {
		t.Fatalf("unknown 4000: %+v", c)
	}
}

// A server's ping timeout behind a nameless 101 is the app's, unnamed:
// ws never pings by itself, so the cadence names nobody either.
func TestServerPingTimeoutBehindANamelessAnswer(t *testing.T) {
	ev := cutAfter(fixture("ws://app.example.com/", ws101), time.Second)
	ev.ServerPings, ev.UnansweredPings = 1, 1
	ev.FirstUnansweredPing = ev.OpenedAt.Add(500 * time.Millisecond)
	ev.LastFrameAt = ev.FirstUnansweredPing
	f := find(Diagnose(ev), "ping-timeout")
	if f == nil || f.Responder != (Responder{Role: RoleApp}) {
		t.Fatalf("%+v", f)
	}
	onlyFixOf(t, "ping timeout", f.Fix)
}

// An incomplete chain with nobody named gets the generic fix, no proxy's
// directive; when another answer of the address names the TLS terminator,
// its directive only.
func TestIncompleteChainFixIsTheTerminators(t *testing.T) {
	h := &session.Handshake{URL: "wss://127.0.0.1:8443/echo", TLS: &session.TLSInfo{
		Chain:           []session.CertInfo{{Subject: "CN=nginx", Issuer: "CN=wscope scenarios intermediate"}},
		ChainIncomplete: true, MissingIssuer: "CN=wscope scenarios intermediate"}}
	err := &session.Error{Class: session.ClassTLS, Msg: "TLS: the certificate of 127.0.0.1:8443 is signed by an unknown authority"}
	f := find(Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: err}), "tls-untrusted")
	if f == nil || !strings.Contains(f.Fix, "full chain (leaf + intermediates)") {
		t.Fatalf("%+v", f)
	}
	for _, name := range []string{"nginx", "HAProxy", "Apache", "ssl_certificate", "SSLCertificateFile"} {
		if strings.Contains(f.Fix, name) {
			t.Errorf("the fix names %s with no proxy identified: %s", name, f.Fix)
		}
	}
	get := fixture("https://127.0.0.1:8443/echo", "HTTP/1.1 404 Not Found\r\nServer: nginx/1.22.1\r\n\r\n")
	f = find(Diagnose(Evidence{Chain: []*session.Handshake{h}, DialErr: err, Related: []*session.Handshake{get}}), "tls-untrusted")
	if f == nil || f.Responder.Name != "nginx" || !strings.Contains(f.Fix, "ssl_certificate") {
		t.Fatalf("named by a plain GET: %+v", f)
	}
	onlyFixOf(t, "named by a plain GET", f.Fix, "nginx")
}
