package diagnose

import (
	"strings"
	"testing"
	"testing/fstest"
)

// Every responder issue 12 names exists in the catalogue with its role.
func TestCatalogueHasEveryResponder(t *testing.T) {
	c := Default()
	want := map[string]Role{
		"nginx": RoleReverseProxy, "haproxy": RoleReverseProxy, "apache": RoleReverseProxy, "caddy": RoleReverseProxy,
		"traefik": RoleReverseProxy, "envoy": RoleReverseProxy, "lighttpd": RoleReverseProxy, "varnish": RoleReverseProxy,
		"h2o": RoleReverseProxy, "ingress-nginx": RoleReverseProxy,
		"squid": RoleForwardProxy, "tinyproxy": RoleForwardProxy, "privoxy": RoleForwardProxy, "dante": RoleForwardProxy,
		"cloudflare": RoleCDN, "aws-alb": RoleCDN,
		"rails": RoleApp, "engine.io": RoleApp, "ws": RoleApp, "odoo": RoleApp, "tornado": RoleApp, "gorilla": RoleApp,
		"phoenix": RoleApp, "spring": RoleApp, "aspnet": RoleApp,
	}
	for name, role := range want {
		r, ok := c.Responder(name)
		if !ok {
			t.Errorf("responder %s is missing", name)
			continue
		}
		if r.Role != role {
			t.Errorf("%s: role %s, want %s", name, r.Role, role)
		}
	}
	// Every proxy and CDN has fixes for what it can cause.
	for _, r := range c.Responders() {
		var keys []string
		switch r.Role {
		case RoleReverseProxy:
			keys = []string{"upgrade", "idle-timeout", "unreachable", "forwarded-proto", "sticky"}
		case RoleForwardProxy:
			keys = []string{"deny", "auth", "unreachable"}
		case RoleCDN:
			keys = []string{"upgrade", "idle-timeout", "unreachable", "forwarded-proto"}
		}
		for _, k := range keys {
			if !r.HasFix(k) && !(r.Name == "cloudflare" && k == "sticky") {
				t.Errorf("%s has no %q fix", r.Name, k)
			}
		}
	}
}

// Every template renders with every field set, and says something.
func TestEveryTemplateRenders(t *testing.T) {
	c := Default()
	fixKeys := map[string]bool{}
	for _, id := range c.IDs() {
		f, _ := c.Finding(id)
		if f.FixKey != "" {
			fixKeys[f.FixKey] = true
		}
		if g := f.GenericFix(sampleData()); g == "" || strings.Contains(g, "<no value>") {
			t.Errorf("%s: generic fix renders as %q", id, g)
		}
	}
	for _, r := range c.Responders() {
		own := map[string]bool{} // keys its signatures name for their own answer
		for _, s := range r.Signatures {
			own[s.Fix] = s.Fix != ""
		}
		for key := range r.Fix {
			if !fixKeys[key] && !own[key] {
				t.Errorf("%s: fix %q is used by no finding", r.Name, key)
			}
			s, ok := r.RenderFix(key, sampleData())
			if !ok || strings.TrimSpace(s) == "" || strings.Contains(s, "<no value>") {
				t.Errorf("%s: fix %q does not render: %q", r.Name, key, s)
			}
		}
		if r.About == "" {
			t.Errorf("%s: no about", r.Name)
		}
	}
}

// The loader refuses what would silently never match.
func TestCatalogueRejectsBadFiles(t *testing.T) {
	good := "[x]\nseverity = \"error\"\ntitle = \"t\"\nmeaning = \"m\"\ngeneric = \"g\"\n"
	cases := map[string]string{
		"unknown key":       "name = \"a\"\nrole = \"app\"\ncolour = \"red\"\n",
		"bad role":          "name = \"a\"\nrole = \"proxy\"\n",
		"name not the file": "name = \"b\"\nrole = \"app\"\n",
		"bad where":         "name = \"a\"\nrole = \"app\"\n[[signature]]\nwhere = \"footer\"\nmatch = \"x\"\nproves = \"path\"\nconfidence = \"high\"\n",
		"bad proves":        "name = \"a\"\nrole = \"app\"\n[[signature]]\nwhere = \"body\"\nmatch = \"x\"\nproves = \"maybe\"\nconfidence = \"high\"\n",
		"header no name":    "name = \"a\"\nrole = \"app\"\n[[signature]]\nwhere = \"header\"\nproves = \"path\"\nconfidence = \"high\"\n",
		"bad template":      "name = \"a\"\nrole = \"app\"\n[fix]\norigin = \"{{.Nope\"\n",
	}
	for name, file := range cases {
		fsys := fstest.MapFS{"findings.toml": {Data: []byte(good)}, "responders/a.toml": {Data: []byte(file)}}
		if _, err := parseCatalogue(fsys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	fsys := fstest.MapFS{"findings.toml": {Data: []byte(good)}, "responders/a.toml": {Data: []byte("name = \"a\"\nrole = \"app\"\n")}}
	if _, err := parseCatalogue(fsys); err != nil {
		t.Errorf("minimal catalogue refused: %v", err)
	}
	bad := fstest.MapFS{"findings.toml": {Data: []byte("[x]\nseverity = \"fatal\"\ntitle = \"t\"\nmeaning = \"m\"\ngeneric = \"g\"\n")}}
	if _, err := parseCatalogue(bad); err == nil {
		t.Error("severity fatal accepted")
	}
}
