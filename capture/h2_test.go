package capture

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/session"
)

// h2Handshake is an extended CONNECT as session records it: pseudo-headers
// first, lower-case names, the decoded header blocks as text.
func h2Handshake() *session.Handshake {
	hs := &session.Handshake{
		URL: "wss://app/cable?token=abc123&room=1", Started: t0, HTTPVersion: session.HTTP2,
		RequestLine: "CONNECT /cable?token=abc123&room=1 HTTP/2",
		Request: []session.Header{{Name: ":method", Value: "CONNECT"}, {Name: ":protocol", Value: "websocket"},
			{Name: ":scheme", Value: "https"}, {Name: ":path", Value: "/cable?token=abc123&room=1"}, {Name: ":authority", Value: "app:443"},
			{Name: "sec-websocket-version", Value: "13"}, {Name: "cookie", Value: "_session=xyz"}, {Name: "authorization", Value: "Bearer s3cr3t"}},
		StatusLine: "HTTP/2 200", Status: 200,
		Response: []session.Header{{Name: ":status", Value: "200"}, {Name: "set-cookie", Value: "id=1"}, {Name: "server", Value: "h2o"}},
		Timings:  session.Timings{Connect: 300 * time.Microsecond, TLS: 1500 * time.Microsecond, Upgrade: 700 * time.Microsecond, Total: 2600 * time.Microsecond},
		H2: &session.H2Info{ALPN: "h2", ConnectProtocol: true, StreamID: 1,
			Settings: []session.H2Setting{{ID: 3, Name: "MAX_CONCURRENT_STREAMS", Value: 100}, {ID: 8, Name: "ENABLE_CONNECT_PROTOCOL", Value: 1}},
			GoAway:   &session.H2GoAway{H2Code: session.H2Code{Code: 0, Name: "NO_ERROR"}, LastStreamID: 1}},
	}
	hs.RequestRaw = []byte(headText(hs.RequestLine, hs.Request))
	hs.ResponseRaw = []byte(headText(hs.StatusLine, hs.Response))
	hs.Validate()
	return hs
}

func headText(start string, hs []session.Header) string {
	var b strings.Builder
	b.WriteString(start + "\r\n")
	for _, h := range hs {
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	return b.String() + "\r\n"
}

// recordH2 writes a recording of h2Handshake and reads it back.
func recordH2(t *testing.T, redact *Redactor) (string, *Recording) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "h2.jsonl")
	hs := h2Handshake()
	r, err := Create(path, Header{URL: hs.URL, Started: t0, Handshake: HandshakeRecordOf(hs)}, redact)
	if err != nil {
		t.Fatal(err)
	}
	r.Frame(frame(session.Recv, session.OpText, `{"type":"welcome"}`, 5*time.Millisecond))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	return path, rec
}

func TestHTTP2HandshakeRoundTrip(t *testing.T) {
	_, rec := recordH2(t, NewRedactor(nil, true))
	want := h2Handshake()
	got := HandshakeOf(&rec.Header)
	if !got.IsHTTP2() || !got.Upgraded() || got.RequestLine != want.RequestLine || got.StatusLine != "HTTP/2 200" {
		t.Fatalf("version %q upgraded %v lines %q %q", got.HTTPVersion, got.Upgraded(), got.RequestLine, got.StatusLine)
	}
	if !reflect.DeepEqual(got.H2, want.H2) {
		t.Errorf("h2\n got %+v\nwant %+v", got.H2, want.H2)
	}
	if !reflect.DeepEqual(got.Request, want.Request) || !reflect.DeepEqual(got.Response, want.Response) {
		t.Errorf("headers\n got %v %v\nwant %v %v", got.Request, got.Response, want.Request, want.Response)
	}
	if got.Timings != want.Timings {
		t.Errorf("timings %+v, want %+v", got.Timings, want.Timings)
	}
	if line, hdrs := session.ParseHead(got.RequestRaw); line != want.RequestLine || !reflect.DeepEqual(hdrs, want.Request) {
		t.Errorf("raw head reads back as %q %v", line, hdrs)
	}
}

