package protocol

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/session"
)

// welcomeWait is how long ActionCable may take to say welcome.
const welcomeWait = 5 * time.Second

// Tracker watches a connection's frames for protocol-level trouble:
// ActionCable's welcome never arriving or a subscription rejected, Engine.IO
// pings stopping or going unanswered, graphql-ws never acknowledging, a
// Phoenix join refused, a STOMP ERROR. Safe for concurrent use.
type Tracker struct {
	mu        sync.Mutex
	name      Name
	opened    time.Time
	first     [][]byte // the first messages, until the protocol is known
	path, sub string
	forced    bool

	welcome        bool
	rejected       []string
	disconnect     string
	eioInterval    time.Duration
	eioTimeout     time.Duration
	lastServerPing time.Time
	unanswered     int // Engine.IO pings the client did not answer
	initSent       time.Time
	acked          bool
	errors         []string
}

// NewTracker starts tracking; with forced false the protocol is detected
// from path, subprotocol and the first messages.
func NewTracker(n Name, forced bool, path, subprotocol string, opened time.Time) *Tracker {
	t := &Tracker{name: n, forced: forced, path: path, sub: subprotocol, opened: opened}
	if !forced {
		t.name = Detect(path, subprotocol, nil)
	}
	return t
}

// Protocol is the protocol in force (detected or forced).
func (t *Tracker) Protocol() Name {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.name
}

// Observe looks at one frame and returns its label.
func (t *Tracker) Observe(f *session.Frame) Label {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f.Op != session.OpText {
		return Label{}
	}
	if !t.forced && len(t.first) < 4 {
		t.first = append(t.first, f.Payload)
		if n := Detect(t.path, t.sub, t.first); n != None {
			t.name = n
		}
	}
	l := Of(t.name, f.Payload)
	recv := f.Dir == session.Recv
	switch t.name {
	case ActionCable:
		switch {
		case recv && l.Event == "welcome":
			t.welcome = true
		case recv && l.Event == "reject_subscription":
			t.rejected = append(t.rejected, l.Channel)
		case recv && l.Event == "disconnect":
			var m struct {
				Reason string `json:"reason"`
			}
			json.Unmarshal(f.Payload, &m)
			t.disconnect = m.Reason
		}
	case SocketIO:
		switch {
		case recv && l.Event == "open":
			var open struct {
				PingInterval int `json:"pingInterval"`
				PingTimeout  int `json:"pingTimeout"`
			}
			if json.Unmarshal(f.Payload[1:], &open) == nil {
				t.eioInterval = time.Duration(open.PingInterval) * time.Millisecond
				t.eioTimeout = time.Duration(open.PingTimeout) * time.Millisecond
			}
			t.lastServerPing = f.Time
		case recv && l.Event == "ping":
			t.lastServerPing = f.Time
			t.unanswered++
		case !recv && l.Event == "pong":
			t.unanswered = 0
		case recv && l.Event == "connect_error":
			t.errors = append(t.errors, "connect_error: "+excerpt(f.Payload))
		}
	case GraphQLWS:
		switch {
		case !recv && l.Event == "connection_init":
			t.initSent = f.Time
		case recv && l.Event == "connection_ack":
			t.acked = true
		case recv && l.Event == "error":
			t.errors = append(t.errors, "subscription "+l.Channel+" error: "+excerpt(f.Payload))
		}
	case Phoenix:
		if recv && l.Kind == KindError {
			t.errors = append(t.errors, l.Channel+" "+l.Event+": "+excerpt(f.Payload))
		}
	case STOMP:
		if recv && l.Event == "ERROR" {
			t.errors = append(t.errors, excerpt(f.Payload))
		}
	}
	return l
}

func excerpt(p []byte) string {
	s := strings.Join(strings.Fields(string(p)), " ")
	if r := []rune(s); len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return s
}

// Findings are the protocol-level problems seen so far; now is the time of
// the question (the close, or the end of a probe).
func (t *Tracker) Findings(now time.Time) []diagnose.Finding {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []diagnose.Finding
	switch t.name {
	case ActionCable:
		if !t.welcome && now.Sub(t.opened) >= welcomeWait {
			out = append(out, diagnose.Finding{ID: "cable-no-welcome", Severity: diagnose.Error,
				Title:  "ActionCable never said welcome",
				Detail: fmt.Sprintf("no {\"type\":\"welcome\"} within %s of the upgrade", now.Sub(t.opened).Round(time.Second)),
				Fix:    "The upgrade reached something that is not ActionCable, or the app refused the connection in ApplicationCable::Connection#connect (reject_unauthorized_connection): send the session cookie (--cookie) and a matching Origin (--origin)."})
		}
		if t.disconnect != "" {
			out = append(out, diagnose.Finding{ID: "cable-disconnect", Severity: diagnose.Error,
				Title:  "ActionCable disconnected the client: " + t.disconnect,
				Detail: "the server sent {\"type\":\"disconnect\",\"reason\":\"" + t.disconnect + "\"}",
				Fix:    "unauthorized: the connection was not authenticated (cookie, token); invalid_request: the request was not a proper ActionCable upgrade (Origin check, path)."})
		}
		for _, ch := range t.rejected {
			out = append(out, diagnose.Finding{ID: "cable-subscription-rejected", Severity: diagnose.Error,
				Title:  "The subscription to " + orUnknown(ch) + " was rejected",
				Detail: "the server answered reject_subscription",
				Fix:    "The channel's subscribed method called reject: check the identifier's parameters and the user's permissions."})
		}
	case SocketIO:
		limit := t.eioInterval + t.eioTimeout
		if limit > 0 && !t.lastServerPing.IsZero() && now.Sub(t.lastServerPing) > limit {
			out = append(out, diagnose.Finding{ID: "engineio-ping-timeout", Severity: diagnose.Error,
				Title:  "The Engine.IO server stopped pinging",
				Detail: fmt.Sprintf("no ping for %s; the server announced pingInterval %s + pingTimeout %s", now.Sub(t.lastServerPing).Round(time.Second), t.eioInterval, t.eioTimeout),
				Fix:    "A proxy is holding or dropping the connection (buffering, idle timeout), or the server is stuck."})
		}
		if t.unanswered > 0 && t.eioTimeout > 0 && now.Sub(t.lastServerPing) > t.eioTimeout {
			out = append(out, diagnose.Finding{ID: "engineio-no-pong", Severity: diagnose.Warn,
				Title:  "The server's Engine.IO pings went unanswered",
				Detail: fmt.Sprintf("%d ping(s) without a \"3\" pong; the server closes after pingTimeout %s", t.unanswered, t.eioTimeout),
				Fix:    "Answer with 3, or run with --auto-heartbeat."})
		}
	case GraphQLWS:
		if !t.initSent.IsZero() && !t.acked && now.Sub(t.initSent) >= 3*time.Second {
			out = append(out, diagnose.Finding{ID: "graphql-no-ack", Severity: diagnose.Error,
				Title:  "graphql-transport-ws never acknowledged connection_init",
				Detail: fmt.Sprintf("no connection_ack %s after connection_init", now.Sub(t.initSent).Round(time.Second)),
				Fix:    "Check the connection_init payload (authentication) and that the server speaks graphql-transport-ws, not the older subscriptions-transport-ws (offer --subprotocol graphql-transport-ws)."})
		}
	}
	for _, e := range t.errors {
		out = append(out, diagnose.Finding{ID: string(t.name) + "-error", Severity: diagnose.Error,
			Title: "The " + string(t.name) + " server reported an error", Detail: e,
			Fix: "See the server's message above; it is the application's answer, not the transport's."})
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "a channel"
	}
	return s
}
