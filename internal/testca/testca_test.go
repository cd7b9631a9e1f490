package testca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func newCA(t *testing.T) *CA {
	t.Helper()
	ca, err := New("wscope test root")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func verify(c *x509.Certificate, roots *x509.CertPool, name string, usage x509.ExtKeyUsage) error {
	_, err := c.Verify(x509.VerifyOptions{
		Roots:     roots,
		DNSName:   name,
		KeyUsages: []x509.ExtKeyUsage{usage},
	})
	return err
}

func TestNew(t *testing.T) {
	ca := newCA(t)
	if !ca.Cert.IsCA || ca.Cert.Subject.CommonName != "wscope test root" {
		t.Fatalf("CA cert: IsCA=%v CN=%q", ca.Cert.IsCA, ca.Cert.Subject.CommonName)
	}
	if !bytes.HasPrefix(ca.CertPEM, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("CertPEM: %q", ca.CertPEM)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(ca.CertPEM) {
		t.Fatal("CertPEM does not parse")
	}
	if !ca.Cert.PublicKey.(*ecdsa.PublicKey).Equal(ca.Key.Public()) {
		t.Fatal("Key does not match Cert")
	}
}

func TestLeafVerifies(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	leaf, err := ca.Leaf("localhost", []string{"localhost", "127.0.0.1", "::1"}, now.Add(-time.Minute), now.Add(time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.Certificate) != 2 {
		t.Fatalf("chain length %d, want 2", len(leaf.Certificate))
	}
	if !bytes.Equal(leaf.Certificate[1], ca.Cert.Raw) {
		t.Fatal("chain[1] is not the CA")
	}
	if leaf.Leaf == nil || !bytes.Equal(leaf.Leaf.Raw, leaf.Certificate[0]) {
		t.Fatal("Leaf not set to chain[0]")
	}
	if len(leaf.Leaf.DNSNames) != 1 || len(leaf.Leaf.IPAddresses) != 2 {
		t.Fatalf("SANs: DNS %v IP %v", leaf.Leaf.DNSNames, leaf.Leaf.IPAddresses)
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := verify(leaf.Leaf, ca.Pool(), name, x509.ExtKeyUsageServerAuth); err != nil {
			t.Errorf("verify %s: %v", name, err)
		}
	}
	if err := verify(leaf.Leaf, ca.Pool(), "example.com", x509.ExtKeyUsageServerAuth); err == nil {
		t.Error("verified for a name it does not hold")
	}
	if err := verify(leaf.Leaf, x509.NewCertPool(), "localhost", x509.ExtKeyUsageServerAuth); err == nil {
		t.Error("verified against an empty pool")
	}
	other := newCA(t)
	if err := verify(leaf.Leaf, other.Pool(), "localhost", x509.ExtKeyUsageServerAuth); err == nil {
		t.Error("verified against another CA")
	}
	if _, err := tls.X509KeyPair(pemChain(leaf), pemKey(t, leaf)); err != nil {
		t.Errorf("key pair does not match: %v", err)
	}
}

func TestLeafExpired(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	leaf, err := ca.Leaf("localhost", []string{"localhost"}, now.Add(-48*time.Hour), now.Add(-24*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	err = verify(leaf.Leaf, ca.Pool(), "localhost", x509.ExtKeyUsageServerAuth)
	var inv x509.CertificateInvalidError
	if !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Fatalf("verify expired leaf: %v, want Expired", err)
	}

	future, err := ca.Leaf("localhost", []string{"localhost"}, now.Add(24*time.Hour), now.Add(48*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	err = verify(future.Leaf, ca.Pool(), "localhost", x509.ExtKeyUsageServerAuth)
	if !errors.As(err, &inv) || inv.Reason != x509.Expired {
		t.Fatalf("verify not-yet-valid leaf: %v, want Expired", err)
	}

	if _, err := ca.Leaf("x", nil, now, now.Add(-time.Hour), false); err == nil {
		t.Fatal("notAfter before notBefore accepted")
	}
}

func TestLeafDefaults(t *testing.T) {
	ca := newCA(t)
	leaf, err := ca.Leaf("localhost", []string{"localhost"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(leaf.Leaf, ca.Pool(), "localhost", x509.ExtKeyUsageServerAuth); err != nil {
		t.Fatalf("zero validity window: %v", err)
	}
}

func TestClientLeaf(t *testing.T) {
	ca := newCA(t)
	leaf, err := ca.Leaf("alice", nil, time.Time{}, time.Time{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(leaf.Leaf, ca.Pool(), "", x509.ExtKeyUsageClientAuth); err != nil {
		t.Fatalf("client cert for client auth: %v", err)
	}
	if err := verify(leaf.Leaf, ca.Pool(), "", x509.ExtKeyUsageServerAuth); err == nil {
		t.Fatal("client cert verified for server auth")
	}
}

func TestSelfSigned(t *testing.T) {
	cert, err := SelfSigned("localhost", []string{"localhost", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Certificate) != 1 || cert.Leaf == nil {
		t.Fatalf("chain length %d, Leaf %v", len(cert.Certificate), cert.Leaf != nil)
	}
	ca := newCA(t)
	if err := verify(cert.Leaf, ca.Pool(), "localhost", x509.ExtKeyUsageServerAuth); err == nil {
		t.Fatal("self-signed verified against a CA")
	}
	var unknown x509.UnknownAuthorityError
	if err := verify(cert.Leaf, x509.NewCertPool(), "localhost", x509.ExtKeyUsageServerAuth); !errors.As(err, &unknown) {
		t.Fatalf("verify against empty pool: %v, want UnknownAuthorityError", err)
	}
	own := x509.NewCertPool()
	own.AddCert(cert.Leaf)
	if err := verify(cert.Leaf, own, "127.0.0.1", x509.ExtKeyUsageServerAuth); err != nil {
		t.Fatalf("verify against itself: %v", err)
	}
}

func TestWriteFiles(t *testing.T) {
	ca := newCA(t)
	leaf, err := ca.Leaf("localhost", []string{"localhost"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caPath := filepath.Join(dir, "ca.pem")
	certPath := filepath.Join(dir, "cert.pem")
	keyPath := filepath.Join(dir, "key.pem")
	// A pre-existing world-readable file must end up 0600 too.
	if err := os.WriteFile(keyPath, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ca.WriteCertPEM(caPath); err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyPair(leaf, certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		for _, p := range []string{caPath, certPath, keyPath} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if m := fi.Mode().Perm(); m != 0o600 {
				t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
			}
		}
	}
	got, err := os.ReadFile(caPath)
	if err != nil || !bytes.Equal(got, ca.CertPEM) {
		t.Fatalf("ca.pem: %v", err)
	}
	loaded, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Certificate) != 2 || !bytes.Equal(loaded.Certificate[0], leaf.Certificate[0]) || !bytes.Equal(loaded.Certificate[1], ca.Cert.Raw) {
		t.Fatal("loaded chain differs")
	}
	if err := WriteKeyPair(tls.Certificate{}, certPath, keyPath); err == nil {
		t.Fatal("empty certificate written")
	}
}

// TestHandshake runs a real TLS handshake with mutual authentication over
// an in-memory pipe, both sides trusting only the test CA.
func TestHandshake(t *testing.T) {
	ca := newCA(t)
	server, err := ca.Leaf("localhost", []string{"localhost"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Leaf("alice", nil, time.Time{}, time.Time{}, true)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv := tls.Server(a, &tls.Config{
		Certificates: []tls.Certificate{server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
	})
	cli := tls.Client(b, &tls.Config{
		Certificates: []tls.Certificate{client},
		RootCAs:      ca.Pool(),
		ServerName:   "localhost",
	})
	errc := make(chan error, 1)
	go func() {
		if err := srv.Handshake(); err != nil {
			errc <- err
			return
		}
		_, err := io.Copy(srv, io.LimitReader(srv, 5))
		errc <- err
	}()
	if err := cli.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if _, err := cli.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(cli, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q %v", buf, err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server: %v", err)
	}
	if cn := cli.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "localhost" {
		t.Fatalf("peer CN %q", cn)
	}
}

func pemChain(c tls.Certificate) []byte {
	var out []byte
	for _, der := range c.Certificate {
		out = append(out, pemBlock("CERTIFICATE", der)...)
	}
	return out
}

func pemKey(t *testing.T, c tls.Certificate) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestNewChainNeedsTheIntermediate(t *testing.T) {
	root, inter, err := NewChain("root", "intermediate")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := inter.Leaf("server", []string{"127.0.0.1"}, time.Time{}, time.Time{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.Certificate) != 2 {
		t.Fatalf("chain has %d certificates, want leaf and intermediate", len(leaf.Certificate))
	}
	full := x509.NewCertPool()
	full.AddCert(inter.Cert)
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: root.Pool(), Intermediates: full}); err != nil {
		t.Fatalf("full chain: %v", err)
	}
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: root.Pool()}); err == nil {
		t.Fatal("the leaf verified without its intermediate")
	}
}
