package protocol

// Template is a send-box starting point for a protocol message; the user
// edits the placeholders (CHANNEL, EVENT, TOPIC …) before sending.
type Template struct {
	Name string
	Text string
}

// Templates returns the send-box templates of protocol n.
func Templates(n Name) []Template {
	switch n {
	case ActionCable:
		return []Template{
			{"subscribe", `{"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"1\"}"}`},
			{"message", `{"command":"message","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"1\"}","data":"{\"action\":\"speak\",\"message\":\"hello\"}"}`},
			{"unsubscribe", `{"command":"unsubscribe","identifier":"{\"channel\":\"ChatChannel\",\"room\":\"1\"}"}`},
		}
	case Odoo:
		return []Template{
			{"subscribe", `{"event_name":"subscribe","data":{"channels":["CHANNEL"],"last":0}}`},
			{"update_presence", `{"event_name":"update_presence","data":{"inactivity_period":0,"im_status_ids_by_model":{}}}`},
		}
	case SocketIO:
		return []Template{
			{"connect", `40`},
			{"emit", `42["EVENT",{"key":"value"}]`},
			{"emit with ack", `421["EVENT",{"key":"value"}]`},
			{"pong", `3`},
		}
	case Phoenix:
		return []Template{
			{"join", `["1","1","room:lobby","phx_join",{}]`},
			{"push", `["1","2","room:lobby","new_msg",{"body":"hello"}]`},
			{"heartbeat", `[null,"3","phoenix","heartbeat",{}]`},
			{"leave", `["1","4","room:lobby","phx_leave",{}]`},
		}
	case GraphQLWS:
		return []Template{
			{"connection_init", `{"type":"connection_init","payload":{}}`},
			{"subscribe", `{"id":"1","type":"subscribe","payload":{"query":"subscription { greetings }"}}`},
			{"complete", `{"id":"1","type":"complete"}`},
			{"ping", `{"type":"ping"}`},
		}
	case STOMP:
		return []Template{
			{"connect", "CONNECT\naccept-version:1.2\nhost:/\nheart-beat:10000,10000\n\n\x00"},
			{"subscribe", "SUBSCRIBE\nid:sub-0\ndestination:/topic/TOPIC\n\n\x00"},
			{"send", "SEND\ndestination:/queue/QUEUE\ncontent-type:text/plain\n\nhello\x00"},
			{"disconnect", "DISCONNECT\nreceipt:77\n\n\x00"},
		}
	}
	return nil
}
