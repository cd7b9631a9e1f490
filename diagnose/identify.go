package diagnose

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/wscope/wscope/session"
)

// answer is one HTTP answer as the fingerprinting sees it: a handshake's
// response, or a forward proxy's answer to CONNECT.
type answer struct {
	status     int
	statusLine string
	reason     string
	headers    []session.Header
	rawBody    string
	body       string // lowercased, runs of white space as one space
	compact    string // lowercased, without any white space (JSON spacing aside)
	path       string // the request path, without a trailing slash
	// h2: the answer came over HTTP/2 (an extended CONNECT's); headers
	// then leave out the pseudo-headers (:status is status).
	h2 bool
	// settings are the HTTP/2 server's first SETTINGS frame, in order.
	settings []session.H2Setting
}

func answerOf(hs *session.Handshake) answer {
	a := answer{status: hs.Status, statusLine: hs.StatusLine, reason: hs.Reason, headers: hs.Response,
		rawBody: string(hs.Body), path: pathOf(hs.URL)}
	if hs.IsHTTP2() {
		a.h2, a.headers = true, nil
		for _, h := range hs.Response {
			if !strings.HasPrefix(h.Name, ":") {
				a.headers = append(a.headers, h)
			}
		}
		if hs.H2 != nil {
			a.settings = hs.H2.Settings
		}
	}
	a.body, a.compact = normalize(a.rawBody), compact(a.rawBody)
	return a
}

// settingsText is a SETTINGS frame as "NAME=value NAME=value".
func settingsText(ss []session.H2Setting) string {
	parts := make([]string, 0, len(ss))
	for _, s := range ss {
		parts = append(parts, fmt.Sprintf("%s=%d", settingName(s), s.Value))
	}
	return strings.Join(parts, " ")
}

// settingName names a setting (a recording may lack the name).
func settingName(s session.H2Setting) string {
	if s.Name != "" {
		return s.Name
	}
	return session.H2SettingName(s.ID)
}

// proxyAnswerOf reads an HTTP forward proxy's answer to CONNECT.
func proxyAnswerOf(p *session.ProxyExchange) answer {
	start, headers := session.ParseHead([]byte(p.Response))
	a := answer{status: p.Status, statusLine: start, headers: headers, rawBody: p.Body}
	if _, rest, ok := strings.Cut(start, " "); ok {
		if _, reason, ok := strings.Cut(rest, " "); ok {
			a.reason = reason
		}
	}
	a.body, a.compact = normalize(a.rawBody), compact(a.rawBody)
	return a
}

