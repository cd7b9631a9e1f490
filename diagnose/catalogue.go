package diagnose

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/BurntSushi/toml"
)

// The catalogue is data: findings.toml holds what every finding id means,
// how to confirm it and its generic fix; responders/*.toml hold one
// responder each (a proxy, a CDN or an app): how to recognise it, its
// settings and its fix lines per finding.
//
//go:embed findings.toml responders/*.toml
var catalogueFS embed.FS

// FindingText is the catalogue entry of one finding id.
type FindingText struct {
	ID       string   `toml:"-"`
	Severity Severity `toml:"severity"`
	Title    string   `toml:"title"`
	Meaning  string   `toml:"meaning"` // what it means, in a few sentences
	Confirm  string   `toml:"confirm"` // how to confirm it (the check that separates it from look-alikes)
	FixKey   string   `toml:"fix"`     // the key of the responders' [fix] table that fixes it
	Generic  string   `toml:"generic"` // the fix when the responder is not known (a template, like the responders' fixes)

	gen *template.Template
}

// GenericFix renders the generic fix with d.
func (t *FindingText) GenericFix(d FixData) string {
	var b bytes.Buffer
	if err := t.gen.Execute(&b, d); err != nil {
		return strings.TrimSpace(t.Generic)
	}
	return strings.TrimSpace(b.String())
}

// Signature is one way a responder gives itself away.
type Signature struct {
	// Where is what to look at: "header" (Name's value contains Match),
	// "body", "reason" (the status line's reason phrase), "lowercase-names"
	// (every response header name is lowercase), "no-header" (header Name
	// is absent), "close-reason" (a close frame's reason), "last-headers"
	// (the answer's last header names are Name's comma-separated names, in
	// that order and case: how a proxy that rebuilds them gives itself away),
	// "only-headers" (the answer's header names, pseudo-headers aside, are
	// exactly Name's comma-separated names, in any order and case),
	// "h2-settings" (the server's first HTTP/2 SETTINGS frame begins with
	// Match's space-separated settings, in that order: NAME or NAME=VALUE;
	// with Whole, it has no others). "lowercase-names" and "last-headers"
	// never match an HTTP/2 answer: HTTP/2 header names are lowercase by
	// the protocol and nobody rebuilds them.
	Where string `toml:"where"`
	Name  string `toml:"name"`
	Match string `toml:"match"` // case-insensitive substring; empty: presence
	// Whole: for "body", the whole body must be Match (white space aside),
	// not just contain it; for "h2-settings", the whole SETTINGS frame.
	Whole bool `toml:"whole"`
	// Case: for "body", match case-sensitively (Engine.IO's bare "Bad
	// request" is not Go's "Bad Request").
	Case bool `toml:"case"`
	// Status limits the signature to one response status (0: any).
	Status int `toml:"status"`
	// HTTP limits it to answers over one HTTP version: "1.1" or "2"
	// (empty: any; recordings made before HTTP/2 are 1.1).
	HTTP string `toml:"http"`
	// Code limits a close-reason signature to one close code (0: any).
	Code int `toml:"code"`
	// Path limits it to request paths ending so (e.g. "/cable").
	Path string `toml:"path"`
	// Proves is "answered" when this responder wrote the response (an
	// error page, a refusal body), "path" when it only shows the responder
	// was on the way (Via, a Server header a proxy sets on everything).
	Proves     string     `toml:"proves"`
	Confidence Confidence `toml:"confidence"`
	// Means is the finding id this answer signifies, when it says why
	// (Engine.IO code 1 means sticky-session-missing).
	Means string `toml:"means"`
	// Note says in words what the signature shows.
	Note string `toml:"note"`
	// Fix is the key of the responder's fix for this very answer, when it
	// has one of its own (Engine.IO code 5: use a v4 client or allowEIO3);
	// empty: the finding's fix key.
	Fix string `toml:"fix"`

	exact string // Match as written, for Case
}

