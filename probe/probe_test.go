package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/internal/wstest"
	"github.com/wscope/wscope/session"
)

// server is a real gorilla server: /echo echoes, /drop-after-silence drops
// the TCP connection after 300ms without a close frame (an idle timeout),
// /hostile sends terminal escapes in a text frame and close reason.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/status418" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		if r.URL.Path == "/bad-request" {
			http.Error(w, "Bad Request", http.StatusBadRequest)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		switch r.URL.Path {
		case "/drop-after-silence":
			time.Sleep(1200 * time.Millisecond)
			c.NetConn().Close()
		case "/hostile":
			c.WriteMessage(websocket.TextMessage, []byte("\x1b[2J\x1b]52;c;cHduZWQ=\x07 hi \u202e"))
			c.WriteMessage(websocket.BinaryMessage, []byte{0x1b, '[', '3', '1', 'm'})
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4000, "\x1b]0;title\x07"), time.Now().Add(time.Second))
			c.ReadMessage()
		default:
			for {
				op, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				c.WriteMessage(op, data)
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func url(s *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(s.URL, "http") + path
}

func TestProbeSendsAndReportsEchoes(t *testing.T) {
	s := server(t)
	r := Run(context.Background(), Options{Session: session.Config{URL: url(s, "/echo")}, Options: flow.Options{Script: flow.Script{Sends: []Message{{Op: session.OpText, Payload: []byte("one")}, {Op: session.OpBinary, Payload: []byte{1, 2}}}, Count: 2}}})
	if r.ExitCode() != 0 || !r.Upgraded || r.Status != 101 {
		t.Fatalf("exit %d upgraded %v status %d err %q", r.ExitCode(), r.Upgraded, r.Status, r.Error)
	}
	if r.Counts.RecvMessages != 2 || r.Counts.SentMessages != 2 {
		t.Fatalf("counts %+v", r.Counts)
	}
	var out bytes.Buffer
	if err := r.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "status", "upgraded", "request", "response", "timings_ms", "tls", "frames", "close", "findings", "error"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	frames := doc["frames"].([]any)
	first := frames[0].(map[string]any)
	if first["dir"] != "send" || first["opcode"] != "text" || first["text"] != "one" || first["size"].(float64) != 3 {
		t.Errorf("first frame %v", first)
	}
	var sawBinary bool
	for _, f := range frames {
		m := f.(map[string]any)
		if m["dir"] == "recv" && m["opcode"] == "binary" && m["base64"] == "AQI=" {
			sawBinary = true
		}
	}
	if !sawBinary {
		t.Errorf("no binary echo with base64 in %v", frames)
	}
	cl := doc["close"].(map[string]any)
	if cl["clean"] != true || cl["code"].(float64) != 1000 {
		t.Errorf("close %v", cl)
	}
	req := doc["request"].(map[string]any)
	if !strings.HasPrefix(req["raw"].(string), "GET /echo HTTP/1.1\r\n") {
		t.Errorf("request raw %q", req["raw"])
	}
}

func TestProbeNon101ExitsOneWithFinding(t *testing.T) {
	s := server(t)
	r := Run(context.Background(), Options{Session: session.Config{URL: url(s, "/status418")}})
	if r.ExitCode() != 1 || r.Status != 418 || r.ErrorClass != "status" || len(r.Findings) == 0 || r.Findings[0].ID != "upgrade-refused" {
		t.Fatalf("exit %d status %d class %s findings %+v", r.ExitCode(), r.Status, r.ErrorClass, r.Findings)
	}
}

func TestProbeBadURLExitsTwo(t *testing.T) {
	r := Run(context.Background(), Options{Session: session.Config{URL: "ftp://x"}})
	if r.ExitCode() != 2 || r.ErrorClass != "usage" {
		t.Fatalf("exit %d class %s", r.ExitCode(), r.ErrorClass)
	}
}

func TestProbeIdleReportsWhenTheConnectionWasCut(t *testing.T) {
	s := server(t)
	r := Run(context.Background(), Options{Session: session.Config{URL: url(s, "/drop-after-silence"), PingInterval: 10 * time.Millisecond}, Options: flow.Options{Script: flow.Script{Idle: 3 * time.Second}}})
	if r.Idle == nil || r.Idle.Survived || r.Idle.ClosedAfterMS < 1000 || r.Idle.ClosedAfterMS > 2500 {
		t.Fatalf("idle %+v", r.Idle)
	}
	if r.Counts.Control != 0 {
		t.Fatalf("pings were sent while idle: %d control frames", r.Counts.Control)
	}
	if len(r.Findings) != 1 || r.Findings[0].ID != "idle-timeout" || r.ExitCode() != 1 {
		t.Fatalf("findings %+v", r.Findings)
	}
}

func TestTextReportEscapesHostileBytes(t *testing.T) {
	s := server(t)
	r := Run(context.Background(), Options{Session: session.Config{URL: url(s, "/hostile")}, Options: flow.Options{Script: flow.Script{Wait: time.Second}}})
	var out bytes.Buffer
	r.WriteText(&out)
	text := out.String()
	if strings.ContainsAny(text, "\x1b\x07\u202e") {
		t.Fatalf("raw control bytes in the report:\n%q", text)
	}
	for _, want := range []string{`\x1b[2J`, `\x1b]52;c;cHduZWQ=\x07`, `\u202e`, `4000 \x1b]0;title\x07`} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks the escaped form %q:\n%s", want, text)
		}
	}
	var js bytes.Buffer
	r.WriteJSON(&js)
	if !json.Valid(js.Bytes()) || bytes.Contains(js.Bytes(), []byte{0x1b}) {
		t.Fatal("JSON invalid or holds a raw ESC")
	}
}