func (a answer) header(name string) (string, bool) {
	for _, h := range a.headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func normalize(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// compact is s lowercased without white space: a body signature that is
// contained in the body matches whatever its spacing (JSON written as
// {"code": 1, "message": "Session ID unknown"} or without spaces).
func compact(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }

// hit is one signature that matched, with what was seen.
type hit struct {
	r    *ResponderSpec
	sig  Signature
	seen Clue
}

// attribution is what the fingerprints say about one answer.
type attribution struct {
	answered *ResponderSpec // who wrote the answer; nil when nothing says
	conf     Confidence     // how sure, from its strongest signature
	means    string         // the finding id its strongest signature names
	sig      Signature      // that strongest signature of the answering responder
	path     []*ResponderSpec
	pathConf map[*ResponderSpec]Confidence // how surely each path responder was recognised
	version  map[string]string
	hits     []hit
}

// identify matches every responder's signatures against an answer.
func (c *Catalogue) identify(a answer) attribution {
	at := attribution{version: map[string]string{}, pathConf: map[*ResponderSpec]Confidence{}}
	score := map[*ResponderSpec]int{}
	best := map[*ResponderSpec]Signature{}
	onPath := map[*ResponderSpec]bool{}
	for _, r := range c.responders {
		for _, s := range r.Signatures {
			seen, ok := s.matches(a)
			if !ok {
				continue
			}
			at.hits = append(at.hits, hit{r: r, sig: s, seen: seen})
			if v := versionIn(seen.Text, s.Match); v != "" && at.version[r.Name] == "" {
				at.version[r.Name] = v
			}
			if s.Proves == "path" {
				if weight(s.Confidence) > weight(at.pathConf[r]) {
					at.pathConf[r] = s.Confidence
				}
				if !onPath[r] && r.Role != RoleApp {
					onPath[r] = true
					at.path = append(at.path, r)
				}
				continue
			}
			score[r] += weight(s.Confidence)
			if b, ok := best[r]; !ok || weight(s.Confidence) > weight(b.Confidence) ||
				(weight(s.Confidence) == weight(b.Confidence) && b.Means == "" && s.Means != "") {
				best[r] = s
			}
		}
	}
	for _, r := range c.responders {
		if score[r] == 0 {
			continue
		}
		if at.answered == nil || score[r] > score[at.answered] {
			at.answered = r
		}
	}
	if at.answered != nil {
		s := best[at.answered]
		at.conf, at.means, at.sig = s.Confidence, s.Means, s
		if at.answered.Role != RoleApp && !onPath[at.answered] {
			at.path = append(at.path, at.answered)
		}
		if weight(at.conf) > weight(at.pathConf[at.answered]) {
			at.pathConf[at.answered] = at.conf
		}
	}
	return at
}

func weight(c Confidence) int {
	switch c {
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	}
	return 0
}

// matches tests a signature against an answer.
func (s Signature) matches(a answer) (Clue, bool) {
	if s.Status != 0 && s.Status != a.status {
		return Clue{}, false
	}
	if s.Path != "" && !strings.HasSuffix(a.path, strings.TrimSuffix(s.Path, "/")) {
		return Clue{}, false
	}
	if (s.HTTP == session.HTTP2) != a.h2 && s.HTTP != "" {
		return Clue{}, false
	}
	switch s.Where {
	case "header":
		for _, h := range a.headers {
			if strings.EqualFold(h.Name, s.Name) && strings.Contains(strings.ToLower(h.Value), s.Match) {
				return Clue{Kind: "header", Text: h.Name + ": " + h.Value, Means: s.Note}, true
			}
		}
	case "no-header":
		if _, ok := a.header(s.Name); !ok {
			return Clue{Kind: "header", Text: "no " + s.Name + " header", Means: s.Note}, true
		}
	case "body":
		m := normalize(s.Match)
		if s.Case {
			if flat := strings.Join(strings.Fields(a.rawBody), " "); s.exact == "" || !(flat == s.exact || !s.Whole && strings.Contains(flat, s.exact)) {
				return Clue{}, false
			}
		}
		if m != "" && (a.body == m || !s.Whole && (strings.Contains(a.body, m) || strings.Contains(a.compact, compact(m)))) {
			return Clue{Kind: "body", Text: "body: " + around(a.rawBody, s.Match, 120), Means: s.Note}, true
		}
	case "reason":
		if strings.Contains(strings.ToLower(a.reason), s.Match) {
			return Clue{Kind: "status", Text: a.statusLine, Means: s.Note}, true
		}
	case "h2-settings":
		return s.matchesSettings(a)
	case "only-headers":
		if len(a.headers) == 0 {
			return Clue{}, false
		}
		want := map[string]bool{}
		for _, n := range strings.Split(s.Name, ",") {
			want[strings.ToLower(strings.TrimSpace(n))] = true
		}
		got := map[string]bool{}
		names := make([]string, 0, len(a.headers))
		for _, h := range a.headers {
			got[strings.ToLower(h.Name)] = true
			names = append(names, h.Name)
		}
		if len(got) != len(want) {
			return Clue{}, false
		}
		for n := range got {
			if !want[n] {
				return Clue{}, false
			}
		}
		return Clue{Kind: "header", Text: "no header but " + strings.Join(names, ", "), Means: s.Note}, true
	case "last-headers":
		if a.h2 {
			return Clue{}, false
		}
		want := strings.Split(s.Name, ",")
		if len(a.headers) < len(want) {
			return Clue{}, false
		}
		tail := a.headers[len(a.headers)-len(want):]
		var lines []string
		for i, h := range tail {
			if h.Name != strings.TrimSpace(want[i]) {
				return Clue{}, false
			}
			lines = append(lines, h.Name+": "+h.Value)
		}
		return Clue{Kind: "header", Text: "last headers " + strings.Join(lines, ", "), Means: s.Note}, true
	case "lowercase-names":
		if _, hasServer := a.header("Server"); hasServer || len(a.headers) < 2 || a.h2 {
			return Clue{}, false
		}
		for _, h := range a.headers {
			if strings.ToLower(h.Name) != h.Name {
				return Clue{}, false
			}
		}
		names := make([]string, 0, len(a.headers))
		for _, h := range a.headers {
			names = append(names, h.Name)
		}
		return Clue{Kind: "header", Text: "header names " + excerpt(strings.Join(names, ", "), 80), Means: s.Note}, true
	}
	return Clue{}, false
}

// matchesSettings tests an "h2-settings" signature: the SETTINGS frame
// begins with the signature's settings, in order (all of it with Whole).
func (s Signature) matchesSettings(a answer) (Clue, bool) {
	want := strings.Fields(s.exact)
	if len(a.settings) == 0 || len(want) > len(a.settings) || (s.Whole && len(want) != len(a.settings)) {
		return Clue{}, false
	}
	for i, w := range want {
		name, value, hasValue := strings.Cut(w, "=")
		got := a.settings[i]
		if !strings.EqualFold(settingName(got), name) || (hasValue && strconv.FormatUint(uint64(got.Value), 10) != value) {
			return Clue{}, false
		}
	}
	return Clue{Kind: "h2", Text: "SETTINGS " + settingsText(a.settings), Means: s.Note}, true
}

// h2Server names the HTTP/2 server from its SETTINGS frame alone (any
// role: an app's own HTTP/2 server too): the strongest "h2-settings"
// signature that matches, with what was seen; nil when none does.
func (c *Catalogue) h2Server(info *session.H2Info) (*ResponderSpec, Clue, Confidence) {
	if info == nil || len(info.Settings) == 0 {
		return nil, Clue{}, ""
	}
	a := answer{h2: true, settings: info.Settings}
	var best *ResponderSpec
	var seen Clue
	var conf Confidence
	for _, r := range c.responders {
		for _, s := range r.Signatures {
			if s.Where != "h2-settings" {
				continue
			}
			if clue, ok := s.matchesSettings(a); ok && weight(s.Confidence) > weight(conf) {
				best, seen, conf = r, clue, s.Confidence
			}
		}
	}
	return best, seen, conf
}

// closeHit is a close-reason signature that matched a close frame.
type closeHit struct {
	r    *ResponderSpec
	sig  Signature
	seen Clue
}

// identifyClose matches the close-reason signatures against a close
// frame: an application protocol that closes with codes and reasons of its
// own names itself (graphql-ws: 4406 "Subprotocol not acceptable"). The
// strongest match wins; ok is false when none matched.
func (c *Catalogue) identifyClose(code int, reason string) (closeHit, bool) {
	var best closeHit
	found := false
	for _, r := range c.responders {
		for _, s := range r.Signatures {
			if s.Where != "close-reason" || (s.Code != 0 && s.Code != code) {
				continue
			}
			if !strings.Contains(strings.ToLower(reason), s.Match) {
				continue
			}
			if !found || weight(s.Confidence) > weight(best.sig.Confidence) {
				best = closeHit{r: r, sig: s, seen: Clue{Kind: "close", Text: fmt.Sprintf("close frame %d %q", code, reason), Means: s.Note}}
				found = true
			}
		}
	}
	return best, found
}

// versionIn finds "name/1.2.3" (or "Name/1.2") after the match in a header line.
func versionIn(text, match string) string {
	if match == "" {
		return ""
	}
	lower := strings.ToLower(text)
	for i := strings.Index(lower, match); i >= 0; {
		rest := text[i+len(match):]
		if strings.HasSuffix(match, "/") {
			rest = "/" + rest // the match ends at the slash: "websockets/"
		}
		if strings.HasPrefix(rest, "/") {
			v := strings.TrimLeftFunc(rest[1:], func(r rune) bool { return r == 'v' })
			end := strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) && r != '.' })
			if end < 0 {
				end = len(v)
			}
			if end > 0 {
				return strings.TrimRight(v[:end], ".")
			}
		}
		next := strings.Index(lower[i+len(match):], match)
		if next < 0 {
			break
		}
		i += len(match) + next
	}
	return ""
}

