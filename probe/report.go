package probe

import (
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/session"
)

// Report is the result of a probe; its JSON form is documented in
// docs/json.md and is stable for scripts.
type Report struct {
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Upgraded bool   `json:"upgraded"`
	// HTTPVersion is "1.1" (the Upgrade) or "2" (the extended CONNECT).
	HTTPVersion string                 `json:"http_version"`
	H2          *session.H2Info        `json:"h2,omitempty"`
	Request     *HTTPMessage           `json:"request"`
	Response    *HTTPMessage           `json:"response"`
	Redirects   []Redirect             `json:"redirects"`
	Proxy       *session.ProxyExchange `json:"proxy"`
	ConnectAddr string                 `json:"connect_addr"`
	TimingsMS   Timings                `json:"timings_ms"`
	TLS         *session.TLSInfo       `json:"tls"`
	Subprotocol string                 `json:"subprotocol"`
	Extensions  []string               `json:"extensions"`
	Checks      *Checks                `json:"checks"`
	Frames      []Frame                `json:"frames"`
	Counts      Counts                 `json:"counts"`
	RTTMS       []float64              `json:"rtt_ms"`
	Close       *Close                 `json:"close"`
	Idle        *Idle                  `json:"idle,omitempty"`
	Protocol    string                 `json:"protocol"`
	Findings    []diagnose.Finding     `json:"findings"`
	Error       string                 `json:"error"`
	ErrorClass  string                 `json:"error_class,omitempty"`
	Hint        string                 `json:"hint,omitempty"`
	Warnings    []string               `json:"warnings"`
	Elapsed     time.Duration          `json:"-"`
	// Side is the connection's evidence and findings, for compare.
	Side       diagnose.Side `json:"-"`
	usageError bool
}

// HTTPMessage is a request or response head, raw and parsed.
type HTTPMessage struct {
	Raw       string           `json:"raw"`
	StartLine string           `json:"start_line"`
	Headers   []session.Header `json:"headers"`
	Body      string           `json:"body,omitempty"`
	BodyB64   string           `json:"body_base64,omitempty"`
	BodyTrunc bool             `json:"body_truncated,omitempty"`
}

// Redirect is one hop of a followed redirect chain.
type Redirect struct {
	URL      string `json:"url"`
	Status   int    `json:"status"`
	Location string `json:"location"`
}

// Timings are the handshake phases in milliseconds.
type Timings struct {
	DNS          float64 `json:"dns"`
	Connect      float64 `json:"connect"`
	ProxyConnect float64 `json:"proxy_connect"`
	TLS          float64 `json:"tls"`
	Upgrade      float64 `json:"upgrade"`
	Total        float64 `json:"total"`
}

// Checks is the RFC 6455 validation of the final response.
type Checks struct {
	AcceptOK      bool `json:"accept_ok"`
	UpgradeOK     bool `json:"upgrade_ok"`
	ConnectionOK  bool `json:"connection_ok"`
	SubprotocolOK bool `json:"subprotocol_ok"`
	ExtensionsOK  bool `json:"extensions_ok"`
}

// Frame is one frame in the report.
type Frame struct {
	Dir         string   `json:"dir"`
	Opcode      string   `json:"opcode"`
	Time        string   `json:"time"`
	OffsetMS    float64  `json:"offset_ms"`
	Size        int      `json:"size"`
	Text        *string  `json:"text,omitempty"`
	Base64      *string  `json:"base64,omitempty"`
	Code        int      `json:"code,omitempty"`
	Auto        bool     `json:"auto,omitempty"`
	InvalidUTF8 bool     `json:"invalid_utf8,omitempty"`
	RTTMS       *float64 `json:"rtt_ms,omitempty"`
	Label       string   `json:"label,omitempty"`
}

// Counts add up every frame, also those not kept in Frames.
type Counts struct {
	SentMessages int   `json:"sent_messages"`
	RecvMessages int   `json:"recv_messages"`
	SentBytes    int64 `json:"sent_bytes"`
	RecvBytes    int64 `json:"recv_bytes"`
	Control      int   `json:"control"`
}

// Close is how the connection ended.
type Close struct {
	Code    int     `json:"code"`
	Reason  string  `json:"reason"`
	Clean   bool    `json:"clean"`
	AfterMS float64 `json:"after_ms"`
	Cause   string  `json:"cause"`
	Detail  string  `json:"detail"`
}

