package doctor

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realapp"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/session"
)

// doctorH2 runs the battery against a real HTTP/2 server's echo URL.
func doctorH2(t *testing.T, s *realproxy.H2Server, mode string) *Report {
	t.Helper()
	return Run(context.Background(), Options{Session: session.Config{URL: s.URL, CACertFile: s.CAFile, HTTP: mode}})
}

func causeOf(r *Report, id string) *Cause {
	for i := range r.Causes {
		if r.Causes[i].ID == id {
			return &r.Causes[i]
		}
	}
	return nil
}

// TestDoctorFindsTheBrowserOnlyFailure: a Go server with http2xconnect in
// front of gorilla upgrades HTTP/1.1 and refuses every browser (HTTP/2).
// The doctor runs both paths and decides the cause from their contrast,
// stating the HTTP/1.1 half as measured.
func TestDoctorFindsTheBrowserOnlyFailure(t *testing.T) {
	srv := realapp.GoXConnect(t)
	for _, mode := range []string{"", session.HTTPModeAuto} {
		r := doctorH2(t, srv, mode)
		c := causeOf(r, "h2-websocket-refused")
		if c == nil || r.Healthy || r.ExitCode == 0 || c.Severity != diagnose.Error || !c.Decisive {
			t.Fatalf("--http %q: want a decisive h2-websocket-refused and an unhealthy report, got %+v", mode, r.Causes)
		}
		if !slices.Contains(c.SeenBy, ProbeHTTP2) && !slices.Contains(c.SeenBy, ProbeBrowser) || len(c.SeenBy) < 2 {
			t.Errorf("--http %q: seen by %v, want both HTTP versions", mode, c.SeenBy)
		}
		if strings.Contains(strings.ToLower(c.Title), "likely") || !strings.Contains(c.Title, "HTTP/1.1") {
			t.Errorf("--http %q: the title should state the HTTP/1.1 half as measured: %q", mode, c.Title)
		}
		if fix := strings.ToLower(c.Fix); !strings.Contains(fix, "http2xconnect") || strings.Contains(fix, "haproxy") || strings.Contains(fix, "nginx") {
			t.Errorf("--http %q: fix is not Go's: %q", mode, c.Fix)
		}
		if r.Causes[0].ID != "h2-websocket-refused" {
			t.Errorf("--http %q: the browser-only failure is not the first cause: %v", mode, r.Causes)
		}
	}
}

// TestDoctorHealthyOverHTTP2: HAProxy takes WebSockets over HTTP/2 and
// HTTP/1.1 alike; nothing to report.
func TestDoctorHealthyOverHTTP2(t *testing.T) {
	r := doctorH2(t, realproxy.HAProxyH2(t), "")
	if !r.Healthy || causeOf(r, "h2-websocket-refused") != nil {
		t.Fatalf("want healthy, got %+v", r.Causes)
	}
}

// TestDoctorNotAdvertisedIsInformation: nginx does not advertise RFC 8441,
// so browsers use HTTP/1.1, which works: healthy, with an info cause.
func TestDoctorNotAdvertisedIsInformation(t *testing.T) {
	r := doctorH2(t, realproxy.NginxH2(t), "")
	c := causeOf(r, "h2-not-advertised")
	if !r.Healthy || c == nil || c.Severity != diagnose.Info {
		t.Fatalf("want healthy with info h2-not-advertised, got healthy=%v %+v", r.Healthy, r.Causes)
	}
}