func TestOldRecordingReadsAsHTTP11(t *testing.T) {
	old := `{"format":"wscope-recording","version":1,"url":"ws://app/","started":"2026-11-22T12:00:00Z","redacted":true,` +
		`"handshake":{"request_raw":"GET / HTTP/1.1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",` +
		`"response_raw":"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",` +
		`"request_headers":[{"name":"Sec-WebSocket-Key","value":"dGhlIHNhbXBsZSBub25jZQ=="}],` +
		`"response_headers":[{"name":"Upgrade","value":"websocket"},{"name":"Connection","value":"Upgrade"},{"name":"Sec-WebSocket-Accept","value":"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}],"status":101}}` + "\n" +
		`{"t":1,"end":true}` + "\n"
	rec, err := Read(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	hs := HandshakeOf(&rec.Header)
	if hs.HTTPVersion != session.HTTP11 || hs.IsHTTP2() || hs.H2 != nil || !hs.Upgraded() {
		t.Fatalf("version %q h2 %+v upgraded %v", hs.HTTPVersion, hs.H2, hs.Upgraded())
	}
	// And a 200 over HTTP/1.1 is still a failed upgrade.
	rec.Header.Handshake.Status = 200
	if HandshakeOf(&rec.Header).Upgraded() {
		t.Fatal("a 200 to an HTTP/1.1 upgrade counts as open")
	}
}

func TestHTTP2RedactionHoldsInEveryOutput(t *testing.T) {
	redact := NewRedactor(nil, false)
	path, rec := recordH2(t, redact)
	data, _ := os.ReadFile(path)
	var har bytes.Buffer
	if err := WriteHAR(&har, rec, redact, "test"); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"recording": string(data), "har": har.String()} {
		for _, secret := range []string{"abc123", "s3cr3t", "_session=xyz", "id=1"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s leaks %q", name, secret)
			}
		}
		if !strings.Contains(out, "room=1") || !strings.Contains(out, "/cable?token=") {
			t.Errorf("%s lost the harmless part of :path", name)
		}
	}
	hs := HandshakeOf(&rec.Header)
	if p := hs.RequestHeader(":path"); p != "/cable?token=%5Bredacted%5D&room=1" {
		t.Errorf(":path %q", p)
	}
	if hs.RequestLine != "CONNECT /cable?token=%5Bredacted%5D&room=1 HTTP/2" {
		t.Errorf("request line %q", hs.RequestLine)
	}
}

func TestRawHeadRedactsHTTP2Blocks(t *testing.T) {
	r := NewRedactor([]string{"X-Api-Key"}, false)
	in := "CONNECT /ws?access_token=t1&x=2 HTTP/2\r\n" +
		":method: CONNECT\r\n" +
		":authority: app:443\r\n" +
		":path: /ws?access_token=t1&x=2\r\n" +
		"authorization: Bearer t2\r\n" +
		"AUTHORIZATION: Bearer t3\r\n" +
		"cookie: a=t4\r\n" +
		"x-api-key: t5\r\n" +
		"\r\n"
	want := "CONNECT /ws?access_token=%5Bredacted%5D&x=2 HTTP/2\r\n" +
		":method: CONNECT\r\n" +
		":authority: app:443\r\n" +
		":path: /ws?access_token=%5Bredacted%5D&x=2\r\n" +
		"authorization: [redacted]\r\n" +
		"AUTHORIZATION: [redacted]\r\n" +
		"cookie: [redacted]\r\n" +
		"x-api-key: [redacted]\r\n" +
		"\r\n"
	if got := string(r.RawHead([]byte(in))); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(r.RawHead([]byte("HTTP/2 403\r\n:status: 403\r\nset-cookie: s=1\r\n\r\n"))); got != "HTTP/2 403\r\n:status: 403\r\nset-cookie: [redacted]\r\n\r\n" {
		t.Fatalf("response %q", got)
	}
	if h := r.Header(session.Header{Name: ":path", Value: "/p?sig=1"}); h.Value != "/p?sig=%5Bredacted%5D" {
		t.Fatalf(":path header %q", h.Value)
	}
	if got := r.HeaderLine(":path: /p?token=1"); got != ":path: /p?token=%5Bredacted%5D" {
		t.Fatalf("header line %q", got)
	}
}