// Settings are the responder's knobs the findings name.
type Settings struct {
	IdleSetting string `toml:"idle_setting"` // e.g. "proxy_read_timeout"
	IdleDefault string `toml:"idle_default"` // e.g. "60s"
	// IdleDefaultSeconds is the default idle timeout in seconds (0: none),
	// used to say whether a measured cut matches the default.
	IdleDefaultSeconds int `toml:"idle_default_seconds"`
	// IdleSlackSeconds is what the responder adds to its setting before it
	// cuts (lighttpd checks once a second: it cuts at N+1 s).
	IdleSlackSeconds int `toml:"idle_slack_seconds"`
	// IdleTypicalSeconds are values its sample configurations set
	// (HAProxy has no default, but 30 s and 50 s are everywhere).
	IdleTypicalSeconds []int `toml:"idle_typical_seconds"`
	// CloseOnReload names the close code it sends every WebSocket when its
	// configuration is reloaded (Caddy: 1001), 0 when it does not.
	CloseOnReload int `toml:"close_on_reload"`
}

// ResponderSpec is one responder's catalogue file.
type ResponderSpec struct {
	Name       string            `toml:"name"`
	Display    string            `toml:"display"`
	Role       Role              `toml:"role"`
	About      string            `toml:"about"`
	Settings   Settings          `toml:"settings"`
	Signatures []Signature       `toml:"signature"`
	Fix        map[string]string `toml:"fix"`

	tmpl map[string]*template.Template
}

// FixData fills a fix template.
type FixData struct {
	Seconds int    // the measured idle time, whole seconds
	Suggest string // a safer value for an idle setting, e.g. "3600s"
	Path    string // the request path, e.g. "/cable"
	Host    string // the URL's host name
	Port    string // the URL's port (default filled in)
	Target  string // host:port asked of a forward proxy
	// TargetPort is the port asked of a forward proxy.
	TargetPort string
	// SettingSeconds is the idle setting the measured cut implies (the
	// measured time less the responder's slack: lighttpd cuts at N+1 s).
	SettingSeconds int
	Origin         string // the Origin the page has (scheme://host[:port])
	Missing        string // what was missing (a header name, an issuer)
	Backend        string // the backend's host:port when known, else APP_HOST:APP_PORT
	Protocol       string // the subprotocol offered, e.g. "graphql-transport-ws"
}

// sampleData fills templates for Explain and the catalogue test.
func sampleData() FixData {
	return FixData{Seconds: 60, SettingSeconds: 60, Suggest: "3600s", Path: "/ws", Host: "app.example.com", Port: "443",
		Target: "app.example.com:8443", TargetPort: "8443", Origin: "https://app.example.com", Missing: "Upgrade",
		Backend: "APP_HOST:APP_PORT", Protocol: "graphql-transport-ws"}
}

// Catalogue is the parsed catalogue. It is immutable once loaded: the
// entries its methods return are shared and must not be modified.
type Catalogue struct {
	findings   map[string]*FindingText
	ids        []string
	responders []*ResponderSpec
	byName     map[string]*ResponderSpec
}

// loadCatalogue parses the embedded catalogue once.
var loadCatalogue = sync.OnceValues(func() (*Catalogue, error) { return parseCatalogue(catalogueFS) })

// Default returns the embedded catalogue. The embedded files are checked by
// the tests; a broken one panics here.
func Default() *Catalogue {
	c, err := loadCatalogue()
	if err != nil {
		panic("diagnose: embedded catalogue: " + err.Error())
	}
	return c
}

