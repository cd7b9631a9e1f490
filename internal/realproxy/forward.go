package realproxy

import (
	"os"
	"path/filepath"
	"testing"
)

// Tinyproxy starts tinyproxy in the foreground (-d) with a configuration
// template (Port {{.Port}}, Listen 127.0.0.1).
func Tinyproxy(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "tinyproxy", "tinyproxy")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	conf := render(t, tmpl, p, "tinyproxy.conf")
	return start(t, p.Dir, p.Port, bin, "-d", "-c", conf)
}

// Privoxy starts privoxy in the foreground with a configuration template
// (listen-address 127.0.0.1:{{.Port}}, confdir {{.Dir}}) and actions
// written to {{.Dir}}/wscope.action.
func Privoxy(t *testing.T, tmpl, actions string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "privoxy", "privoxy")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	if err := os.WriteFile(filepath.Join(p.Dir, "wscope.action"), []byte(actions), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := render(t, tmpl, p, "privoxy.conf")
	return start(t, p.Dir, p.Port, bin, "--no-daemon", conf)
}

// Dante starts the dante SOCKS server (danted) with a configuration
// template (internal: 127.0.0.1 port = {{.Port}}).
func Dante(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "danted", "dante-server")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	conf := render(t, tmpl, p, "danted.conf")
	return start(t, p.Dir, p.Port, bin, "-f", conf, "-N", "1")
}
