package ui

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/session"
)

// query is a compiled filter: every term must match. Terms:
//
//	dir:send, dir:recv (also out/in, >, <)
//	op:text, op:binary, op:ping, op:pong, op:close, op:control, op:data
//	label:subscribe (the protocol label, e.g. cable:confirm_subscription)
//	/regexp/ or re:regexp
//	anything else: a substring, case-insensitive unless it has upper case
type query struct {
	text    string
	labels  []string // label: terms
	dir     *session.Direction
	ops     map[session.Opcode]bool
	subs    [][]byte
	folded  []bool
	regexes []*regexp.Regexp
}

func parseQuery(s string) (*query, error) {
	q := &query{text: strings.TrimSpace(s)}
	for _, term := range strings.Fields(s) {
		lower := strings.ToLower(term)
		switch {
		case strings.HasPrefix(lower, "dir:") || term == ">" || term == "<":
			var d session.Direction
			switch strings.TrimPrefix(lower, "dir:") {
			case "send", "out", ">":
				d = session.Send
			case "recv", "in", "<":
				d = session.Recv
			default:
				return nil, fmt.Errorf("dir: takes send or recv, not %q", term[4:])
			}
			q.dir = &d
		case strings.HasPrefix(lower, "op:"):
			if q.ops == nil {
				q.ops = map[session.Opcode]bool{}
			}
			switch name := lower[3:]; name {
			case "control":
				q.ops[session.OpPing], q.ops[session.OpPong], q.ops[session.OpClose] = true, true, true
			case "data":
				q.ops[session.OpText], q.ops[session.OpBinary] = true, true
			default:
				op, ok := session.ParseOpcode(name)
				if !ok {
					return nil, fmt.Errorf("op: takes text, binary, ping, pong, close, control or data, not %q", name)
				}
				q.ops[op] = true
			}
		case strings.HasPrefix(lower, "label:"):
			q.labels = append(q.labels, strings.ToLower(term[6:]))
		case strings.HasPrefix(lower, "re:") || (len(term) > 2 && term[0] == '/' && term[len(term)-1] == '/'):
			expr := term[3:]
			if term[0] == '/' {
				expr = term[1 : len(term)-1]
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("bad regexp %q: %v", expr, err)
			}
			q.regexes = append(q.regexes, re)
		default:
			fold := strings.ToLower(term) == term
			q.subs = append(q.subs, []byte(term))
			q.folded = append(q.folded, fold)
		}
	}
	return q, nil
}

// match reports whether f satisfies every term.
func (q *query) match(f *flow.Frame) bool {
	if f.Op == opNote {
		return false
	}
	if q.dir != nil && f.Dir != *q.dir {
		return false
	}
	if q.ops != nil && !q.ops[f.Op] {
		return false
	}
	label := f.Label
	for _, want := range q.labels {
		if !strings.Contains(strings.ToLower(label), want) {
			return false
		}
	}
	for i, s := range q.subs {
		// A word matches the payload or the frame's protocol label.
		if q.folded[i] {
			if !containsFold(f.Payload, s) && !containsFold([]byte(label), s) {
				return false
			}
		} else if !bytes.Contains(f.Payload, s) && !strings.Contains(label, string(s)) {
			return false
		}
	}
	for _, re := range q.regexes {
		if !re.Match(f.Payload) {
			return false
		}
	}
	return true
}

// containsFold is bytes.Contains ignoring ASCII case, without allocating;
// needle must be lower case.
func containsFold(hay, needle []byte) bool {
	if len(needle) == 0 {
		return true
	}
	first := needle[0]
	upperFirst := first
	if first >= 'a' && first <= 'z' {
		upperFirst = first - 32
	}
	for i := 0; i+len(needle) <= len(hay); i++ {
		c := hay[i]
		if c != first && c != upperFirst {
			continue
		}
		j := 1
		for ; j < len(needle); j++ {
			c := hay[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 32
			}
			if c != needle[j] {
				break
			}
		}
		if j == len(needle) {
			return true
		}
	}
	return false
}
