// Package realproxy starts real proxies from the machine's packages on
// 127.0.0.1 for tests — reverse proxies (nginx, HAProxy, Apache, Caddy,
// lighttpd, varnish, h2o) and forward proxies (squid, tinyproxy, privoxy,
// dante, microsocks) — each with its own configuration in a temporary
// directory and in its own process group, killed when the test ends.
//
// A missing binary skips the test with the Debian package to install, or
// fails it when CI is set (CI installs every package, see .ci/run).
package realproxy

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"
)

// Proxy is a running proxy process.
type Proxy struct {
	Addr   string // 127.0.0.1:port it listens on
	Dir    string // its working directory (config, logs)
	Admin  string // 127.0.0.1:port of its admin API (Caddy), else ""
	cmd    *exec.Cmd
	params Params
	out    *syncBuffer
}

// Params fill a configuration template: {{.Port}}, {{.Dir}}, {{.AdminPort}}
// (a second free port, for Caddy's admin API) and whatever the test adds in
// Extra ({{.Extra.upstream}}).
type Params struct {
	Port      int
	AdminPort int
	Dir       string
	Extra     map[string]string
}

// InCI reports whether the tests run in CI (CI=true, as .ci/run and most
// CI services set it), where every package is installed and a missing one
// is a failure, not a skip.
func InCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "0" && v != "false"
}

// Need returns the path of binary, looked up in PATH, /usr/sbin and
// /usr/bin. When it is missing the test is skipped naming the Debian
// package, or fails in CI.
func Need(t testing.TB, binary, pkg string) string {
	t.Helper()
	for _, dir := range []string{"", "/usr/sbin/", "/usr/bin/"} {
		if p, err := exec.LookPath(dir + binary); err == nil {
			return p
		}
	}
	Missing(t, fmt.Sprintf("%s is not installed (Debian package: %s)", binary, pkg))
	return ""
}

// Missing skips the test with why (outside CI) or fails it (in CI).
func Missing(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s; CI must install it (.ci/run)", why)
	}
	t.Skipf("%s; .ci/run installs it", why)
}

func need(t *testing.T, binary, pkg string) string {
	t.Helper()
	return Need(t, binary, pkg)
}

// syncBuffer is a bytes.Buffer safe for a process's output and a test
// reading it at the same time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close() // held until all are chosen, so they differ
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// PublicDir is a temporary directory that a proxy's unprivileged workers
// can read (t.TempDir's parent is private to the user running the test):
// varnish compiles its VCL as its own user, Apache's workers run as
// www-data. It is removed when the test ends.
func PublicDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wscope-proxy-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
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
	return Start(t, Command{Dir: dir, Port: port, Name: name, Args: args})
}

// Command is a process for Start.
type Command struct {
	Dir  string   // working directory
	Port int      // it is ready when 127.0.0.1:Port accepts connections
	Env  []string // added to the test's environment
	Name string   // the binary
	Args []string
	// Ready, when set, also waits for this text in the output.
	Ready string
}

// Start runs c in its own process group, waits (up to 30 s, the machine
// may be loaded) until it listens on 127.0.0.1:c.Port, and kills the group
// when the test ends. It fails the test when the process exits first.
func Start(t testing.TB, c Command) *Proxy {
	t.Helper()
	dir, port, name, args := c.Dir, c.Port, c.Name, c.Args
	p := &Proxy{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, out: &syncBuffer{}}
	p.cmd = exec.Command(name, args...)
	p.cmd.Dir = dir
	if len(c.Env) > 0 {
		p.cmd.Env = append(os.Environ(), c.Env...)
	}
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
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("%s exited at start: %v\n%s", filepath.Base(name), err, p.out)
		default:
		}
		if conn, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond); err == nil {
			conn.Close()
			if c.Ready == "" || strings.Contains(p.out.String(), c.Ready) {
				return p
			}
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

// File returns a file of the proxy's directory, for failure messages.
func (p *Proxy) File(name string) string {
	data, _ := os.ReadFile(filepath.Join(p.Dir, name))
	return strings.TrimSpace(string(data))
}

// Template reads a configuration template from the calling test's
// testdata folder.
func Template(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
