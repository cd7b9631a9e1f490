package doctor

import (
	"strings"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
)

// proxyOnPath is the one reverse proxy or CDN the browser probe's answer
// shows — from the diagnosis's own attribution when it made one, else from
// the catalogue's header and body signatures — or nil when none or several.
func proxyOnPath(r *probe.Report) *diagnose.ResponderSpec {
	cat := diagnose.Default()
	proxyRole := func(role diagnose.Role) bool { return role == diagnose.RoleReverseProxy || role == diagnose.RoleCDN }
	for _, f := range r.Findings {
		for _, p := range append([]diagnose.Responder{f.Responder}, f.Path...) {
			if proxyRole(p.Role) {
				if spec, ok := cat.Responder(p.Name); ok {
					return spec
				}
			}
		}
	}
	if r.Response == nil {
		return nil
	}
	var found *diagnose.ResponderSpec
	for _, spec := range cat.Responders() {
		if !proxyRole(spec.Role) || !matches(spec, r) {
			continue
		}
		if found != nil {
			return nil // two candidates: do not guess
		}
		found = spec
	}
	return found
}

// matches reports whether one of spec's header or body signatures fits
// the response.
func matches(spec *diagnose.ResponderSpec, r *probe.Report) bool {
	for _, sig := range spec.Signatures {
		if sig.Status != 0 && sig.Status != r.Status {
			continue
		}
		switch sig.Where {
		case "header":
			if v, ok := header(r.Response.Headers, sig.Name); ok && strings.Contains(strings.ToLower(v), sig.Match) {
				return true
			}
		case "body":
			if strings.Contains(strings.ToLower(r.Response.Body), sig.Match) {
				return true
			}
		}
	}
	return false
}

func header(hs []session.Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// fixData fills the catalogue's fix templates for this URL.
func (a *analyzer) fixData() diagnose.FixData {
	port := a.b.url.Port()
	if port == "" {
		port = map[string]string{"ws": "80", "wss": "443"}[a.b.url.Scheme]
	}
	backend := a.b.direct
	if backend == "" {
		backend = "APP-HOST:PORT"
	}
	return diagnose.FixData{Path: a.b.url.Path, Host: a.b.url.Hostname(), Port: port, Origin: a.b.origin, Backend: backend,
		Seconds: int(a.b.opts.Idle.Seconds()), Suggest: "3600s"}
}

// fix is the fix for finding id: the proxy's own lines under key when the
// proxy on the path is known and has them, else fallback, else the
// catalogue's generic fix.
func (a *analyzer) fix(id, key, fallback string) string {
	d := a.fixData()
	if p := a.proxy; p != nil && key != "" {
		if s, ok := p.RenderFix(key, d); ok {
			return strings.TrimSpace(s)
		}
	}
	if fallback != "" {
		return fallback
	}
	if t, ok := diagnose.Default().Finding(id); ok {
		return t.GenericFix(d)
	}
	return ""
}

// appResponder and proxyResponder attribute a cause.
func appResponder() diagnose.Responder { return diagnose.Responder{Role: diagnose.RoleApp} }

func (a *analyzer) proxyResponder() diagnose.Responder {
	if a.proxy != nil {
		return diagnose.Responder{Role: a.proxy.Role, Name: a.proxy.Name}
	}
	return diagnose.Responder{Role: diagnose.RoleReverseProxy}
}
