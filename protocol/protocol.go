// Package protocol recognizes the application protocols that run on top of
// WebSocket — Rails ActionCable, Odoo's bus, Socket.IO (Engine.IO v4),
// Phoenix channels, graphql-transport-ws and STOMP — labels their frames
// (event, channel, topic), answers their heartbeats when asked, offers
// send-box templates, and notices protocol-level failures. It is pure
// logic: it sees frames and returns labels, replies and findings.
package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Name identifies a protocol; the zero value is "none".
type Name string

// The protocols wscope knows.
const (
	None        Name = ""
	ActionCable Name = "actioncable"
	Odoo        Name = "odoo"
	SocketIO    Name = "socketio"
	Phoenix     Name = "phoenix"
	GraphQLWS   Name = "graphql-ws"
	STOMP       Name = "stomp"
)

// Names lists the protocols for --protocol and help.
func Names() []string {
	return []string{string(ActionCable), string(Odoo), string(SocketIO), string(Phoenix), string(GraphQLWS), string(STOMP)}
}

// Parse checks a --protocol value ("auto" or empty means detect).
func Parse(s string) (Name, bool, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "", "auto":
		return None, false, nil
	case "none", "raw":
		return None, true, nil
	case "cable", "actioncable", "action-cable":
		return ActionCable, true, nil
	case "socket.io", "socketio", "engine.io":
		return SocketIO, true, nil
	case "graphql-ws", "graphql-transport-ws", "graphql":
		return GraphQLWS, true, nil
	}
	for _, n := range Names() {
		if s == n {
			return Name(n), true, nil
		}
	}
	return None, false, fmt.Errorf("unknown protocol %q: choose auto, none, %s", s, strings.Join(Names(), ", "))
}

// Detect guesses the protocol from the URL path, the negotiated
// subprotocol and the first messages (either direction).
func Detect(path, subprotocol string, first [][]byte) Name {
	sp := strings.ToLower(subprotocol)
	switch {
	case strings.HasPrefix(sp, "actioncable"):
		return ActionCable
	case sp == "graphql-transport-ws":
		return GraphQLWS
	case strings.HasPrefix(sp, "v1") && strings.Contains(sp, "stomp"), strings.HasPrefix(sp, "v12.stomp"), strings.HasPrefix(sp, "v11.stomp"), strings.HasPrefix(sp, "v10.stomp"):
		return STOMP
	}
	for _, m := range first {
		t := bytes.TrimSpace(m)
		switch {
		case bytes.HasPrefix(t, []byte(`{"type":"welcome"`)):
			return ActionCable
		case len(t) > 1 && t[0] == '0' && bytes.Contains(t, []byte(`"pingInterval"`)):
			return SocketIO
		case bytes.HasPrefix(t, []byte("CONNECT\n")), bytes.HasPrefix(t, []byte("STOMP\n")), bytes.HasPrefix(t, []byte("CONNECTED\n")):
			return STOMP
		case bytes.Contains(t, []byte(`"type":"connection_init"`)), bytes.Contains(t, []byte(`"type":"connection_ack"`)):
			return GraphQLWS
		case bytes.Contains(t, []byte(`"phx_join"`)), bytes.Contains(t, []byte(`"phx_reply"`)):
			return Phoenix
		case bytes.Contains(t, []byte(`"event_name":"subscribe"`)):
			return Odoo
		}
	}
	p := strings.TrimSuffix(strings.ToLower(path), "/")
	switch {
	case strings.HasSuffix(p, "/cable"):
		return ActionCable
	case strings.HasSuffix(p, "/websocket") && !strings.Contains(p, "/socket/"):
		return Odoo
	case strings.Contains(p, "/socket.io"):
		return SocketIO
	case strings.HasSuffix(p, "/socket/websocket"), strings.HasSuffix(p, "/live/websocket"):
		return Phoenix
	case strings.HasSuffix(p, "/graphql"), strings.HasSuffix(p, "/subscriptions"):
		return GraphQLWS
	case strings.HasSuffix(p, "/stomp"), strings.HasSuffix(p, "/ws-stomp"):
		return STOMP
	}
	return None
}

