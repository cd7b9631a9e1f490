package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/session"
)

func run(t *testing.T, url string, mod func(*Options)) *Report {
	t.Helper()
	o := Options{Session: session.Config{URL: url, Timeout: 5 * time.Second}, GetTimeout: time.Second, Redact: capture.NewRedactor(nil, false)}
	if mod != nil {
		mod(&o)
	}
	return Run(context.Background(), o)
}

// causeIDs is the ranked causes as "severity:id" for failure messages.
func causeIDs(r *Report) string {
	var out []string
	for _, c := range r.Causes {
		out = append(out, string(c.Severity)+":"+c.ID)
	}
	return strings.Join(out, ",")
}

func dump(r *Report) string {
	var b bytes.Buffer
	r.WriteText(&b)
	return b.String()
}

func check(r *Report, probe string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Probe == probe {
			return &r.Checks[i]
		}
	}
	return nil
}

func TestHealthyServeEndpoint(t *testing.T) {
	srv := startServe(t)
	r := run(t, srv.URL("/echo"), nil)
	if !r.Healthy || r.ExitCode != 0 || slices.ContainsFunc(r.Causes, func(c Cause) bool { return c.Severity != diagnose.Info }) {
		t.Fatalf("not healthy: %s\n%s", causeIDs(r), dump(r))
	}
	for _, p := range []string{ProbeBrowser, ProbeNoOrigin, ProbeNoCompress, ProbePlainGet} {
		c := check(r, p)
		if c == nil || !c.Passed {
			t.Errorf("check %s: %+v", p, c)
		}
	}
	// The browser's request carried the derived Origin and a deflate offer.
	raw := check(r, ProbeBrowser).Report.Request.Raw
	if !strings.Contains(raw, "Origin: http://127.0.0.1:") || !strings.Contains(raw, "permessage-deflate") {
		t.Errorf("browser request:\n%s", raw)
	}
	if strings.Contains(check(r, ProbeNoOrigin).Report.Request.Raw, "Origin:") {
		t.Errorf("no-origin probe sent an Origin")
	}
	if !strings.Contains(dump(r), "✓ healthy") {
		t.Errorf("text:\n%s", dump(r))
	}
}

// The Rails case the issue starts from: without Origin ActionCable answers
// 404 "Page not found", exactly as to a missing Upgrade. The doctor sends
// the page's Origin as a browser does, gets 101 and the welcome, and says
// the 404 is the app's origin check, not a proxy dropping headers.
func TestCableWithoutOriginIsTheAppNotTheProxy(t *testing.T) {
	app := cableApp(t)
	r := run(t, wsURL(app, "/cable"), nil)
	if !r.Healthy || r.ExitCode != 0 || r.Protocol != "actioncable" {
		t.Fatalf("exit %d protocol %q causes %s\n%s", r.ExitCode, r.Protocol, causeIDs(r), dump(r))
	}
	if len(r.Causes) != 1 || r.Causes[0].ID != "origin-rejected" || r.Causes[0].Severity != diagnose.Info ||
		r.Causes[0].Responder.Role != diagnose.RoleApp || !r.Causes[0].Decisive {
		t.Fatalf("causes %s\n%s", causeIDs(r), dump(r))
	}
	if !slices.Contains(r.Causes[0].SeenBy, ProbeNoOrigin) || !slices.Contains(r.Causes[0].SeenBy, ProbeBrowser) {
		t.Fatalf("seen by %v", r.Causes[0].SeenBy)
	}
	// What the single no-origin probe concluded (a proxy dropping the
	// Upgrade) is not a cause of its own: one cause, checked above.
	if c := check(r, ProbeNoOrigin); c == nil || c.Passed || !strings.Contains(c.Result, "Page not found") {
		t.Errorf("no-origin check %+v", c)
	}
	pc := check(r, ProbeProtocol)
	if pc == nil || !pc.Passed || !strings.Contains(pc.Result, "welcome") {
		t.Fatalf("protocol check %+v", pc)
	}
	// The browser offered the ActionCable client's subprotocols.
	if raw := check(r, ProbeBrowser).Report.Request.Raw; !strings.Contains(raw, "actioncable-v1-json, actioncable-unsupported") {
		t.Errorf("browser request:\n%s", raw)
	}
}

