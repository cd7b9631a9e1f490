package scenarios

import (
	"testing"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
)

// TestWSRefusesCompressionOffer: a Node ws server whose permessage-deflate
// needs client_max_window_bits refuses an offer of
// client_no_context_takeover alone with 400 "Invalid or unacceptable
// Sec-WebSocket-Extensions header". That is not a missing handshake: the
// finding is extension-rejected, from ws, with no proxy in the fix. Chrome's
// offer (wscope --compress) is accepted by the same server.
func TestWSRefusesCompressionOffer(t *testing.T) {
	app := realapp.WS(t, realapp.WSStrictDeflate)
	ok := run(t, "ws://"+app.Addr+"/", func(o *probe.Options) { o.Session.Compress = true })
	healthy(t, ok, "ws with Chrome's offer")
	if len(ok.Extensions) == 0 {
		t.Errorf("Chrome's offer negotiated no extension:\n%s", describe(ok))
	}
	r := run(t, "ws://"+app.Addr+"/", func(o *probe.Options) {
		o.Session.CompressOffer = "permessage-deflate; client_no_context_takeover"
	})
	if r.Status != 400 {
		t.Fatalf("ws accepted the offer:\n%s", describe(r))
	}
	check(t, r, expect{ID: "extension-rejected", Responder: []string{"ws"}, Role: diagnose.RoleApp, Proxy: "",
		FixHas: []string{"client_max_window_bits"}, Shows: []string{"Invalid or unacceptable Sec-WebSocket-Extensions header"}})
	noFinding(t, r, "upgrade-rejected")
}

// TestSubprotocolNotSelected: the client offers a subprotocol and the 101
// selects none — Python websockets without subprotocols= and a Node ws
// server whose handleProtocols selects nothing. Chrome fails that
// connection, so the finding is subprotocol-mismatch at error severity.
func TestSubprotocolNotSelected(t *testing.T) {
	servers := []struct {
		name  string
		start func(t *testing.T) string
		who   []string
	}{
		{"python-websockets", func(t *testing.T) string { return realapp.PythonWebsockets(t).Addr }, nil},
		// ws's 101 is byte for byte gorilla's; a plain GET of the same URL
		// (ws's own 426 "Upgrade Required") names it.
		{"node-ws", func(t *testing.T) string { return realapp.WS(t, realapp.WSNoSubprotocol).Addr }, []string{"ws"}},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, "ws://"+s.start(t)+"/", func(o *probe.Options) { o.Session.Subprotocols = []string{"chat.v1"} })
			if r.Status != 101 || r.Subprotocol != "" {
				t.Fatalf("expected a 101 without a subprotocol:\n%s", describe(r))
			}
			check(t, r, expect{ID: "subprotocol-mismatch", Responder: s.who, Role: diagnose.RoleApp, Proxy: "", Severity: diagnose.Error})
		})
	}
}

// TestGraphQLWSCloseCodes: graphql-ws (graphql-transport-ws) on ws closes
// with codes of its own: 4406 when the client's subprotocol is not
// graphql-transport-ws (here the older graphql-ws), 4401 for a subscribe
// before connection_init was acknowledged, 4408 when no connection_init
// came within the server's wait (1 s here). Each is an app-close finding
// that says what the code means beyond the server's reason phrase
// ("Subprotocol not acceptable", "Unauthorized", "Connection
// initialisation timeout"): which subprotocol, which message was missing.
func TestGraphQLWSCloseCodes(t *testing.T) {
	app := realapp.GraphQLWS(t)
	url := "ws://" + app.Addr + "/graphql"
	cases := []struct {
		code    int
		meaning string
		mod     func(*probe.Options)
	}{
		{4406, "graphql-transport-ws", func(o *probe.Options) { o.Session.Subprotocols = []string{"graphql-ws"} }},
		{4401, "connection_ack", func(o *probe.Options) {
			o.Session.Subprotocols = []string{"graphql-transport-ws"}
			o.Sends = []probe.Message{{Op: session.OpText, Payload: []byte(`{"id":"1","type":"subscribe","payload":{"query":"subscription { greetings }"}}`)}}
			o.Wait = 3 * time.Second
		}},
		{4408, "connection_init", func(o *probe.Options) {
			o.Session.Subprotocols = []string{"graphql-transport-ws"}
			o.Wait = 4 * time.Second
		}},
	}
	for _, c := range cases {
		t.Run(itoa(c.code), func(t *testing.T) {
			t.Parallel()
			r := run(t, url, c.mod)
			if r.Close == nil || r.Close.Code != c.code {
				t.Fatalf("graphql-ws did not close with %d:\n%s", c.code, describe(r))
			}
			f := check(t, r, expect{ID: "app-close", Responder: []string{"graphql-transport-ws", "graphql-ws", "ws"}, Proxy: "", Shows: []string{itoa(c.code)}})
			if f.ID != "" && !containsAny(squeeze(f.Title+" "+f.Detail+" "+f.Fix), []string{c.meaning}) {
				t.Errorf("the finding does not say what %d means (nothing about %s): %q / %q / %q", c.code, c.meaning, f.Title, f.Detail, f.Fix)
			}
		})
	}
}
