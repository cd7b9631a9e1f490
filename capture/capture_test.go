package capture

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wscope/wscope/session"
)

var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// frame builds a frame as the engine delivers it (invalid UTF-8 flagged).
func frame(dir session.Direction, op session.Opcode, p string, at time.Duration) *session.Frame {
	f := &session.Frame{Time: t0.Add(at), Payload: []byte(p), Dir: dir, Op: op}
	if op == session.OpText && !utf8.Valid(f.Payload) {
		f.Flags |= session.FlagInvalidUTF8
	}
	return f
}

func secretHandshake() *HandshakeRecord {
	return &HandshakeRecord{
		RequestRaw:      "GET /cable?token=abc123&room=1 HTTP/1.1\r\nHost: app\r\nAuthorization: Bearer s3cr3t\r\nCookie: _session=xyz\r\nX-Api-Key: k1\r\n\r\n",
		ResponseRaw:     "HTTP/1.1 101 Switching Protocols\r\nSet-Cookie: id=1\r\n\r\n",
		RequestHeaders:  []session.Header{{Name: "Authorization", Value: "Bearer s3cr3t"}, {Name: "Cookie", Value: "_session=xyz"}, {Name: "X-Api-Key", Value: "k1"}},
		ResponseHeaders: []session.Header{{Name: "Set-Cookie", Value: "id=1"}},
		Status:          101,
	}
}

func record(t *testing.T, redact *Redactor) (string, *Recording) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	r, err := Create(path, Header{URL: "wss://alice:pw@app/cable?token=abc123&room=1", Started: t0, Handshake: secretHandshake()}, redact)
	if err != nil {
		t.Fatal(err)
	}
	r.Frame(frame(session.Send, session.OpText, `{"command":"subscribe"}`, 10*time.Millisecond))
	r.Frame(frame(session.Recv, session.OpBinary, "\x00\x01\xff", 20*time.Millisecond))
	cl := frame(session.Recv, session.OpClose, "bye", 30*time.Millisecond)
	cl.Code = 4001
	r.Frame(cl)
	r.State(&session.StateChange{State: session.StateClosed, Time: t0.Add(31 * time.Millisecond), Cause: session.CauseRemoteClose, Code: 4001})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadFile(path, "")
	if err != nil {
		t.Fatal(err)
	}
	return path, rec
}

func TestRecordReadRoundTrip(t *testing.T) {
	path, rec := record(t, NewRedactor(nil, false))
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode().Perm())
	}
	if !rec.Complete || len(rec.Warnings) != 0 || rec.Frames() != 3 || len(rec.Events) != 4 {
		t.Fatalf("complete %v warnings %v frames %d events %d", rec.Complete, rec.Warnings, rec.Frames(), len(rec.Events))
	}
	f, err := rec.Events[1].Frame(rec.Header.Started)
	if err != nil || f.Op != session.OpBinary || !bytes.Equal(f.Payload, []byte{0, 1, 0xff}) || f.Time.Sub(t0) != 20*time.Millisecond {
		t.Fatalf("binary frame %+v %v", f, err)
	}
	if c, _ := rec.Events[2].Frame(t0); c.Code != 4001 || string(c.Payload) != "bye" {
		t.Fatalf("close frame %+v", c)
	}
	// Every line is JSON a jq user can read.
	data, _ := os.ReadFile(path)
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !json.Valid([]byte(line)) {
			t.Fatalf("line %d is not JSON: %s", i+1, line)
		}
	}
}

func TestRedactionHoldsInEveryOutput(t *testing.T) {
	path, rec := record(t, NewRedactor([]string{"X-Api-Key"}, false))
	data, _ := os.ReadFile(path)
	var har bytes.Buffer
	if err := WriteHAR(&har, rec, NewRedactor([]string{"X-Api-Key"}, false), "test"); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"recording": string(data), "har": har.String()} {
		for _, secret := range []string{"s3cr3t", "_session=xyz", "abc123", "alice", ":pw@", "id=1", "k1\""} {
			if strings.Contains(out, secret) {
				t.Errorf("%s leaks %q", name, secret)
			}
		}
		if !strings.Contains(out, "room=1") {
			t.Errorf("%s redacted a harmless query parameter", name)
		}
	}
	if !rec.Header.Redacted {
		t.Error("header does not say it is redacted")
	}
	_, plain := record(t, NewRedactor(nil, true))
	if !strings.Contains(plain.Header.Handshake.RequestRaw, "Bearer s3cr3t") || plain.Header.Redacted {
		t.Error("--no-redact still redacted")
	}
}