func TestCableSilentIsNoWelcome(t *testing.T) {
	app := cableApp(t)
	r := run(t, wsURL(app, "/cable?silent=1"), nil)
	if r.ExitCode != 1 || len(r.Causes) == 0 || r.Causes[0].ID != "cable-no-welcome" || r.Causes[0].Severity != diagnose.Error {
		t.Fatalf("causes %s\n%s", causeIDs(r), dump(r))
	}
	if pc := check(r, ProbeProtocol); pc == nil || pc.Passed {
		t.Fatalf("protocol check %+v", pc)
	}
}

// An https page in front of an app that believes it is served over http
// (no X-Forwarded-Proto): the page's Origin is refused, the http one is
// accepted. That contrast names the cause and the fix.
func TestHTTPSPageOriginRefusedWithoutForwardedProto(t *testing.T) {
	app := cableApp(t)
	host := strings.TrimPrefix(app.URL, "http://")
	r := run(t, wsURL(app, "/cable"), func(o *Options) { o.Session.Origin = "https://" + host })
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s", r.ExitCode, causeIDs(r))
	}
	top := r.Causes[0]
	if top.ID != "origin-rejected" || top.Severity != diagnose.Error || !top.Decisive || top.Rank != 1 ||
		!slices.Contains(top.SeenBy, ProbeOriginScheme) || !strings.Contains(top.Fix, "X-Forwarded-Proto") {
		t.Fatalf("top cause %+v\n%s", top, dump(r))
	}
	// The single-probe reading of the 404 is folded into it.
	if slices.ContainsFunc(r.Causes, func(c Cause) bool { return c.ID == "upgrade-rejected" }) {
		t.Fatalf("upgrade-rejected still listed as a cause: %s", causeIDs(r))
	}
}

