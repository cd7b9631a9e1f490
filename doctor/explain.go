package doctor

import "strings"

// The finding ids only the doctor makes, beyond the diagnosis catalogue's.
var ownFindings = map[string]string{
	"connection-failed": `connection-failed (error): No WebSocket handshake took place

What it means
  wscope could not get as far as an HTTP answer: the name did not resolve,
  the port refused or did not answer, a forward proxy or the TLS handshake
  failed before the upgrade request was sent. The doctor reports it when
  the probe's error has no more specific finding.

How to confirm
  Run wscope probe URL and read the error line and its hint; try the same
  host and port with curl -v, and from another network.

Fix
  Check the host name, the port and the network path: firewalls, DNS,
  HTTP_PROXY/HTTPS_PROXY/NO_PROXY (or --proxy, --no-proxy), and that the
  server listens on that address.
`,
}

// Explain returns the full text of a finding id that only the doctor
// makes; the catalogue in package diagnose explains every other id.
func Explain(id string) (string, bool) {
	t, ok := ownFindings[strings.TrimSpace(id)]
	return t, ok
}

// IDs lists the finding ids only the doctor makes.
func IDs() []string { return []string{"connection-failed"} }
