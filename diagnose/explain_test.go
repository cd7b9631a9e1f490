package diagnose

import (
	"strings"
	"testing"
)

func TestExplainKnowsEveryID(t *testing.T) {
	for _, id := range IDs() {
		text, ok := Explain(id)
		if !ok || !strings.HasPrefix(text, id+" (") || !strings.Contains(text, "What it means") {
			t.Errorf("Explain(%q) = %q, %v", id, text, ok)
		}
	}
	if _, ok := Explain("no-such-finding"); ok {
		t.Error("Explain of an unknown id succeeded")
	}
	text, _ := Explain("upgrade-rejected")
	if !strings.Contains(text, "proxy_set_header Upgrade $http_upgrade") {
		t.Errorf("upgrade-rejected lacks nginx's fix:\n%s", text)
	}
}