// Kind says what role a frame plays in its protocol.
type Kind uint8

// Frame roles.
const (
	KindData      Kind = iota // application data
	KindHeartbeat             // a keepalive either way
	KindControl               // handshake, subscription, acknowledgement
	KindError                 // the protocol's own error or rejection
)

// Label is what a frame means in its protocol.
type Label struct {
	Proto   Name
	Event   string // welcome, ping, confirm_subscription, 42 event name, phx_join, next, MESSAGE …
	Channel string // channel, topic, subscription id or destination
	Kind    Kind
}

// String is the label as the log shows it, e.g. "cable:confirm_subscription ChatChannel".
func (l Label) String() string {
	if l.Proto == None || l.Event == "" {
		return ""
	}
	s := shortName(l.Proto) + ":" + l.Event
	if l.Channel != "" {
		s += " " + l.Channel
	}
	return s
}

func shortName(n Name) string {
	switch n {
	case ActionCable:
		return "cable"
	case SocketIO:
		return "sio"
	case Phoenix:
		return "phx"
	case GraphQLWS:
		return "gql"
	}
	return string(n)
}

// Of labels a frame's payload (text messages only).
func Of(n Name, payload []byte) Label {
	l := Label{Proto: n}
	switch n {
	case ActionCable:
		labelCable(&l, payload)
	case Odoo:
		labelOdoo(&l, payload)
	case SocketIO:
		labelSocketIO(&l, payload)
	case Phoenix:
		labelPhoenix(&l, payload)
	case GraphQLWS:
		labelGraphQL(&l, payload)
	case STOMP:
		labelSTOMP(&l, payload)
	}
	return l
}

func labelCable(l *Label, p []byte) {
	var m struct {
		Type       string          `json:"type"`
		Command    string          `json:"command"`
		Identifier string          `json:"identifier"`
		Message    json.RawMessage `json:"message"`
	}
	if json.Unmarshal(p, &m) != nil {
		return
	}
	l.Channel = cableChannel(m.Identifier)
	switch {
	case m.Type == "ping":
		l.Event, l.Kind = "ping", KindHeartbeat
	case m.Type == "reject_subscription", m.Type == "disconnect":
		l.Event, l.Kind = m.Type, KindError
	case m.Type != "":
		l.Event, l.Kind = m.Type, KindControl
	case m.Command == "message":
		l.Event = "message"
	case m.Command != "":
		l.Event, l.Kind = m.Command, KindControl
	case m.Identifier != "" && m.Message != nil:
		l.Event = "broadcast"
	}
}

// cableChannel pulls the channel class out of an ActionCable identifier,
// which is itself a JSON string.
func cableChannel(id string) string {
	var v struct {
		Channel string `json:"channel"`
	}
	if id != "" && json.Unmarshal([]byte(id), &v) == nil {
		return v.Channel
	}
	return ""
}

func labelOdoo(l *Label, p []byte) {
	var req struct {
		EventName string `json:"event_name"`
		Data      struct {
			Channels []any `json:"channels"`
		} `json:"data"`
	}
	if json.Unmarshal(p, &req) == nil && req.EventName != "" {
		l.Event, l.Kind = req.EventName, KindControl
		if len(req.Data.Channels) > 0 {
			l.Channel = fmt.Sprint(req.Data.Channels[0])
		}
		return
	}
	var notes []struct {
		ID      int64 `json:"id"`
		Message struct {
			Type string `json:"type"`
		} `json:"message"`
	}
	if json.Unmarshal(p, &notes) == nil && len(notes) > 0 {
		l.Event = "notification"
		l.Channel = notes[0].Message.Type
		if len(notes) > 1 {
			l.Channel += fmt.Sprintf(" +%d", len(notes)-1)
		}
	}
}

func labelSocketIO(l *Label, p []byte) {
	if len(p) == 0 {
		return
	}
	switch p[0] {
	case '0':
		l.Event, l.Kind = "open", KindControl
	case '1':
		l.Event, l.Kind = "close", KindControl
	case '2':
		l.Event, l.Kind = "ping", KindHeartbeat
	case '3':
		l.Event, l.Kind = "pong", KindHeartbeat
	case '6':
		l.Event, l.Kind = "noop", KindControl
	case '4':
		labelSocketIOPacket(l, p[1:])
	}
}

