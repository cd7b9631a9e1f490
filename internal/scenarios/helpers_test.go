package scenarios

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/internal/realproxy"
	"github.com/wscope/wscope/internal/servetest"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/serve"
	"github.com/wscope/wscope/session"
)

// tmpl reads a configuration template from testdata.
func tmpl(t *testing.T, name string) string { return realproxy.Template(t, name) }

// merge returns defaults overridden by extra.
func merge(defaults map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// The proxies, each with the defaults of its template (a working setup)
// overridden by extra.

func nginx(t *testing.T, upstream string, extra map[string]string) *realproxy.Proxy {
	return realproxy.Nginx(t, tmpl(t, "nginx.conf.tmpl"), merge(map[string]string{
		"upstream": upstream, "upstream2": "", "upgrade": "yes", "read_timeout": "60s",
		"ssi": "no", "tls": "no", "cert": "", "key": "", "xfp": "no", "host": "$host"}, extra))
}

func haproxy(t *testing.T, upstream string, extra map[string]string) *realproxy.Proxy {
	return realproxy.HAProxy(t, tmpl(t, "haproxy.cfg.tmpl"), merge(map[string]string{
		"upstream": upstream, "upstream2": "", "tunnel": "1h", "client": "30s", "server": "30s", "tls": "no", "pem": "", "xfp": "no"}, extra))
}

func apache(t *testing.T, upstream string, extra map[string]string) *realproxy.Proxy {
	return realproxy.Apache(t, tmpl(t, "httpd.conf.tmpl"), merge(map[string]string{
		"upstream": upstream, "upgrade": "yes", "timeout": "60"}, extra))
}

func caddy(t *testing.T, upstream string, extra map[string]string) *realproxy.Proxy {
	return realproxy.Caddy(t, tmpl(t, "Caddyfile.tmpl"), merge(map[string]string{
		"upstream": upstream, "read_timeout": "60s"}, extra))
}

func lighttpd(t *testing.T, upstream string, extra map[string]string) *realproxy.Proxy {
	h, p := hostPort(t, upstream)
	return realproxy.Lighttpd(t, tmpl(t, "lighttpd.conf.tmpl"), merge(map[string]string{
		"host": h, "port": p, "upgrade": "yes", "max_read_idle": "60"}, extra))
}

func varnish(t *testing.T, upstream string, extra map[string]string, params ...string) *realproxy.Proxy {
	h, p := hostPort(t, upstream)
	return realproxy.Varnish(t, tmpl(t, "varnish.vcl.tmpl"), merge(map[string]string{
		"host": h, "port": p, "pipe": "yes"}, extra), params...)
}

func h2o(t *testing.T, upstream string, extra map[string]string) *realproxy.Proxy {
	return realproxy.H2O(t, tmpl(t, "h2o.conf.tmpl"), merge(map[string]string{
		"upstream": upstream, "websocket": "yes", "ws_timeout": "60000"}, extra))
}

// wscopeServe is `wscope serve` (gorilla) on a free loopback port.
func wscopeServe(t *testing.T) *serve.Server { return servetest.Start(t) }

func addrOf(s *serve.Server) string { return strings.TrimPrefix(s.URL(""), "ws://") }

// run probes url with wscope's defaults (what `wscope probe URL` does:
// Origin like a browser) and a short wait; mod adjusts the options.
func run(t *testing.T, url string, mod func(*probe.Options)) *probe.Report {
	t.Helper()
	o := probe.Options{Session: session.Config{URL: url, Timeout: 10 * time.Second}}
	o.Wait = 300 * time.Millisecond
	if mod != nil {
		mod(&o)
	}
	return probe.Run(context.Background(), o)
}

// expect is what one scenario requires of the diagnosis.
type expect struct {
	ID string
	// Responder lists the catalogue names Finding.Responder.Name may have
	// (who answered); empty means any, as long as there is one.
	Responder []string
	// Role, when set, is the responder's role.
	Role diagnose.Role

	// NotResponder are names that must not be blamed.
	NotResponder []string
	// Proxy is the proxy at fault: it must be the responder or on the
	// finding's Path, and the fix must name no other proxy. "" means the
	// fix names no proxy at all.
	Proxy string
	// FixHas: the fix contains each of these (case-insensitive, spaces
	// squeezed); FixAny: at least one of these; FixLacks: none.
	FixHas, FixAny, FixLacks []string
	// Severity, when set, is the finding's severity.
	Severity diagnose.Severity
	// Shows: the evidence (Detail and the Evidence clues) contains each of
	// these, as received (case-sensitive).
	Shows []string
}

// proxyNames are how a fix text names each proxy (lower case).
var proxyNames = map[string][]string{
	"nginx":      {"nginx"},
	"haproxy":    {"haproxy"},
	"apache":     {"apache", "httpd", "proxypass", "a2enmod"},
	"caddy":      {"caddy", "reverse_proxy"},
	"traefik":    {"traefik"},
	"envoy":      {"envoy"},
	"lighttpd":   {"lighttpd", "proxy.header", "max-read-idle"},
	"varnish":    {"varnish", "vcl"},
	"h2o":        {"h2o", "proxy.websocket"},
	"squid":      {"squid", "ssl_ports"},
	"tinyproxy":  {"tinyproxy", "connectport"},
	"privoxy":    {"privoxy", "limit-connect"},
	"dante":      {"dante", "danted", "socksmethod"},
	"cloudflare": {"cloudflare"},
	"aws":        {"aws alb", "aws elb", "alb idle"},
}

func squeeze(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// describe prints the report for a failure message: status, the response
// head, and every finding with all its fields.
func describe(r *probe.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %d, error %q (class %s)\n", r.Status, r.Error, r.ErrorClass)
	if r.Proxy != nil {
		fmt.Fprintf(&b, "proxy exchange: %s %q\n", r.Proxy.Kind, r.Proxy.Response)
	}
	if r.Response != nil {
		fmt.Fprintf(&b, "response:\n%s", indent(r.Response.Raw))
		if r.Response.Body != "" {
			fmt.Fprintf(&b, "body: %q\n", excerpt(r.Response.Body, 300))
		}
	}
	if r.Close != nil {
		fmt.Fprintf(&b, "close: code %d cause %s after %.0f ms: %s\n", r.Close.Code, r.Close.Cause, r.Close.AfterMS, r.Close.Detail)
	}
	if len(r.Findings) == 0 {
		b.WriteString("findings: none\n")
	}
	for _, f := range r.Findings {
		data, _ := json.Marshal(f)
		fmt.Fprintf(&b, "finding: %s\n", data)
	}
	return b.String()
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\r\n"), "\n") {
		b.WriteString("    " + strings.TrimRight(l, "\r") + "\n")
	}
	return b.String()
}

func excerpt(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// check asserts e against the report and returns the finding.
func check(t *testing.T, r *probe.Report, e expect) diagnose.Finding {
	t.Helper()
	var f *diagnose.Finding
	for i := range r.Findings {
		if r.Findings[i].ID == e.ID {
			f = &r.Findings[i]
			break
		}
	}
	if f == nil {
		t.Errorf("no %s finding\n%s", e.ID, describe(r))
		return diagnose.Finding{}
	}
	var problems []string
	if e.Severity != "" && f.Severity != e.Severity {
		problems = append(problems, fmt.Sprintf("severity %s, want %s", f.Severity, e.Severity))
	}
	who := f.Responder.Name
	switch {
	case who == "":
		problems = append(problems, "no responder named")
	case len(e.Responder) > 0 && !slices.Contains(e.Responder, who):
		problems = append(problems, fmt.Sprintf("responder %q, want one of %q", who, e.Responder))
	case slices.Contains(e.NotResponder, who):
		problems = append(problems, fmt.Sprintf("responder %q is blamed", who))
	}
	evidence := f.Detail
	for _, c := range f.Evidence {
		evidence += "\n" + c.Text
	}
	for _, s := range e.Shows {
		if !strings.Contains(evidence, s) {
			problems = append(problems, fmt.Sprintf("the evidence does not show %q", s))
		}
	}
	if e.Role != "" && f.Responder.Role != e.Role {
		problems = append(problems, fmt.Sprintf("responder role %q, want %q", f.Responder.Role, e.Role))
	}
	if e.Proxy != "" && who != e.Proxy && !slices.ContainsFunc(f.Path, func(r diagnose.Responder) bool { return r.Name == e.Proxy }) {
		problems = append(problems, fmt.Sprintf("%s is neither the responder nor on the path %v", e.Proxy, f.Path))
	}
	fix := squeeze(f.Fix)
	for _, s := range e.FixHas {
		if !strings.Contains(fix, squeeze(s)) {
			problems = append(problems, fmt.Sprintf("the fix does not say %q", s))
		}
	}
	if len(e.FixAny) > 0 && !containsAny(fix, e.FixAny) {
		problems = append(problems, fmt.Sprintf("the fix says none of %q", e.FixAny))
	}
	for _, s := range e.FixLacks {
		if strings.Contains(fix, squeeze(s)) {
			problems = append(problems, fmt.Sprintf("the fix says %q", s))
		}
	}
	for name, words := range proxyNames {
		if name == e.Proxy {
			continue
		}
		for _, w := range words {
			if strings.Contains(fix, w) && !ownWord(e.Proxy, w) {
				problems = append(problems, fmt.Sprintf("the fix names another proxy (%s: %q)", name, w))
				break
			}
		}
	}
	if len(problems) > 0 {
		t.Errorf("%s finding: %s\n%s", e.ID, strings.Join(problems, "; "), describe(r))
	}
	return *f
}

// ownWord: a word that also belongs to the expected proxy's vocabulary.
func ownWord(proxy, w string) bool {
	for _, own := range proxyNames[proxy] {
		if strings.Contains(own, w) || strings.Contains(w, own) {
			return true
		}
	}
	return false
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, squeeze(sub)) {
			return true
		}
	}
	return false
}

