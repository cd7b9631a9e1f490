package diagnose

// Finding is one diagnosis: what was seen, who answered, and what to do
// about it. ID, Severity, Title, Detail and Fix are always set; the
// attribution fields are set by the engine's own rules (a protocol
// finding may leave them empty).
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail"` // the evidence in one paragraph
	Fix      string   `json:"fix"`    // what to change: only the responder's fix when it is known

	// Responder is who answered (wrote the refusal, cut the connection);
	// zero when nothing could be attributed.
	Responder Responder `json:"responder,omitzero"`
	// Path lists the proxies and CDNs seen on the way (Server, Via,
	// X-Cache, cf-ray…), nearest to the app last; the responder may be one.
	Path []Responder `json:"path,omitempty"`
	// Evidence is each clue that proves the attribution and the cause.
	Evidence []Clue `json:"evidence,omitempty"`
	// Confidence in the cause and its attribution.
	Confidence Confidence `json:"confidence,omitempty"`
	// Alternatives are other causes the evidence fits, most likely first;
	// when there are any, Check says the one test that separates them.
	Alternatives []Alternative `json:"alternatives,omitempty"`
	Check        string        `json:"check,omitempty"`
}

// Role is the kind of responder that produced an answer.
type Role string

// Roles. A finding's responder is the party whose answer the finding is
// about: the application, a reverse proxy in front of it, a forward proxy
// wscope went through, a CDN or cloud load balancer, or the network itself
// (nothing answered: a timeout, a reset).
const (
	RoleApp          Role = "app"
	RoleReverseProxy Role = "reverse-proxy"
	RoleForwardProxy Role = "forward-proxy"
	RoleCDN          Role = "cdn"
	RoleNetwork      Role = "network"
)

// Confidence says how sure the attribution and the cause are.
type Confidence string

// Confidences: high when the responder named itself and the cause has a
// signature of its own (an error page, a JSON error code); medium when a
// header names the responder but the cause is inferred; low when the
// answer matches no signature and the finding is a guess from defaults.
const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// Responder is who answered: its role and its catalogue name (lowercase,
// e.g. "nginx", "haproxy", "rails", "engine.io"; see Responders).
type Responder struct {
	Role    Role   `json:"role"`
	Name    string `json:"name"`
	Version string `json:"version,omitempty"` // from Server or Via, when it says
}

// Clue is one piece of evidence behind a finding.
type Clue struct {
	// Kind is what was looked at: "status", "header", "body", "request",
	// "timing", "frame", "close", "proxy-reply", "tls", "related" (another
	// answer of the same address), "h2" (HTTP/2 frames: SETTINGS,
	// RST_STREAM, GOAWAY), "other-http" (the same URL over the other HTTP
	// version).
	Kind string `json:"kind"`
	// Text is what was seen, e.g. "Server: nginx/1.22.1" or
	// "body: {\"code\":1,\"message\":\"Session ID unknown\"}".
	Text string `json:"text"`
	// Means is what it proves, e.g. "nginx answered, not the app".
	Means string `json:"means,omitempty"`
}

// Alternative is another cause the same evidence fits, ranked below the
// finding's own cause.
type Alternative struct {
	ID    string `json:"id"`    // the finding id that cause would have
	Title string `json:"title"` // the cause in one line
	Fix   string `json:"fix,omitempty"`
}

// MapText replaces every human text of the finding with fn of it: the
// title, detail, fix and check, each clue's text and meaning, each
// alternative's title and fix. Front ends redact with it (credentials in
// the URLs a check quotes). The Evidence and Alternatives slices are
// copied first, so a finding copied from another does not change the
// other's.
func (f *Finding) MapText(fn func(string) string) {
	f.Title, f.Detail, f.Fix, f.Check = fn(f.Title), fn(f.Detail), fn(f.Fix), fn(f.Check)
	if f.Evidence != nil {
		clues := make([]Clue, len(f.Evidence))
		for i, c := range f.Evidence {
			c.Text, c.Means = fn(c.Text), fn(c.Means)
			clues[i] = c
		}
		f.Evidence = clues
	}
	if f.Alternatives != nil {
		alts := make([]Alternative, len(f.Alternatives))
		for i, a := range f.Alternatives {
			a.Title, a.Fix = fn(a.Title), fn(a.Fix)
			alts[i] = a
		}
		f.Alternatives = alts
	}
}