func TestProbeRecordsTheSession(t *testing.T) {
	s := server(t)
	path := t.TempDir() + "/probe.jsonl"
	r := Run(context.Background(), Options{Session: session.Config{URL: url(s, "/echo?token=hunter2"), Headers: []session.Header{{Name: "Authorization", Value: "Bearer hunter2"}}}, Options: flow.Options{Record: path, Redact: capture.NewRedactor(nil, false), Script: flow.Script{Sends: []Message{{Op: session.OpText, Payload: []byte("recorded")}}, Count: 1}}})
	if r.ExitCode() != 0 {
		t.Fatalf("exit %d: %s", r.ExitCode(), r.Error)
	}
	rec, err := capture.ReadFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	var first *capture.Event
	for i := range rec.Events {
		if rec.Events[i].IsFrame() {
			first = &rec.Events[i]
			break
		}
	}
	if !rec.Complete || rec.Frames() < 2 || first == nil || first.Text == nil || *first.Text != "recorded" || first.Dir != "send" {
		t.Fatalf("recording: complete %v frames %d events %+v", rec.Complete, rec.Frames(), rec.Events)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "hunter2") {
		t.Fatal("the recording holds the token")
	}
	if r := Run(context.Background(), Options{Session: session.Config{URL: url(s, "/echo")}, Options: flow.Options{Record: "/nonexistent/dir/x.jsonl", Redact: capture.NewRedactor(nil, false)}}); r.ExitCode() != 2 || !strings.Contains(r.Error, "cannot create recording") {
		t.Fatalf("bad --record path: exit %d %q", r.ExitCode(), r.Error)
	}
}