// noFinding asserts the report has none of these ids.
func noFinding(t *testing.T, r *probe.Report, ids ...string) {
	t.Helper()
	for _, f := range r.Findings {
		for _, id := range ids {
			if f.ID == id {
				t.Errorf("unexpected %s finding\n%s", id, describe(r))
			}
		}
	}
}

// healthy asserts a working control setup: upgraded, no error finding.
func healthy(t *testing.T, r *probe.Report, what string) {
	t.Helper()
	if r.Status != 101 || !r.Upgraded || diagnose.HasError(r.Findings) {
		t.Fatalf("control (%s) is not healthy, the scenario proves nothing:\n%s", what, describe(r))
	}
}

var durationRE = regexp.MustCompile(`(\d+(?:\.\d+)?)\s?(ms|s|seconds?)\b`)

// statedSeconds are the durations a text states, in seconds.
func statedSeconds(text string) []float64 {
	var out []float64
	for _, m := range durationRE.FindAllStringSubmatch(text, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			continue
		}
		if m[2] == "ms" {
			v /= 1000
		}
		out = append(out, v)
	}
	return out
}

// statesMeasured asserts the finding states the measured duration (in its
// title or detail) within ±10 %.
func statesMeasured(t *testing.T, r *probe.Report, f diagnose.Finding, measured time.Duration) {
	t.Helper()
	for _, v := range statedSeconds(f.Title + " " + f.Detail) {
		if d := v - measured.Seconds(); d <= 0.1*measured.Seconds() && d >= -0.1*measured.Seconds() {
			return
		}
	}
	t.Errorf("%s: no duration within ±10%% of the measured %s in %q / %q\n%s", f.ID, measured, f.Title, f.Detail, describe(r))
}

func itoa(n int) string { return strconv.Itoa(n) }