// Idle is the outcome of --idle.
type Idle struct {
	RequestedMS   float64 `json:"requested_ms"`
	Survived      bool    `json:"survived"`
	ClosedAfterMS float64 `json:"closed_after_ms,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newReport(url string, chain []*session.Handshake) *Report {
	r := &Report{URL: url, Frames: []Frame{}, Findings: []diagnose.Finding{}, Redirects: []Redirect{}, RTTMS: []float64{}, Extensions: []string{}, Warnings: []string{}}
	if len(chain) == 0 {
		return r
	}
	for _, hs := range chain[:len(chain)-1] {
		r.Redirects = append(r.Redirects, Redirect{URL: hs.URL, Status: hs.Status, Location: hs.ResponseHeader("Location")})
	}
	hs := chain[len(chain)-1]
	r.URL = hs.URL
	r.Status = hs.Status
	r.Upgraded = hs.Upgraded()
	r.HTTPVersion = hs.HTTPVersion
	if r.HTTPVersion == "" {
		r.HTTPVersion = session.HTTP11
	}
	r.H2 = hs.H2
	r.ConnectAddr = hs.ConnectAddr
	r.Proxy = hs.Proxy
	r.TLS = hs.TLS
	if len(hs.RequestRaw) > 0 {
		r.Request = &HTTPMessage{Raw: string(hs.RequestRaw), StartLine: hs.RequestLine, Headers: hs.Request}
	}
	if len(hs.ResponseRaw) > 0 {
		resp := &HTTPMessage{Raw: string(hs.ResponseRaw), StartLine: hs.StatusLine, Headers: hs.Response, BodyTrunc: hs.BodyTrunc}
		if utf8.Valid(hs.Body) {
			resp.Body = string(hs.Body)
		} else {
			resp.BodyB64 = base64.StdEncoding.EncodeToString(hs.Body)
		}
		r.Response = resp
		r.Checks = &Checks{AcceptOK: hs.Checks.AcceptOK, UpgradeOK: hs.Checks.UpgradeOK, ConnectionOK: hs.Checks.ConnectionOK,
			SubprotocolOK: hs.Checks.SubprotocolOK, ExtensionsOK: hs.Checks.ExtensionsOK}
		r.Subprotocol = hs.Checks.Subprotocol
		if hs.Checks.Extensions != nil {
			r.Extensions = hs.Checks.Extensions
		}
	}
	t := hs.Timings
	r.TimingsMS = Timings{DNS: ms(t.DNS), Connect: ms(t.Connect), ProxyConnect: ms(t.ProxyConnect), TLS: ms(t.TLS), Upgrade: ms(t.Upgrade), Total: ms(t.Total)}
	return r
}

// redact hides secrets in what the report shows of the handshake and the
// proxy exchange (Authorization, cookies, credential-like query
// parameters), as recordings do. The report is printed to terminals and CI
// logs; --no-redact shows everything as sent.
func (r *Report) redact(red *capture.Redactor) {
	if !red.Enabled() {
		return
	}
	r.URL = red.URL(r.URL)
	for i := range r.Redirects {
		r.Redirects[i].URL = red.URL(r.Redirects[i].URL)
		r.Redirects[i].Location = red.Text(r.Redirects[i].Location)
	}
	// The diagnosis quotes the URL in its sentences (a check's "wscope
	// probe URL …"), and errors and warnings may too.
	r.Findings = RedactFindings(r.Findings, red)
	r.Error, r.Hint = red.Text(r.Error), red.Text(r.Hint)
	for i, w := range r.Warnings {
		r.Warnings[i] = red.Text(w)
	}
	if r.Close != nil {
		r.Close.Detail = red.Text(r.Close.Detail)
	}
	for _, m := range []*HTTPMessage{r.Request, r.Response} {
		if m != nil {
			m.Raw = string(red.RawHead([]byte(m.Raw)))
			m.StartLine, _, _ = strings.Cut(m.Raw, "\r\n")
			m.Headers = red.Headers(m.Headers)
		}
	}
	if r.Proxy != nil {
		p := *r.Proxy
		p.Request = string(red.RawHead([]byte(p.Request)))
		r.Proxy = &p
	}
}

// RedactFindings returns copies of fs with every text redacted: the URLs
// a finding quotes (capture.Redactor.Text) and the values of secret
// headers quoted as evidence (Cookie: …). fs itself is not changed (a
// report's findings are shared with its Side). probe, compare and doctor
// redact findings with it.
func RedactFindings(fs []diagnose.Finding, red *capture.Redactor) []diagnose.Finding {
	if !red.Enabled() || fs == nil {
		return fs
	}
	out := make([]diagnose.Finding, len(fs))
	for i, f := range fs {
		f.MapText(red.Text)
		for j := range f.Evidence {
			f.Evidence[j].Text = red.HeaderLine(f.Evidence[j].Text)
		}
		out[i] = f
	}
	return out
}

func (r *Report) setError(e *session.Error) {
	r.Error, r.ErrorClass, r.Hint = e.Msg, string(e.Class), e.Hint
	r.usageError = e.Class == session.ClassUsage
}

// UsageError reports whether the probe failed on the user's own input.
func (r *Report) UsageError() bool { return r.usageError }

// ExitCode is 0 when upgraded with no error finding, 2 for bad input, else 1.
func (r *Report) ExitCode() int {
	switch {
	case r.usageError:
		return 2
	case !r.Upgraded || r.Error != "" || diagnose.HasError(r.Findings):
		return 1
	}
	return 0
}

func (r *Report) count(f *session.Frame) {
	switch {
	case f.Op.IsControl():
		r.Counts.Control++
	case f.Dir == session.Send:
		r.Counts.SentMessages++
		r.Counts.SentBytes += int64(len(f.Payload))
	default:
		r.Counts.RecvMessages++
		r.Counts.RecvBytes += int64(len(f.Payload))
	}
}

func (r *Report) addFrame(f *session.Frame, opened time.Time, rtt time.Duration) {
	out := Frame{Dir: f.Dir.String(), Opcode: f.Op.String(), Time: f.Time.UTC().Format(time.RFC3339Nano),
		OffsetMS: ms(f.Time.Sub(opened)), Size: len(f.Payload), Auto: f.Flags&session.FlagAuto != 0,
		InvalidUTF8: f.Flags&session.FlagInvalidUTF8 != 0}
	if f.Op == session.OpClose {
		out.Code = int(f.Code)
	}
	if utf8.Valid(f.Payload) && f.Op != session.OpBinary {
		s := string(f.Payload)
		out.Text = &s
	} else {
		s := base64.StdEncoding.EncodeToString(f.Payload)
		out.Base64 = &s
	}
	if rtt > 0 {
		v := ms(rtt)
		out.RTTMS = &v
	}
	r.Frames = append(r.Frames, out)
}

func (r *Report) setClose(sc *session.StateChange, opened time.Time) {
	r.Close = &Close{Code: sc.Code, Reason: sc.Reason, Clean: sc.Cause.Clean(), AfterMS: ms(sc.Time.Sub(opened)),
		Cause: sc.Cause.String(), Detail: sc.Detail}
}