func parseCatalogue(fsys fs.FS) (*Catalogue, error) {
	c := &Catalogue{findings: map[string]*FindingText{}, byName: map[string]*ResponderSpec{}}
	raw, err := fs.ReadFile(fsys, "findings.toml")
	if err != nil {
		return nil, err
	}
	var texts map[string]*FindingText
	md, err := toml.Decode(string(raw), &texts)
	if err != nil {
		return nil, fmt.Errorf("findings.toml: %v", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("findings.toml: unknown keys %v", und)
	}
	for id, t := range texts {
		t.ID = id
		switch t.Severity {
		case Info, Warn, Error:
		default:
			return nil, fmt.Errorf("findings.toml: %s: severity %q is not info, warn or error", id, t.Severity)
		}
		if t.Title == "" || t.Meaning == "" || t.Generic == "" {
			return nil, fmt.Errorf("findings.toml: %s needs title, meaning and generic", id)
		}
		if t.gen, err = template.New(id).Option("missingkey=error").Parse(t.Generic); err != nil {
			return nil, fmt.Errorf("findings.toml: %s: generic: %v", id, err)
		}
		c.findings[id] = t
		c.ids = append(c.ids, id)
	}
	sort.Strings(c.ids)
	files, err := fs.Glob(fsys, "responders/*.toml")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	for _, f := range files {
		r, err := parseResponder(fsys, f)
		if err != nil {
			return nil, err
		}
		if c.byName[r.Name] != nil {
			return nil, fmt.Errorf("%s: responder %q defined twice", f, r.Name)
		}
		c.byName[r.Name] = r
		c.responders = append(c.responders, r)
	}
	return c, nil
}

func parseResponder(fsys fs.FS, file string) (*ResponderSpec, error) {
	raw, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	var r ResponderSpec
	md, err := toml.Decode(string(raw), &r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("%s: unknown keys %v", file, und)
	}
	if want := strings.TrimSuffix(path.Base(file), ".toml"); r.Name != want {
		return nil, fmt.Errorf("%s: name %q does not match the file name", file, r.Name)
	}
	switch r.Role {
	case RoleApp, RoleReverseProxy, RoleForwardProxy, RoleCDN, RoleNetwork:
	default:
		return nil, fmt.Errorf("%s: role %q is not one of app, reverse-proxy, forward-proxy, cdn, network", file, r.Role)
	}
	if r.Display == "" {
		r.Display = r.Name
	}
	for i, s := range r.Signatures {
		switch s.Where {
		case "header", "no-header", "last-headers", "only-headers":
			if s.Name == "" {
				return nil, fmt.Errorf("%s: signature %d: %s needs a name", file, i+1, s.Where)
			}
		case "body", "reason", "close-reason", "h2-settings":
			if s.Match == "" {
				return nil, fmt.Errorf("%s: signature %d: %s needs a match", file, i+1, s.Where)
			}
		case "lowercase-names":
		default:
			return nil, fmt.Errorf("%s: signature %d: where %q is unknown", file, i+1, s.Where)
		}
		switch s.HTTP {
		case "", "1.1", "2":
		default:
			return nil, fmt.Errorf("%s: signature %d: http %q is not 1.1 or 2", file, i+1, s.HTTP)
		}
		switch s.Proves {
		case "answered", "path":
		default:
			return nil, fmt.Errorf("%s: signature %d: proves %q is not answered or path", file, i+1, s.Proves)
		}
		switch s.Confidence {
		case High, Medium, Low:
		default:
			return nil, fmt.Errorf("%s: signature %d: confidence %q is not high, medium or low", file, i+1, s.Confidence)
		}
		r.Signatures[i].exact = strings.Join(strings.Fields(s.Match), " ")
		r.Signatures[i].Match = strings.ToLower(s.Match)
	}
	for i, s := range r.Signatures {
		if s.Fix != "" && r.Fix[s.Fix] == "" {
			return nil, fmt.Errorf("%s: signature %d: fix %q is not in its [fix] table", file, i+1, s.Fix)
		}
	}
	r.tmpl = map[string]*template.Template{}
	for key, text := range r.Fix {
		t, err := template.New(r.Name + "/" + key).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s: fix %s: %v", file, key, err)
		}
		r.tmpl[key] = t
	}
	return &r, nil
}

// IDs lists every finding id the catalogue explains, sorted.
func (c *Catalogue) IDs() []string { return append([]string(nil), c.ids...) }

// Finding returns the catalogue entry of a finding id.
func (c *Catalogue) Finding(id string) (*FindingText, bool) {
	t, ok := c.findings[id]
	return t, ok
}

// Responders lists every responder, in file-name order.
func (c *Catalogue) Responders() []*ResponderSpec {
	return append([]*ResponderSpec(nil), c.responders...)
}

// Responder returns a responder by its catalogue name.
func (c *Catalogue) Responder(name string) (*ResponderSpec, bool) {
	r, ok := c.byName[name]
	return r, ok
}

// HasFix reports whether the responder has a fix under key.
func (r *ResponderSpec) HasFix(key string) bool { _, ok := r.tmpl[key]; return ok }

// RenderFix renders the responder's fix under key; ok is false when it
// has none.
func (r *ResponderSpec) RenderFix(key string, d FixData) (string, bool) {
	t, ok := r.tmpl[key]
	if !ok {
		return "", false
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", false
	}
	return strings.TrimRight(b.String(), "\n"), true
}