// TestHostileHeadersAreEscaped: a server whose handshake carries bidi and
// C1 controls in header values (Go's parser lets bytes >= 0x80 through).
func TestHostileHeadersAreEscaped(t *testing.T) {
	srv := wstest.Start(t, func(key string) string {
		return strings.Replace(wstest.Upgrade101(key, "X-Evil: a\u202eb\u009b31mc"), "Switching Protocols", "Switching \u202eProtocols", 1)
	}, func(c net.Conn) {
		// A close frame with a hostile reason.
		reason := "\u009b2J\u202e"
		c.Write(append([]byte{0x88, byte(2 + len(reason)), 0x0f, 0xa0}, reason...))
		time.Sleep(300 * time.Millisecond)
	})
	r := Run(context.Background(), Options{Session: session.Config{URL: "ws://" + srv.Addr + "/"}, Options: flow.Options{Script: flow.Script{Wait: time.Second}}})
	var out bytes.Buffer
	r.WriteText(&out)
	text := out.String()
	for _, bad := range []string{"\u202e", "\u009b"} {
		if strings.Contains(text, bad) {
			t.Fatalf("raw %q in the report:\n%s", bad, text)
		}
	}
	if !strings.Contains(text, `X-Evil: a\u202eb\u009b31mc`) || !strings.Contains(text, `\u009b2J\u202e`) {
		t.Fatalf("escaped forms missing:\n%s", text)
	}
	var js bytes.Buffer
	r.WriteJSON(&js)
	if !json.Valid(js.Bytes()) {
		t.Fatal("JSON report is not valid")
	}
}

func TestReportRedactsSecretsByDefault(t *testing.T) {
	s := server(t)
	o := Options{Session: session.Config{URL: url(s, "/echo?token=hunter2&room=1"),
		Headers: []session.Header{{Name: "Authorization", Value: "Bearer hunter2"}}, Cookie: "sid=hunter2"}, Options: flow.Options{Script: flow.Script{Wait: 100 * time.Millisecond}}}
	o.Redact = capture.NewRedactor(nil, false)
	r := Run(context.Background(), o)
	var text, js bytes.Buffer
	r.WriteText(&text)
	r.WriteJSON(&js)
	for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
		if strings.Contains(out, "hunter2") || !strings.Contains(out, "room=1") {
			t.Errorf("%s report: secret shown or too much hidden:\n%s", name, out)
		}
	}
	o.Redact = capture.NewRedactor(nil, true)
	if r := Run(context.Background(), o); !strings.Contains(r.Request.Raw, "Bearer hunter2") {
		t.Fatal("--no-redact hid the header")
	}
}

// The diagnosis quotes the URL in its sentences (the check's "wscope probe
// URL --connect-to …"): a token in the query appears nowhere in the JSON
// or the text report, the findings' text included.
func TestFindingsQuotingTheURLAreRedacted(t *testing.T) {
	s := server(t)
	o := Options{Session: session.Config{URL: url(s, "/bad-request?token=s3cr3t&room=1")}, Options: flow.Options{Script: flow.Script{Wait: 100 * time.Millisecond}}}
	o.Redact = capture.NewRedactor(nil, true)
	plain := Run(context.Background(), o)
	quoted := false
	for _, f := range plain.Findings {
		data, _ := json.Marshal(f)
		quoted = quoted || strings.Contains(string(data), "s3cr3t")
	}
	if !quoted {
		t.Fatalf("no finding quotes the URL, the test proves nothing: %+v", plain.Findings)
	}
	o.Redact = capture.NewRedactor(nil, false)
	r := Run(context.Background(), o)
	if len(r.Findings) == 0 {
		t.Fatal("no findings")
	}
	var text, js bytes.Buffer
	r.WriteText(&text)
	r.WriteJSON(&js)
	for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
		if strings.Contains(out, "s3cr3t") || !strings.Contains(out, "room=1") {
			t.Errorf("%s report: the token is shown or too much is hidden:\n%s", name, out)
		}
	}
	// The report's own findings are redacted copies: the Side (for
	// compare and the TUI) keeps the evidence as it was.
	if side, _ := json.Marshal(r.Side.Findings); !strings.Contains(string(side), "s3cr3t") {
		t.Errorf("redaction rewrote the Side's findings too")
	}
}
