package protocol_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/protocol"
	"github.com/wscope/wscope/session"
)

func run(t *testing.T, url string, mod func(*probe.Options), sends ...string) *probe.Report {
	t.Helper()
	o := probe.Options{Session: session.Config{URL: url}, Options: flow.Options{Script: flow.Script{Wait: 600 * time.Millisecond}}}
	for _, s := range sends {
		o.Sends = append(o.Sends, probe.Message{Op: session.OpText, Payload: []byte(s)})
	}
	if mod != nil {
		mod(&o)
	}
	return probe.Run(context.Background(), o)
}

// labels returns "dir label" for every labelled frame.
func labels(r *probe.Report) string {
	var out []string
	seen := map[string]bool{}
	for _, f := range r.Frames {
		if f.Label != "" && !seen[f.Dir+" "+f.Label] {
			seen[f.Dir+" "+f.Label] = true
			out = append(out, f.Dir+" "+f.Label)
		}
	}
	return strings.Join(out, " | ")
}

func ids(r *probe.Report) string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.ID)
	}
	return strings.Join(out, ",")
}

func TestActionCable(t *testing.T) {
	url := actionCable(t) + "/cable"
	r := run(t, url, func(o *probe.Options) { o.Session.Subprotocols = []string{"actioncable-v1-json"} },
		`{"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\"}"}`,
		`{"command":"subscribe","identifier":"{\"channel\":\"SecretChannel\"}"}`)
	got := labels(r)
	for _, want := range []string{"recv cable:welcome", "recv cable:ping", "send cable:subscribe ChatChannel",
		"recv cable:confirm_subscription ChatChannel", "recv cable:reject_subscription SecretChannel"} {
		if !strings.Contains(got, want) {
			t.Errorf("labels lack %q: %s", want, got)
		}
	}
	if r.Protocol != "actioncable" || ids(r) != "cable-subscription-rejected" || !strings.Contains(r.Findings[0].Title, "SecretChannel") {
		t.Fatalf("protocol %q findings %s", r.Protocol, ids(r))
	}
	// A server that never says welcome.
	r = run(t, actionCable(t)+"/cable?silent=1", func(o *probe.Options) { o.Wait = 5500 * time.Millisecond })
	if ids(r) != "cable-no-welcome" {
		t.Fatalf("silent cable: %s", ids(r))
	}
}

func TestSocketIOPingTimeoutAndAutoHeartbeat(t *testing.T) {
	url := engineIO(t) + "/socket.io/?EIO=4&transport=websocket"
	// Without answering pings, the server closes after pingTimeout.
	r := run(t, url, func(o *probe.Options) { o.Wait = 1500 * time.Millisecond }, "40", `42["hello",{}]`)
	if r.Protocol != "socketio" || !strings.Contains(labels(r), "recv sio:world") || !strings.Contains(labels(r), "recv sio:ping") {
		t.Fatalf("protocol %q labels %s", r.Protocol, labels(r))
	}
	if r.Close == nil || r.Close.Reason != "ping timeout" || !strings.Contains(ids(r), "engineio-no-pong") {
		t.Fatalf("close %+v findings %s", r.Close, ids(r))
	}
	// With --auto-heartbeat the pongs go out, marked automatic, and the
	// connection lives.
	r = run(t, url, func(o *probe.Options) { o.Wait = 1200 * time.Millisecond; o.AutoHeartbeat = true }, "40")
	var autoPongs int
	for _, f := range r.Frames {
		if f.Dir == "send" && f.Label == "sio:pong" && f.Auto {
			autoPongs++
		}
	}
	if autoPongs < 3 || (r.Close != nil && r.Close.Reason == "ping timeout") || len(r.Findings) != 0 {
		t.Fatalf("auto pongs %d close %+v findings %s", autoPongs, r.Close, ids(r))
	}
}

