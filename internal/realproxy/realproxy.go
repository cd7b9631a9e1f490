// Package realproxy starts real proxies from the machine's packages —
// nginx, HAProxy, squid and microsocks — on 127.0.0.1 for tests, each with
// its own configuration in a temporary directory, and stops them when the
// test ends. A test on a machine without the package is skipped with a
// message naming the Debian package to install.
package realproxy

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// Proxy is a running proxy process.
type Proxy struct {
	Addr string // 127.0.0.1:port it listens on
	Dir  string // its working directory (config, logs)
	cmd  *exec.Cmd
	out  *bytes.Buffer
}

// Params fill a configuration template: {{.Port}}, {{.Dir}}, and
// whatever the test adds in Extra ({{.Extra.upstream}}).
type Params struct {
	Port  int
	Dir   string
	Extra map[string]string
}

// need skips the test when binary is not installed.
func need(t *testing.T, binary, pkg string) string {
	t.Helper()
	for _, dir := range []string{"", "/usr/sbin/", "/usr/bin/"} {
		if p, err := exec.LookPath(dir + binary); err == nil {
			return p
		}
	}
	t.Skipf("%s is not installed (Debian package: %s); .ci/run installs it", binary, pkg)
	return ""
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// render writes the template with params into dir/name.
func render(t *testing.T, tmpl string, p Params, name string) string {
	t.Helper()
	tp, err := template.New(name).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tp.Execute(&b, p); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(p.Dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// start runs the command and waits until it listens on port.
func start(t *testing.T, dir string, port int, name string, args ...string) *Proxy {
	t.Helper()
	p := &Proxy{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, out: &bytes.Buffer{}}
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	// Its own process group, so the workers (nginx) and helpers (squid)
	// die with it.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("%s exited at start: %v\n%s", filepath.Base(name), err, p.out)
		default:
		}
		if c, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			return p
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never listened on %s:\n%s", filepath.Base(name), p.Addr, p.out)
	return nil
}

// Output is what the proxy printed (for failure messages).
func (p *Proxy) Output() string { return p.out.String() }

// Nginx starts nginx with a configuration template (see testdata). The
// template must listen on 127.0.0.1:{{.Port}} and keep its files in {{.Dir}}.
func Nginx(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "nginx", "nginx-light")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	conf := render(t, tmpl, p, "nginx.conf")
	return start(t, p.Dir, p.Port, bin, "-p", p.Dir, "-c", conf, "-e", filepath.Join(p.Dir, "error.log"))
}

// HAProxy starts haproxy in the foreground with a configuration template.
func HAProxy(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "haproxy", "haproxy")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	conf := render(t, tmpl, p, "haproxy.cfg")
	return start(t, p.Dir, p.Port, bin, "-db", "-f", conf)
}

// Squid starts squid in the foreground with a configuration template.
func Squid(t *testing.T, tmpl string, extra map[string]string) *Proxy {
	t.Helper()
	bin := need(t, "squid", "squid")
	p := Params{Port: FreePort(t), Dir: t.TempDir(), Extra: extra}
	// Squid drops root privileges to its own user, which must be able to
	// write its files here.
	os.Chmod(p.Dir, 0o777)
	conf := render(t, tmpl, p, "squid.conf")
	return start(t, p.Dir, p.Port, bin, "-N", "-f", conf)
}

// Microsocks starts the microsocks SOCKS5 server; user and pass may be empty.
func Microsocks(t *testing.T, user, pass string) *Proxy {
	t.Helper()
	bin := need(t, "microsocks", "microsocks")
	port := FreePort(t)
	args := []string{"-i", "127.0.0.1", "-p", fmt.Sprint(port)}
	if user != "" {
		args = append(args, "-u", user, "-P", pass)
	}
	return start(t, t.TempDir(), port, bin, args...)
}

// Lines returns a file of the proxy's directory, for failure messages.
func (p *Proxy) File(name string) string {
	data, _ := os.ReadFile(filepath.Join(p.Dir, name))
	return strings.TrimSpace(string(data))
}
