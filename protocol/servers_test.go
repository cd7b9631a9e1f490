package protocol_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// In-process servers written to each protocol's documentation: no Rails,
// Node, Elixir or broker is installed here, and these speak the wire
// format the docs describe.

func serve(t *testing.T, subprotocols []string, handle func(c *websocket.Conn, r *http.Request)) string {
	t.Helper()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }, Subprotocols: subprotocols}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		handle(c, r)
	}))
	t.Cleanup(s.Close)
	return "ws" + strings.TrimPrefix(s.URL, "http")
}

// actionCable: welcome, pings every 100 ms, confirms ChatChannel and
// rejects SecretChannel. With ?silent=1 it never says welcome.
func actionCable(t *testing.T) string {
	return serve(t, []string{"actioncable-v1-json"}, func(c *websocket.Conn, r *http.Request) {
		if r.URL.Query().Get("silent") == "1" {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"welcome"}`))
		in := make(chan []byte)
		go func() {
			defer close(in)
			for {
				_, d, err := c.ReadMessage()
				if err != nil {
					return
				}
				in <- d
			}
		}()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case d, ok := <-in:
				if !ok {
					return
				}
				var m struct{ Command, Identifier string }
				json.Unmarshal(d, &m)
				typ := "confirm_subscription"
				if strings.Contains(m.Identifier, "Secret") {
					typ = "reject_subscription"
				}
				id, _ := json.Marshal(m.Identifier)
				c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"identifier":%s,"type":%q}`, id, typ)))
			case now := <-tick.C:
				c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"type":"ping","message":%d}`, now.Unix())))
			}
		}
	})
}

// engineIO speaks Engine.IO v4 with Socket.IO on top: open packet, pings
// every 150 ms, closes when a ping goes unanswered for 150 ms, answers
// 40 with a connect and 42["hello"] with 42["world"].
func engineIO(t *testing.T) string {
	return serve(t, nil, func(c *websocket.Conn, _ *http.Request) {
		var wmu sync.Mutex // gorilla allows one writer at a time
		write := func(s string) {
			wmu.Lock()
			defer wmu.Unlock()
			c.WriteMessage(websocket.TextMessage, []byte(s))
		}
		write(`0{"sid":"abc","upgrades":[],"pingInterval":150,"pingTimeout":150,"maxPayload":1000000}`)
		pong := make(chan struct{}, 8)
		go func() {
			for {
				_, d, err := c.ReadMessage()
				if err != nil {
					return
				}
				switch s := string(d); {
				case s == "3":
					pong <- struct{}{}
				case s == "40":
					write(`40{"sid":"xyz"}`)
				case strings.HasPrefix(s, `42["hello"`):
					write(`42["world",{"n":1}]`)
				}
			}
		}()
		for {
			time.Sleep(150 * time.Millisecond)
			write("2")
			select {
			case <-pong:
			case <-time.After(150 * time.Millisecond):
				c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "ping timeout"), time.Now().Add(time.Second))
				return
			}
		}
	})
}

// graphqlWS speaks graphql-transport-ws: ack, ping/pong, next/complete,
// and an error for a query containing "bad".
func graphqlWS(t *testing.T) string {
	return serve(t, []string{"graphql-transport-ws"}, func(c *websocket.Conn, _ *http.Request) {
		for {
			_, d, err := c.ReadMessage()
			if err != nil {
				return
			}
			var m struct {
				ID, Type string
				Payload  struct{ Query string }
			}
			json.Unmarshal(d, &m)
			switch m.Type {
			case "connection_init":
				c.WriteMessage(websocket.TextMessage, []byte(`{"type":"connection_ack"}`))
				c.WriteMessage(websocket.TextMessage, []byte(`{"type":"ping"}`))
			case "subscribe":
				if strings.Contains(m.Payload.Query, "bad") {
					c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":%q,"type":"error","payload":[{"message":"Cannot query field \"bad\""}]}`, m.ID)))
					continue
				}
				c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":%q,"type":"next","payload":{"data":{"greetings":"hi"}}}`, m.ID)))
				c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"id":%q,"type":"complete"}`, m.ID)))
			}
		}
	})
}

// phoenix speaks the V2 serializer: joins answer phx_reply ok, except
// room:secret which answers error; heartbeats are answered.
func phoenix(t *testing.T) string {
	return serve(t, nil, func(c *websocket.Conn, _ *http.Request) {
		for {
			_, d, err := c.ReadMessage()
			if err != nil {
				return
			}
			var m []json.RawMessage
			if json.Unmarshal(d, &m) != nil || len(m) != 5 {
				continue
			}
			var topic, event string
			json.Unmarshal(m[2], &topic)
			json.Unmarshal(m[3], &event)
			status := "ok"
			if topic == "room:secret" {
				status = "error"
			}
			if event == "phx_join" || event == "heartbeat" {
				c.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`[%s,%s,%q,"phx_reply",{"status":%q,"response":{}}]`, m[0], m[1], topic, status)))
			}
		}
	})
}

// stomp answers CONNECT, delivers a MESSAGE for a subscription, and an
// ERROR for /queue/forbidden.
func stomp(t *testing.T) string {
	return serve(t, []string{"v12.stomp"}, func(c *websocket.Conn, _ *http.Request) {
		for {
			_, d, err := c.ReadMessage()
			if err != nil {
				return
			}
			s := string(d)
			switch {
			case strings.HasPrefix(s, "CONNECT"):
				c.WriteMessage(websocket.TextMessage, []byte("CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00"))
			case strings.HasPrefix(s, "SUBSCRIBE") && strings.Contains(s, "forbidden"):
				c.WriteMessage(websocket.TextMessage, []byte("ERROR\nmessage:access refused\n\nnot allowed\x00"))
			case strings.HasPrefix(s, "SUBSCRIBE"):
				c.WriteMessage(websocket.TextMessage, []byte("MESSAGE\ndestination:/topic/news\nmessage-id:1\nsubscription:sub-0\n\nhello\x00"))
			}
		}
	})
}

// odoo answers a bus subscription with a notification batch.
func odoo(t *testing.T) string {
	return serve(t, nil, func(c *websocket.Conn, _ *http.Request) {
		for {
			_, d, err := c.ReadMessage()
			if err != nil {
				return
			}
			if strings.Contains(string(d), `"event_name":"subscribe"`) {
				c.WriteMessage(websocket.TextMessage, []byte(`[{"id":7,"message":{"type":"discuss.channel/new_message","payload":{"body":"hi"}}},{"id":8,"message":{"type":"bus.bus/im_status_updated","payload":{}}}]`))
			}
		}
	})
}