func TestForeignOriginRefusedAcceptedWithout(t *testing.T) {
	app := gorillaApp(t)
	r := run(t, wsURL(app, "/ws"), func(o *Options) { o.Session.Origin = "http://evil.example" })
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.ID != "origin-rejected" || !top.Decisive || top.Severity != diagnose.Error ||
		!slices.Equal(top.SeenBy[:2], []string{ProbeBrowser, ProbeNoOrigin}) || !strings.Contains(top.Title, "http://evil.example") {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	// no-compress sent the same Origin and got the same 403: agreement.
	if !slices.Contains(top.SeenBy, ProbeNoCompress) {
		t.Errorf("no-compress not counted: %v", top.SeenBy)
	}
}

func TestCompressionOfferRefused(t *testing.T) {
	app := deflateRefusingApp(t)
	r := run(t, wsURL(app, "/"), nil)
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s", r.ExitCode, causeIDs(r))
	}
	top := r.Causes[0]
	if top.ID != "extension-rejected" || !top.Decisive || !slices.Contains(top.SeenBy, ProbeNoCompress) ||
		!slices.Contains(top.SeenBy, ProbeNoOrigin) || !strings.Contains(top.Detail, "Invalid or unacceptable") {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if len(r.Causes) != 1 {
		t.Errorf("more causes than the one: %s", causeIDs(r))
	}
}

// Upgraded with compression, then the first compressed frame does not
// inflate; without compression the same message arrives: the compression
// is the cause, not the framing in general.
func TestCompressionBrokenAfterUpgrade(t *testing.T) {
	r := run(t, manglingDeflateApp(t), nil)
	if r.ExitCode != 1 || len(r.Causes) == 0 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	top := r.Causes[0]
	if top.ID != "extension-rejected" || !top.Decisive || !slices.Equal(top.SeenBy, []string{ProbeBrowser, ProbeNoCompress, ProbeNoOrigin}) ||
		!strings.Contains(top.Detail, "then the connection broke") {
		t.Fatalf("top %+v\n%s", top, dump(r))
	}
	if !slices.Contains(top.Explains, "protocol-error") || len(r.Causes) != 1 {
		t.Errorf("protocol-error not folded: %s %+v", causeIDs(r), top)
	}
	// The plain GET got the server's 101 and did not wait on its body.
	if r.ElapsedMS > 4000 {
		t.Errorf("took %.0f ms", r.ElapsedMS)
	}
}

func TestEngineIOOpenAndPing(t *testing.T) {
	app := engineIOApp(t)
	r := run(t, wsURL(app, "/socket.io/?EIO=4&transport=websocket"), nil)
	if !r.Healthy || r.Protocol != "socketio" {
		t.Fatalf("protocol %q causes %s\n%s", r.Protocol, causeIDs(r), dump(r))
	}
	pc := check(r, ProbeProtocol)
	if pc == nil || !pc.Passed || !strings.Contains(pc.Result, "ping after") {
		t.Fatalf("protocol check %+v", pc)
	}
	// It stopped at the ping, not at the 30 s limit.
	if r.ElapsedMS > 10000 {
		t.Errorf("took %.0f ms", r.ElapsedMS)
	}
}

func TestRefusedConnectionAllProbesAgree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	r := run(t, "ws://"+addr+"/ws", nil)
	if r.ExitCode != 1 || r.Healthy || len(r.Causes) != 1 {
		t.Fatalf("exit %d causes %s\n%s", r.ExitCode, causeIDs(r), dump(r))
	}
	if c := r.Causes[0]; c.ID != "connection-failed" || len(c.SeenBy) < 3 || !strings.Contains(c.Detail, "refused") {
		t.Fatalf("cause %+v", c)
	}
	if _, ok := Explain("connection-failed"); !ok {
		t.Fatal("connection-failed has no explanation")
	}
}

func TestBadInputIsExitTwo(t *testing.T) {
	for _, o := range []Options{
		{Session: session.Config{URL: "ftp://x/"}},
		{Session: session.Config{URL: "ws://127.0.0.1:1/"}, Direct: "nohost"},
		{Session: session.Config{URL: "ws://127.0.0.1:1/"}, Direct: "10.0.0.1:99999"},
		{Session: session.Config{URL: "ws://127.0.0.1:1/"}, Idle: -time.Second},
	} {
		r := Run(context.Background(), o)
		if r.ExitCode != 2 || !r.UsageError() || r.Error == "" {
			t.Errorf("%+v: exit %d error %q", o, r.ExitCode, r.Error)
		}
		if err := o.Validate(); err == nil {
			t.Errorf("%+v validates", o)
		}
	}
}

