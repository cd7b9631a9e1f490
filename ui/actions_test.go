package ui

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/session"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's key table from the bindings")

const (
	readmePath    = "../README.md"
	readmeHeading = "### `wscope [URL]` — the interactive inspector"
)

// keyTableSpan finds the key table under the inspector's heading: the
// byte range of its lines, header included.
func keyTableSpan(t *testing.T, doc string) (start, end int) {
	t.Helper()
	h := strings.Index(doc, readmeHeading)
	if h < 0 {
		t.Fatalf("README has no %q heading", readmeHeading)
	}
	rel := strings.Index(doc[h:], "\n| key |")
	if next := strings.Index(doc[h+len(readmeHeading):], "\n### "); rel < 0 || next >= 0 && rel > next+len(readmeHeading) {
		t.Fatal("README: no `| key | … |` table under the inspector's heading")
	}
	start = h + rel + 1
	end = start
	for end < len(doc) && doc[end] == '|' {
		nl := strings.IndexByte(doc[end:], '\n')
		if nl < 0 {
			end = len(doc)
			break
		}
		end += nl + 1
	}
	return start, end
}

// tableRow is one parsed row of the README's key table.
type tableRow struct {
	keys          []string // key names as Bubble Tea spells them
	where, action string
}

func parseKeyTable(table string) []tableRow {
	var rows []tableRow
	for i, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if i < 2 { // header and delimiter
			continue
		}
		var cells []string
		var cell strings.Builder
		for j := 0; j < len(line); j++ {
			switch {
			case line[j] == '\\' && j+1 < len(line) && line[j+1] == '|':
				cell.WriteByte('|')
				j++
			case line[j] == '|':
				cells = append(cells, strings.TrimSpace(cell.String()))
				cell.Reset()
			default:
				cell.WriteByte(line[j])
			}
		}
		if len(cells) < 4 {
			rows = append(rows, tableRow{action: line})
			continue
		}
		r := tableRow{where: cells[2], action: cells[3]}
		for _, k := range strings.Split(cells[1], ",") {
			k = strings.Trim(strings.TrimSpace(k), "`")
			switch k {
			case "↑":
				k = "up"
			case "↓":
				k = "down"
			}
			r.keys = append(r.keys, k)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestREADMEKeyTable holds the README's key table to the bindings: every
// binding's keys and description are in it, it lists no key that no
// binding has, and it is exactly what keyTable generates (go generate
// ./ui rewrites it).
func TestREADMEKeyTable(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start, end := keyTableSpan(t, doc)
	m := New(Options{Config: session.Config{URL: "ws://127.0.0.1:8765/echo"}, NoBgQuery: true, Now: fixedNow})
	binds := m.bindings()
	want := keyTable(binds)
	if *updateREADME {
		if err := os.WriteFile(readmePath, []byte(doc[:start]+want+doc[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got := doc[start:end]
	rows := parseKeyTable(got)
	for _, b := range binds {
		found := slices.ContainsFunc(rows, func(r tableRow) bool {
			return strings.HasPrefix(r.action, b.desc) && strings.Contains(r.where, b.scope.String()) && slices.Equal(r.keys, b.keys)
		})
		if !found {
			t.Errorf("README key table lacks %v (%s): %s", b.keys, b.scope, b.desc)
		}
	}
	for _, r := range rows {
		for _, k := range r.keys {
			if !slices.ContainsFunc(binds, func(b action) bool { return slices.Contains(b.keys, k) }) {
				t.Errorf("README key table lists %q, which no binding has (row %q)", k, r.action)
			}
		}
	}
	if got != want {
		t.Errorf("README key table differs from the bindings; go generate ./ui rewrites it.\nREADME:\n%s\nbindings:\n%s", got, want)
	}
}

// Two bindings read in the same focus must not share a key: the first
// would shadow the other.
func TestBindingsDoNotShadowEachOther(t *testing.T) {
	m := New(Options{Config: session.Config{URL: "ws://x"}, NoBgQuery: true, Now: fixedNow})
	together := map[scope][]scope{ // what each focus reads, root actions first
		scopeLog:       {scopeAnywhere, scopeGlobal, scopeLog},
		scopeDetail:    {scopeAnywhere, scopeGlobal, scopeDetail},
		scopeHandshake: {scopeAnywhere, scopeGlobal, scopeHandshake},
		scopeReplay:    {scopeAnywhere, scopeGlobal, scopeReplay},
		scopeSend:      {scopeAnywhere, scopeSend},
		scopeFilter:    {scopeAnywhere, scopeFilter},
		scopeForm:      {scopeAnywhere, scopeForm},
	}
	all := m.bindings()
	for focus, scopes := range together {
		owner := map[string]string{}
		for _, a := range all {
			if !slices.Contains(scopes, a.scope) {
				continue
			}
			if a.desc == "" || a.helpKey == "" || len(a.keys) == 0 {
				t.Errorf("%s: a binding without keys or help: %+v", a.scope, a)
			}
			for _, k := range a.keys {
				if prev, ok := owner[k]; ok {
					t.Errorf("in the %s, %q is both %q and %q", focus, k, prev, a.desc)
				}
				owner[k] = a.desc
			}
		}
	}
}

func TestUnavailableActionsSayWhy(t *testing.T) {
	hello := "hello"
	rec := &capture.Recording{Complete: true, Header: capture.Header{URL: "ws://127.0.0.1:9/echo"},
		Events: []capture.Event{{T: 1, Dir: "recv", Op: "text", Text: &hello}}}
	m := New(Options{Recording: rec, Theme: "dark", NoBgQuery: true, Now: fixedNow})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	for _, k := range []string{"r", "R", "i", "s", "p", "c"} {
		_, cmd := m.Update(keyMsg(k))
		if cmd != nil || m.focus != focusLog || m.toast != reasonReadOnly || !m.toastErr {
			t.Errorf("%s on a recording: focus %d toast %q cmd %v", k, m.focus, m.toast, cmd != nil)
		}
	}
	press(m, "?")
	help := plain(m)
	if !strings.Contains(help, "i p c r R") || !strings.Contains(help, reasonReadOnly[:40]) {
		t.Errorf("help overlay does not say why keys are unavailable:\n%s", help)
	}
	press(m, "x")

	live := newTestModel(t, "dark", 120, 30)
	press(live, "P")
	if live.toast != reasonNoRecording {
		t.Errorf("P live: %q", live.toast)
	}
	press(live, "Y") // the handshake is there
	if live.toast == "no handshake yet" {
		t.Error("Y unavailable with a handshake")
	}
	live.state, live.conn = session.StateClosed, nil
	_, cmd := live.Update(keyMsg("p"))
	if cmd != nil || live.toast != reasonNotConnected {
		t.Errorf("ping while closed: %q", live.toast)
	}
	press(live, "c")
	if live.focus != focusLog || live.toast != reasonNotConnected {
		t.Errorf("close while closed: focus %d toast %q", live.focus, live.toast)
	}
	press(live, "i") // compose stays available: the send box says it is not connected
	if live.focus != focusSend {
		t.Errorf("compose while closed: focus %d", live.focus)
	}
	press(live, "ctrl+e")
	if !strings.HasPrefix(live.toast, "no protocol detected") || live.focus != focusSend {
		t.Errorf("ctrl+e without a protocol: %q", live.toast)
	}
	press(live, "esc")
	if live.focus != focusLog {
		t.Errorf("esc left focus %d", live.focus)
	}
}