func TestHTTP2HARExportAndImport(t *testing.T) {
	_, rec := recordH2(t, NewRedactor(nil, true))
	var out bytes.Buffer
	if err := WriteHAR(&out, rec, NewRedactor(nil, true), "test"); err != nil {
		t.Fatal(err)
	}
	var doc harFile
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	e := doc.Log.Entries[0]
	if e.Request.HTTPVersion != "HTTP/2" || e.Response.HTTPVersion != "HTTP/2" || e.Response.Status != 200 || e.Response.StatusText != "OK" {
		t.Fatalf("exported %+v %+v", e.Request, e.Response)
	}
	back, err := ImportHAR(&out, "")
	if err != nil || len(back.Warnings) != 0 {
		t.Fatalf("import: %v %v", err, back.Warnings)
	}
	hs := HandshakeOf(&back.Header)
	if !hs.IsHTTP2() || !hs.Upgraded() || hs.RequestLine != "CONNECT /cable?token=abc123&room=1 HTTP/2" || hs.StatusLine != "HTTP/2 200" {
		t.Fatalf("imported: version %q upgraded %v lines %q %q", hs.HTTPVersion, hs.Upgraded(), hs.RequestLine, hs.StatusLine)
	}
	if !reflect.DeepEqual(hs.Request, h2Handshake().Request) {
		t.Errorf("request headers %v", hs.Request)
	}
}

// A Chrome HAR of WebSockets over HTTP/2: status 200, httpVersion as
// Chrome spells it, pseudo-headers in the lists.
func chromeH2HAR(version string, status int, messages string) string {
	return `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"entries":[
 {"startedDateTime":"2026-11-22T12:00:00.000Z","time":1,
  "request":{"method":"GET","url":"wss://app.example/cable","httpVersion":"` + version + `","headers":[
   {"name":":authority","value":"app.example"},{"name":":method","value":"CONNECT"},{"name":":path","value":"/cable"},
   {"name":":protocol","value":"websocket"},{"name":":scheme","value":"https"},{"name":"sec-websocket-protocol","value":"actioncable-v1-json"}]},
  "response":{"status":` + itoa(status) + `,"statusText":"","httpVersion":"` + version + `","headers":[{"name":"sec-websocket-protocol","value":"actioncable-v1-json"}]},
  "_resourceType":"websocket","_webSocketMessages":[` + messages + `]}]}}`
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestChromeHTTP2HARIsAnOpenWebSocket(t *testing.T) {
	msg := `{"type":"receive","time":1795262400.01,"opcode":1,"data":"{\"type\":\"welcome\"}"}`
	for _, version := range []string{"h2", "http/2.0", "HTTP/2.0", ""} {
		rec, err := ImportHAR(strings.NewReader(chromeH2HAR(version, 200, msg)), "")
		if err != nil {
			t.Fatal(err)
		}
		hs := HandshakeOf(&rec.Header)
		if !hs.IsHTTP2() || !hs.Upgraded() || hs.RequestLine != "CONNECT /cable HTTP/2" || hs.StatusLine != "HTTP/2 200" || hs.Checks.Subprotocol != "actioncable-v1-json" {
			t.Errorf("%q: version %q upgraded %v lines %q %q checks %+v", version, hs.HTTPVersion, hs.Upgraded(), hs.RequestLine, hs.StatusLine, hs.Checks)
		}
		if len(rec.Warnings) != 0 {
			t.Errorf("%q: warnings %v", version, rec.Warnings)
		}
	}
	// An HTTP/2 refusal stays a refusal.
	rec, _ := ImportHAR(strings.NewReader(chromeH2HAR("h2", 403, "")), "")
	if hs := HandshakeOf(&rec.Header); !hs.IsHTTP2() || hs.Upgraded() {
		t.Errorf("403: version %q upgraded %v", hs.HTTPVersion, hs.Upgraded())
	}
	// A 200 that says HTTP/1.1 without messages is a failed upgrade; with
	// messages it can only have been RFC 8441, and the import says so.
	rec, _ = ImportHAR(strings.NewReader(chromeH2HAR("http/1.1", 200, "")), "")
	if hs := HandshakeOf(&rec.Header); hs.IsHTTP2() || hs.Upgraded() {
		t.Errorf("HTTP/1.1 200: version %q upgraded %v", hs.HTTPVersion, hs.Upgraded())
	}
	rec, _ = ImportHAR(strings.NewReader(chromeH2HAR("http/1.1", 200, msg)), "")
	if hs := HandshakeOf(&rec.Header); !hs.Upgraded() || len(rec.Warnings) != 1 || !strings.Contains(rec.Warnings[0], "RFC 8441") {
		t.Errorf("HTTP/1.1 200 with messages: upgraded %v warnings %v", hs.Upgraded(), rec.Warnings)
	}
}
