package cli

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the command and read
// from the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runServe starts `wscope serve args…` in process and returns its banner
// once it is out; the server stops when the test ends.
func runServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...),
			Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errOut.String())
		}
	})
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if s := out.String(); strings.Count(s, "\n") >= 3 {
			return s
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errOut.String())
		default:
		}
	}
	t.Fatalf("no banner: %q %q", out.String(), errOut.String())
	return ""
}

// tryLines are the banner's suggested commands, as arguments.
func tryLines(banner string) [][]string {
	var out [][]string
	for _, m := range regexp.MustCompile(`(?m)wscope (probe .*?)(?:   \(HTTP/1\.1\))?$`).FindAllStringSubmatch(banner, -1) {
		out = append(out, strings.Fields(m[1]))
	}
	return out
}

func TestServeH2BannerCommandsWork(t *testing.T) {
	banner := runServe(t, "--h2")
	if !strings.Contains(banner, "HTTP/2 and HTTP/1.1 over TLS") || !strings.Contains(banner, "certificate: ") {
		t.Fatalf("banner:\n%s", banner)
	}
	file := regexp.MustCompile(`certificate: (\S+)`).FindStringSubmatch(banner)[1]
	if data, err := os.ReadFile(file); err != nil || !bytes.Contains(data, []byte("BEGIN CERTIFICATE")) || bytes.Contains(data, []byte("PRIVATE")) {
		t.Fatalf("certificate file %s: %v\n%s", file, err, data)
	}
	tries := tryLines(banner)
	if len(tries) != 2 {
		t.Fatalf("try lines %q in\n%s", tries, banner)
	}
	for i, want := range []string{"HTTP/2 200", "HTTP/1.1 101"} {
		args := append(tries[i], "--count", "1")
		code, out, errOut := run(t, nil, args...)
		if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "hello") {
			t.Errorf("%v: exit %d, want %q:\n%s%s", args, code, want, out, errOut)
		}
	}
}

func TestServeH2CBannerCommandsWork(t *testing.T) {
	banner := runServe(t, "--h2c")
	if strings.Contains(banner, "certificate") || !strings.Contains(banner, "h2c") {
		t.Fatalf("banner:\n%s", banner)
	}
	for i, want := range []string{"HTTP/2 200", "HTTP/1.1 101"} {
		args := append(tryLines(banner)[i], "--count", "1")
		code, out, errOut := run(t, nil, args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("%v: exit %d, want %q:\n%s%s", args, code, want, out, errOut)
		}
	}
}

func TestServeH2FlagErrors(t *testing.T) {
	code, _, errOut := run(t, nil, "serve", "--addr", "127.0.0.1:0", "--h2", "--h2c")
	if code != 1 || !strings.Contains(errOut, "pick one") {
		t.Fatalf("--h2 --h2c: exit %d %q", code, errOut)
	}
}
