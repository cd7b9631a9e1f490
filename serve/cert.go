package serve

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// certValidity is how long a generated certificate is valid: it is made
// anew at every start.
const certValidity = 30 * 24 * time.Hour

// certHosts are the names a generated certificate is for: loopback, and
// the host serve listens on when it names one.
func certHosts(addr string) []string {
	hosts := []string{"127.0.0.1", "::1", "localhost"}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return hosts
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return hosts // all interfaces: no one name
	}
	if !slices.ContainsFunc(hosts, func(h string) bool { return strings.EqualFold(h, host) }) {
		hosts = append(hosts, host)
	}
	return hosts
}

// selfSigned makes a certificate for hosts (IP addresses or DNS names)
// with a fresh P-256 key that never leaves memory; certPEM is the
// certificate alone, what a client trusts (--cacert).
func selfSigned(hosts []string) (cert tls.Certificate, certPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return cert, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "wscope serve (self-signed)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert, nil, err
	}
	cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// writeCert writes a generated certificate's PEM (not its key) to path,
// or, when path is empty, to cert.pem in a new private temporary
// directory; dir is that directory, for Close to remove.
func writeCert(path string, certPEM []byte) (file, dir string, err error) {
	if path == "" {
		dir, err = os.MkdirTemp("", "wscope-serve-")
		if err != nil {
			return "", "", fmt.Errorf("certificate: %s", oneLine(err))
		}
		path = filepath.Join(dir, "cert.pem")
	}
	if err := os.WriteFile(path, certPEM, 0o644); err != nil {
		if dir != "" {
			os.RemoveAll(dir)
		}
		return "", "", fmt.Errorf("certificate: %s", oneLine(err))
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return path, dir, nil
}