func TestGraphQLWS(t *testing.T) {
	url := graphqlWS(t) + "/graphql"
	r := run(t, url, func(o *probe.Options) {
		o.Session.Subprotocols = []string{"graphql-transport-ws"}
		o.AutoHeartbeat = true
	}, `{"type":"connection_init","payload":{}}`, `{"id":"1","type":"subscribe","payload":{"query":"subscription { greetings }"}}`,
		`{"id":"2","type":"subscribe","payload":{"query":"subscription { bad }"}}`)
	got := labels(r)
	for _, want := range []string{"recv gql:connection_ack", "recv gql:next 1", "recv gql:complete 1", "recv gql:ping", "send gql:pong"} {
		if !strings.Contains(got, want) {
			t.Errorf("labels lack %q: %s", want, got)
		}
	}
	if r.Protocol != "graphql-ws" || ids(r) != "graphql-ws-error" || !strings.Contains(r.Findings[0].Detail, "Cannot query field") {
		t.Fatalf("findings %s", ids(r))
	}
}

func TestPhoenixSTOMPAndOdoo(t *testing.T) {
	r := run(t, phoenix(t)+"/socket/websocket?vsn=2.0.0", nil, `["1","1","room:lobby","phx_join",{}]`, `["2","2","room:secret","phx_join",{}]`)
	if r.Protocol != "phoenix" || !strings.Contains(labels(r), "recv phx:phx_reply room:lobby") || ids(r) != "phoenix-error" {
		t.Fatalf("phoenix: %s / %s", labels(r), ids(r))
	}
	r = run(t, stomp(t)+"/stomp", func(o *probe.Options) { o.Session.Subprotocols = []string{"v12.stomp"} },
		"CONNECT\naccept-version:1.2\nhost:/\n\n\x00", "SUBSCRIBE\nid:sub-0\ndestination:/topic/news\n\n\x00",
		"SUBSCRIBE\nid:sub-1\ndestination:/queue/forbidden\n\n\x00")
	if r.Protocol != "stomp" || !strings.Contains(labels(r), "recv stomp:MESSAGE /topic/news") || ids(r) != "stomp-error" {
		t.Fatalf("stomp: %s / %s", labels(r), ids(r))
	}
	r = run(t, odoo(t)+"/websocket", nil, `{"event_name":"subscribe","data":{"channels":["discuss.channel_1"],"last":0}}`)
	if r.Protocol != "odoo" || !strings.Contains(labels(r), "send odoo:subscribe discuss.channel_1") ||
		!strings.Contains(labels(r), "recv odoo:notification discuss.channel/new_message +1") {
		t.Fatalf("odoo: %s", labels(r))
	}
}

func TestDetectAndParse(t *testing.T) {
	cases := []struct {
		path, sub string
		first     string
		want      protocol.Name
	}{
		{"/cable", "", "", protocol.ActionCable},
		{"/anything", "actioncable-v1-json", "", protocol.ActionCable},
		{"/socket.io/", "", "", protocol.SocketIO},
		{"/x", "", `0{"sid":"a","pingInterval":25000}`, protocol.SocketIO},
		{"/socket/websocket", "", "", protocol.Phoenix},
		{"/x", "graphql-transport-ws", "", protocol.GraphQLWS},
		{"/websocket", "", "", protocol.Odoo},
		{"/x", "v12.stomp", "", protocol.STOMP},
		{"/x", "", "CONNECTED\nversion:1.2\n\n", protocol.STOMP},
		{"/echo", "", "hello", protocol.None},
	}
	for _, c := range cases {
		var first [][]byte
		if c.first != "" {
			first = [][]byte{[]byte(c.first)}
		}
		if got := protocol.Detect(c.path, c.sub, first); got != c.want {
			t.Errorf("Detect(%q, %q, %q) = %q, want %q", c.path, c.sub, c.first, got, c.want)
		}
	}
	if _, _, err := protocol.Parse("mqtt"); err == nil || !strings.Contains(err.Error(), "actioncable") {
		t.Fatalf("unknown protocol: %v", err)
	}
	for _, n := range protocol.Names() {
		if len(protocol.Templates(protocol.Name(n))) == 0 {
			t.Errorf("no templates for %s", n)
		}
	}
}