// labelSocketIOPacket reads a Socket.IO packet inside an Engine.IO message:
// 0 connect, 1 disconnect, 2 event, 3 ack, 4 connect_error; an optional
// namespace "/ns," and ack id precede the JSON.
func labelSocketIOPacket(l *Label, p []byte) {
	if len(p) == 0 {
		return
	}
	kind, rest := p[0], p[1:]
	ns := ""
	if len(rest) > 0 && rest[0] == '/' {
		if i := bytes.IndexByte(rest, ','); i > 0 {
			ns, rest = string(rest[:i]), rest[i+1:]
		}
	}
	for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		rest = rest[1:] // ack id
	}
	l.Channel = ns
	switch kind {
	case '0':
		l.Event, l.Kind = "connect", KindControl
	case '1':
		l.Event, l.Kind = "disconnect", KindControl
	case '4':
		l.Event, l.Kind = "connect_error", KindError
	case '3':
		l.Event = "ack"
	case '2':
		var arr []json.RawMessage
		var name string
		if json.Unmarshal(rest, &arr) == nil && len(arr) > 0 && json.Unmarshal(arr[0], &name) == nil {
			l.Event = name
		} else {
			l.Event = "event"
		}
	}
}

func labelPhoenix(l *Label, p []byte) {
	// V2 serializer: [join_ref, ref, topic, event, payload]; V1: an object.
	var arr []json.RawMessage
	var topic, event string
	if json.Unmarshal(p, &arr) == nil && len(arr) == 5 {
		json.Unmarshal(arr[2], &topic)
		json.Unmarshal(arr[3], &event)
		if event == "phx_reply" {
			var reply struct {
				Status string `json:"status"`
			}
			if json.Unmarshal(arr[4], &reply) == nil && reply.Status == "error" {
				l.Kind = KindError
			}
		}
	} else {
		var obj struct {
			Topic   string `json:"topic"`
			Event   string `json:"event"`
			Payload struct {
				Status string `json:"status"`
			} `json:"payload"`
		}
		if json.Unmarshal(p, &obj) != nil {
			return
		}
		topic, event = obj.Topic, obj.Event
		if event == "phx_reply" && obj.Payload.Status == "error" {
			l.Kind = KindError
		}
	}
	l.Event, l.Channel = event, topic
	switch {
	case event == "heartbeat" || (topic == "phoenix" && event == "phx_reply"):
		l.Kind = KindHeartbeat
	case event == "phx_error", event == "phx_close" && l.Kind == KindData:
		l.Kind = KindError
	case strings.HasPrefix(event, "phx_") && l.Kind == KindData:
		l.Kind = KindControl
	}
}

func labelGraphQL(l *Label, p []byte) {
	var m struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if json.Unmarshal(p, &m) != nil || m.Type == "" {
		return
	}
	l.Event, l.Channel = m.Type, m.ID
	switch m.Type {
	case "ping", "pong":
		l.Kind = KindHeartbeat
	case "error":
		l.Kind = KindError
	case "connection_init", "connection_ack", "subscribe", "complete":
		l.Kind = KindControl
	}
}

func labelSTOMP(l *Label, p []byte) {
	if len(bytes.Trim(p, "\r\n")) == 0 {
		l.Event, l.Kind = "heartbeat", KindHeartbeat
		return
	}
	cmd, rest, _ := bytes.Cut(p, []byte("\n"))
	l.Event = strings.TrimRight(string(cmd), "\r")
	for _, line := range strings.Split(string(rest), "\n") {
		if line == "" || line == "\r" {
			break
		}
		if v, ok := strings.CutPrefix(line, "destination:"); ok {
			l.Channel = strings.TrimSpace(v)
		}
	}
	switch l.Event {
	case "ERROR":
		l.Kind = KindError
	case "CONNECT", "STOMP", "CONNECTED", "SUBSCRIBE", "UNSUBSCRIBE", "DISCONNECT", "RECEIPT", "ACK", "NACK":
		l.Kind = KindControl
	}
}
