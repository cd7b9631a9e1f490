package realproxy

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Apache starts Apache httpd (mod_proxy, mod_proxy_http,
// mod_proxy_wstunnel) in the foreground with a configuration template. The
// template must Listen on 127.0.0.1:{{.Port}} and keep its files in
// {{.Dir}}; modules load from {{.Extra.modules}} (Debian's directory unless
// the test sets it).
func Apache(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "apache2", "apache2")
	// Its workers run as www-data.
	p := Params{Port: FreePort(t), Dir: PublicDir(t), Extra: withDefault(extra, "modules", "/usr/lib/apache2/modules")}
	conf := render(t, tmpl, p, "httpd.conf")
	return start(t, p.Dir, p.Port, bin, "-f", conf, "-DFOREGROUND")
}

// Caddy starts `caddy run` with a Caddyfile template; {{.AdminPort}} is
// for its admin API (`admin 127.0.0.1:{{.AdminPort}}`), which Reload uses.
func Caddy(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "caddy", "caddy")
	ports := FreePorts(t, 2)
	p := Params{Port: ports[0], AdminPort: ports[1], Dir: t.TempDir(), Extra: extra}
	conf := render(t, tmpl, p, "Caddyfile")
	px := Start(t, Command{Dir: p.Dir, Port: p.Port, Name: bin,
		Args: []string{"run", "--config", conf, "--adapter", "caddyfile"},
		// Caddy keeps its state under HOME and the XDG directories.
		Env: []string{"HOME=" + p.Dir, "XDG_DATA_HOME=" + p.Dir, "XDG_CONFIG_HOME=" + p.Dir}})
	px.Admin = fmt.Sprintf("127.0.0.1:%d", p.AdminPort)
	px.params = p
	return px
}

// CaddyReload renders tmpl again with the proxy's ports and directory and
// extra, and loads it through Caddy's admin API (POST /load), which is what
// `caddy reload` does: Caddy swaps its configuration and closes the
// streams it proxies.
func (p *Proxy) CaddyReload(t *testing.T, tmpl string, extra map[string]string) error {
	t.Helper()
	params := p.params
	params.Extra = extra
	path := render(t, tmpl, params, "Caddyfile.reload")
	caddyfile, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+p.Admin+"/load", bytes.NewReader(caddyfile))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/caddyfile")
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return fmt.Errorf("caddy /load: %s %s", res.Status, b.String())
	}
	return nil
}

// Lighttpd starts lighttpd in the foreground (-D) with a configuration
// template binding 127.0.0.1:{{.Port}}.
func Lighttpd(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "lighttpd", "lighttpd")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	conf := render(t, tmpl, p, "lighttpd.conf")
	return start(t, p.Dir, p.Port, bin, "-D", "-f", conf)
}

// Varnish starts varnishd in the foreground with a VCL template on
// 127.0.0.1, its working directory (-n) in a temporary directory, no
// management port, and the runtime parameters given as "name=value"
// (pipe_timeout=2).
func Varnish(t *testing.T, vcl string, extra map[string]string, params ...string) *Proxy {
	t.Helper()
	bin := need(t, "varnishd", "varnish")
	// varnishd compiles the VCL as its own user.
	p := Params{Port: FreePort(t), Dir: PublicDir(t), Extra: extra}
	conf := render(t, vcl, p, "default.vcl")
	args := []string{"-F", "-a", fmt.Sprintf("127.0.0.1:%d", p.Port), "-f", conf,
		"-n", filepath.Join(p.Dir, "n"), "-T", "none", "-s", "malloc,16m"}
	for _, kv := range params {
		args = append(args, "-p", kv)
	}
	// varnishd compiles the VCL with cc before listening: a few seconds.
	return start(t, p.Dir, p.Port, bin, args...)
}

// H2O starts h2o with a YAML configuration template listening on
// 127.0.0.1:{{.Port}}.
func H2O(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "h2o", "h2o")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	conf := render(t, tmpl, p, "h2o.conf")
	return start(t, p.Dir, p.Port, bin, "-c", conf)
}

func withDefault(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}
