package compare

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wscope/wscope/capture"
	"github.com/wscope/wscope/flow"
	"github.com/wscope/wscope/probe"
	"github.com/wscope/wscope/session"
)

// A token in either URL appears nowhere in the comparison, though the
// findings' checks quote the URLs and the sides' Set-Cookie headers differ.
func TestCompareRedactsFindingsAndDiffs(t *testing.T) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad-request" {
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "c00k1e"})
			http.Error(w, "Bad Request", http.StatusBadRequest)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.ReadMessage()
	}))
	t.Cleanup(s.Close)
	base := "ws" + strings.TrimPrefix(s.URL, "http")
	side := func(path string) probe.Options {
		return probe.Options{Session: session.Config{URL: base + path + "?token=s3cr3t&room=1", Timeout: 5 * time.Second},
			Options: flow.Options{Redact: capture.NewRedactor(nil, false), Script: flow.Script{Wait: 100 * time.Millisecond}}}
	}
	res := Run(context.Background(), side("/echo"), side("/bad-request"))
	if len(res.B.Findings) == 0 {
		t.Fatal("side B has no finding")
	}
	var text, js bytes.Buffer
	res.WriteText(&text, "A", "B")
	res.WriteJSON(&js)
	for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
		for _, secret := range []string{"s3cr3t", "c00k1e"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s: %s is shown:\n%s", name, secret, out)
			}
		}
		if name == "json" && !strings.Contains(out, "room=1") {
			t.Errorf("%s: too much hidden:\n%s", name, out)
		}
	}
}