func TestParseDirect(t *testing.T) {
	for in, want := range map[string]directTarget{
		"10.0.0.5:3000":        {host: "10.0.0.5", port: "3000", hostPort: "10.0.0.5:3000"},
		"ws://app:80":          {scheme: "ws", host: "app", port: "80", hostPort: "app:80"},
		"https://[::1]:8443/":  {scheme: "wss", host: "[::1]", port: "8443", hostPort: "[::1]:8443"},
		"http://127.0.0.1:900": {scheme: "ws", host: "127.0.0.1", port: "900", hostPort: "127.0.0.1:900"},
	} {
		got, err := parseDirect(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"app", "ftp://app:1", ":80", "app:0", "app:x"} {
		if _, err := parseDirect(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// The ranking rules on their own: errors before warnings before info,
// decisive before not, more probes agreeing before fewer, else the order
// the battery found them in.
func TestRanking(t *testing.T) {
	mk := func(id string, sev diagnose.Severity, decisive bool, seen ...string) *Cause {
		return &Cause{Finding: diagnose.Finding{ID: id, Severity: sev}, Decisive: decisive, SeenBy: seen}
	}
	a := &analyzer{causes: []*Cause{
		mk("info-many", diagnose.Info, true, "a", "b", "c"),
		mk("warn-one", diagnose.Warn, false, "a"),
		mk("err-one", diagnose.Error, false, "a"),
		mk("err-two", diagnose.Error, false, "a", "b"),
		mk("err-one-later", diagnose.Error, false, "b"),
		mk("err-decisive", diagnose.Error, true, "a", "b"),
	}}
	a.rank()
	var got []string
	for _, c := range a.causes {
		got = append(got, c.ID)
	}
	want := []string{"err-decisive", "err-two", "err-one", "err-one-later", "warn-one", "info-many"}
	if !slices.Equal(got, want) {
		t.Fatalf("ranked %v, want %v", got, want)
	}
}

// What the network sends is escaped in the text and secrets are redacted.
func TestTextEscapesAndRedacts(t *testing.T) {
	app := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "denied \x1b[31mred\x1b]0;title\x07")
	}))
	r := run(t, wsURL(app, "/ws?token=s3cr3t"), func(o *Options) {
		o.Session.Headers = []session.Header{{Name: "Authorization", Value: "Bearer hunter2"}}
	})
	text := dump(r)
	var js bytes.Buffer
	r.WriteJSON(&js)
	if strings.ContainsRune(text, 0x1b) || !strings.Contains(text, "denied") {
		t.Fatalf("escape sequence reached the text or the body is missing:\n%q", text)
	}
	for _, secret := range []string{"s3cr3t", "hunter2"} {
		if strings.Contains(text, secret) || strings.Contains(js.String(), secret) {
			t.Errorf("%s leaked", secret)
		}
	}
}

// The JSON document's shape, as scripts read it.
func TestJSONShape(t *testing.T) {
	app := gorillaApp(t)
	r := run(t, wsURL(app, "/ws"), func(o *Options) { o.Session.Origin = "http://evil.example" })
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		URL      string `json:"url"`
		Origin   string `json:"origin"`
		Healthy  *bool  `json:"healthy"`
		ExitCode *int   `json:"exit_code"`
		Causes   []struct {
			Rank          int      `json:"rank"`
			ID            string   `json:"id"`
			Severity      string   `json:"severity"`
			Title         string   `json:"title"`
			Fix           string   `json:"fix"`
			SeenBy        []string `json:"seen_by"`
			ProbeEvidence []string `json:"probe_evidence"`
			Decisive      bool     `json:"decisive"`
			Responder     struct {
				Role string `json:"role"`
			} `json:"responder"`
		} `json:"causes"`
		Checks []struct {
			Probe  string          `json:"probe"`
			What   string          `json:"what"`
			Passed *bool           `json:"passed"`
			Result string          `json:"result"`
			Report json.RawMessage `json:"report"`
			HTTP   json.RawMessage `json:"http"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Healthy == nil || *doc.Healthy || doc.ExitCode == nil || *doc.ExitCode != 1 || doc.Origin != "http://evil.example" || doc.URL == "" {
		t.Fatalf("head: %s", b.String()[:300])
	}
	c := doc.Causes[0]
	if c.Rank != 1 || c.ID != "origin-rejected" || c.Severity != "error" || c.Fix == "" || len(c.SeenBy) < 2 ||
		len(c.ProbeEvidence) < 2 || !c.Decisive || c.Responder.Role != "app" {
		t.Fatalf("cause: %+v", c)
	}
	var sawReport, sawHTTP bool
	for _, ch := range doc.Checks {
		if ch.Passed == nil || ch.What == "" || ch.Result == "" {
			t.Errorf("check %+v", ch)
		}
		sawReport = sawReport || len(ch.Report) > 0
		sawHTTP = sawHTTP || len(ch.HTTP) > 0
	}
	if !sawReport || !sawHTTP {
		t.Errorf("checks carry no probe report or no HTTP result")
	}
}