// around returns the body around the first case-insensitive occurrence of
// match, on one line, at most n runes.
func around(body, match string, n int) string {
	flat := strings.Join(strings.Fields(body), " ")
	i := strings.Index(strings.ToLower(flat), normalize(match))
	if i < 0 || len(flat) <= n {
		return excerpt(flat, n)
	}
	start := max(0, i-n/3)
	for start > 0 && !isRuneStart(flat[start]) {
		start--
	}
	out := excerpt(flat[start:], n)
	if start > 0 {
		out = "…" + out
	}
	return out
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// responderOf is the Finding form of a catalogue responder.
func (at attribution) responderOf(r *ResponderSpec) Responder {
	if r == nil {
		return Responder{}
	}
	return Responder{Role: r.Role, Name: r.Name, Version: at.version[r.Name]}
}

// pathResponders is the Finding form of the path.
func (at attribution) pathResponders() []Responder {
	var out []Responder
	for _, r := range at.path {
		out = append(out, at.responderOf(r))
	}
	return out
}

// proxy is the reverse proxy or CDN on the path other than skip (the one
// that did not forward something): the innermost named one.
func (at attribution) proxy(skip *ResponderSpec) *ResponderSpec {
	var found *ResponderSpec
	for _, r := range at.path {
		if r != skip && (r.Role == RoleReverseProxy || r.Role == RoleCDN) {
			found = r
			if r.Role == RoleReverseProxy {
				// A reverse proxy sits nearer the app than a CDN: prefer it.
				return found
			}
		}
	}
	return found
}

// clues lists the hits as evidence, the status first.
func (at attribution) clues(a answer) []Clue {
	out := []Clue{{Kind: "status", Text: a.statusLine}}
	seen := map[string]bool{a.statusLine: true}
	for _, h := range at.hits {
		if seen[h.seen.Text] {
			continue
		}
		seen[h.seen.Text] = true
		c := h.seen
		if c.Means == "" {
			c.Means = h.r.Display
		}
		out = append(out, c)
	}
	return out
}

// whoText names a responder for a sentence: "nginx", "the app (Rails ActionCable)".
func whoText(r *ResponderSpec) string {
	switch {
	case r == nil:
		return "the server"
	case r.Role == RoleApp:
		return "the app (" + r.Display + ")"
	}
	return r.Display
}

// statusText is "404 Not Found" for an answer.
func statusText(a answer) string {
	if a.reason != "" {
		return fmt.Sprintf("%d %s", a.status, a.reason)
	}
	if t := http.StatusText(a.status); t != "" {
		return fmt.Sprintf("%d %s", a.status, t)
	}
	return fmt.Sprint(a.status)
}