func TestDamagedRecordings(t *testing.T) {
	path, _ := record(t, NewRedactor(nil, false))
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")

	// kill -9 mid-write: no trailer, last line cut in half.
	cut := strings.Join(lines[:3], "\n") + "\n" + lines[3][:len(lines[3])/2]
	rec, err := Read(strings.NewReader(cut))
	if err != nil || rec.Complete || rec.Frames() != 2 || !strings.Contains(strings.Join(rec.Warnings, "|"), "line 4: truncated last line") {
		t.Fatalf("truncated: %v complete=%v frames=%d warnings=%v", err, rec.Complete, rec.Frames(), rec.Warnings)
	}
	// A malformed line in the middle: named by number, reading goes on.
	bad := strings.Join(append(append([]string{}, lines[:2]...), append([]string{"{not json"}, lines[2:]...)...), "\n") + "\n"
	rec, err = Read(strings.NewReader(bad))
	if err != nil || rec.Frames() != 3 || !strings.Contains(strings.Join(rec.Warnings, "|"), "line 3: skipped") || !rec.Complete {
		t.Fatalf("malformed: %v frames=%d warnings=%v", err, rec.Frames(), rec.Warnings)
	}
	// A future version is refused with a clear message.
	future := strings.Replace(lines[0], `"version":1`, `"version":7`, 1) + "\n"
	if _, err := Read(strings.NewReader(future)); err == nil || !strings.Contains(err.Error(), "version 7 is newer") {
		t.Fatalf("future version: %v", err)
	}
	if _, err := Read(strings.NewReader("hello\n")); err == nil || !strings.Contains(err.Error(), "not a wscope recording") {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := Read(strings.NewReader("")); err == nil {
		t.Fatal("empty file accepted")
	}
}

func TestUnwritablePathAndFullDisk(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir", "r.jsonl"), Header{URL: "ws://x/"}, NewRedactor(nil, false)); err == nil ||
		!strings.Contains(err.Error(), "cannot create recording") {
		t.Fatalf("unwritable: %v", err)
	}
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	r, err := Create("/dev/full", Header{URL: "ws://x/"}, NewRedactor(nil, false))
	if err == nil {
		r.Frame(frame(session.Recv, session.OpText, strings.Repeat("x", 300<<10), 0))
		err = r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("full disk: %v", err)
	}
}

func TestFlushedWithin100ms(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.jsonl")
	r, err := Create(path, Header{URL: "ws://x/"}, NewRedactor(nil, false))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Frame(frame(session.Recv, session.OpText, "must reach the disk", 0))
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(path)
		if bytes.Contains(data, []byte("must reach the disk")) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the frame never reached the file while the recorder was open")
}

const chromeHAR = `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"entries":[
 {"startedDateTime":"2026-11-22T12:00:00.000Z","time":1,"request":{"method":"GET","url":"https://app.example/index.html","headers":[]},"response":{"status":200,"headers":[]},"_resourceType":"document"},
 {"startedDateTime":"2026-11-22T12:00:01.000Z","time":1,"request":{"method":"GET","url":"wss://app.example/cable","headers":[{"name":"Origin","value":"https://app.example"}]},
  "response":{"status":101,"headers":[{"name":"Sec-WebSocket-Protocol","value":"actioncable-v1-json"}]},"_resourceType":"websocket",
  "_webSocketMessages":[{"type":"receive","time":1795348801.25,"opcode":1,"data":"{\"type\":\"welcome\"}"},
   {"type":"send","time":1795348801.5,"opcode":1,"data":"{\"command\":\"subscribe\"}"},
   {"type":"receive","time":1795348802.0,"opcode":2,"data":"AAH/"}]},
 {"startedDateTime":"2026-11-22T12:00:05.000Z","time":1,"request":{"method":"GET","url":"wss://app.example/other","headers":[]},"response":{"status":101,"headers":[]},"_resourceType":"websocket","_webSocketMessages":[]}
]}}`

func TestHARImportAndExport(t *testing.T) {
	if _, err := ImportHAR(strings.NewReader(chromeHAR), ""); err == nil || !strings.Contains(err.Error(), "2 WebSocket entries") ||
		!strings.Contains(err.Error(), "wss://app.example/cable") {
		t.Fatalf("ambiguous: %v", err)
	}
	rec, err := ImportHAR(strings.NewReader(chromeHAR), "cable")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Header.URL != "wss://app.example/cable" || rec.Frames() != 3 || rec.Header.Handshake.Subprotocol != "actioncable-v1-json" {
		t.Fatalf("imported %+v", rec.Header)
	}
	bin, _ := rec.Events[2].Frame(rec.Header.Started)
	if bin.Op != session.OpBinary || !bytes.Equal(bin.Payload, []byte{0, 1, 0xff}) || rec.Events[1].Dir != "send" {
		t.Fatalf("frames %+v", rec.Events)
	}
	if byNum, err := ImportHAR(strings.NewReader(chromeHAR), "2"); err != nil || byNum.Header.URL != "wss://app.example/other" {
		t.Fatalf("--entry 2: %v", err)
	}
	var out bytes.Buffer
	if err := WriteHAR(&out, rec, NewRedactor(nil, false), "test"); err != nil {
		t.Fatal(err)
	}
	back, err := ImportHAR(&out, "")
	if err != nil || back.Frames() != 3 || *back.Events[0].Text != `{"type":"welcome"}` || back.Events[2].B64 != "AAH/" {
		t.Fatalf("export round trip: %v %+v", err, back)
	}
	if d := back.Events[1].T - rec.Events[1].T; d > 1 || d < -1 {
		t.Fatalf("timing drifted by %v ms", d)
	}
	if _, err := ImportHAR(strings.NewReader(`{"log":{"entries":[]}}`), ""); err == nil || !strings.Contains(err.Error(), "none is a WebSocket") {
		t.Fatalf("no ws: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"format":"wscope-recording","version":1,"url":"ws://x/","started":"2026-11-22T12:00:00Z"}` + "\n" + `{"t":1,"dir":"recv","op":"text","text":"hi"}` + "\n"))
	f.Add([]byte(`{"format":"wscope-recording","version":1}` + "\n" + `{"t":1,"op":"binary","b64":"%%%"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := range rec.Events {
			if rec.Events[i].IsFrame() {
				if _, err := rec.Events[i].Frame(rec.Header.Started); err != nil {
					t.Fatalf("an accepted frame line does not decode: %v", err)
				}
			}
		}
	})
}

func FuzzImportHAR(f *testing.F) {
	f.Add([]byte(chromeHAR), "")
	f.Add([]byte(`{"log":{"entries":[{"_resourceType":"websocket","_webSocketMessages":[{"type":"send","time":1e300,"opcode":2,"data":"!"}]}]}}`), "1")
	f.Fuzz(func(t *testing.T, data []byte, entry string) {
		rec, err := ImportHAR(bytes.NewReader(data), entry)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteHAR(&out, rec, NewRedactor(nil, false), "fuzz"); err != nil {
			return
		}
		if !json.Valid(out.Bytes()) {
			t.Fatal("exported HAR is not valid JSON")
		}
	})
}

// The fast frame encoder must write exactly what encoding/json writes.
func TestFrameLineMatchesEncodingJSON(t *testing.T) {
	cases := []*session.Frame{
		frame(session.Recv, session.OpText, "plain", time.Millisecond),
		frame(session.Send, session.OpText, "quote \" back \\ nl \n tab \t cr \r nul \x00 esc \x1b del \x7f é 世 \u2028 <>&", 1500*time.Microsecond),
		frame(session.Recv, session.OpBinary, "\x00\x01\xff", 0),
		frame(session.Recv, session.OpText, "\xff invalid", 3*time.Millisecond),
		frame(session.Send, session.OpPong, "", 0),
	}
	cl := frame(session.Recv, session.OpClose, "bye", 2*time.Millisecond)
	cl.Code = 4001
	auto := frame(session.Send, session.OpPong, "x", 0)
	auto.Flags = session.FlagAuto
	cases = append(cases, cl, auto)
	for _, f := range cases {
		want, _ := json.Marshal(FrameEvent(f, t0))
		got := appendFrameLine(nil, f, ms(f.Time.Sub(t0)))
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("invalid JSON %s: %v", got, err)
		}
		json.Unmarshal(want, &b)
		ga, _ := json.Marshal(a)
		gb, _ := json.Marshal(b)
		if string(ga) != string(gb) {
			t.Errorf("fast %s\njson %s", got, want)
		}
	}
}

func TestAppendMillisMatchesFormatFloat(t *testing.T) {
	for _, v := range []float64{0, 1, 0.001, 12.345, 12.3, 12.34, 1000.5, 99999.999, 3.0005, -1.5, 1e15} {
		want := strconv.FormatFloat(v, 'f', -1, 64)
		if got := string(appendMillis(nil, v)); got != want {
			t.Errorf("%v: %s, want %s", v, got, want)
		}
	}
}
