// Package testca is a test certificate authority generated at runtime:
// an ECDSA P-256 root that issues server and client certificates for
// tests, plus helpers to write them as PEM files and to make self-signed
// certificates that chain to nothing.
package testca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// CA is a certificate authority whose root certificate and key exist only
// in memory (until written out).
type CA struct {
	// Cert is the parsed root certificate.
	Cert *x509.Certificate
	// Key is the root's private key (an *ecdsa.PrivateKey).
	Key crypto.Signer
	// CertPEM is Cert in PEM form, ready for a CA bundle file.
	CertPEM []byte
}

// New generates a root CA named commonName, valid from an hour ago for
// ten years. It signs leaves only (path length 0).
func New(commonName string) (*CA, error) {
	return newAuthority(commonName, nil, nil, 0)
}

// NewChain generates a root CA and an intermediate CA it signed, the shape
// of every public CA: leaves come from the intermediate, and a server must
// send the intermediate with its leaf (Leaf puts both in the chain) for a
// client that trusts only the root to verify it.
func NewChain(rootName, intermediateName string) (root, intermediate *CA, err error) {
	root, err = newAuthority(rootName, nil, nil, 1)
	if err != nil {
		return nil, nil, err
	}
	intermediate, err = newAuthority(intermediateName, root.Cert, root.Key, 0)
	if err != nil {
		return nil, nil, err
	}
	return root, intermediate, nil
}

// newAuthority makes a CA certificate allowing maxPathLen CAs below it; with a nil
// parent it is a self-signed root.
func newAuthority(commonName string, parent *x509.Certificate, parentKey crypto.Signer, maxPathLen int) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("testca: generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"wscope test CA"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            maxPathLen,
		MaxPathLenZero:        maxPathLen == 0,
	}
	signer := crypto.Signer(key)
	if parent == nil {
		parent = tmpl
	} else {
		signer = parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("testca: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("testca: parse CA certificate: %w", err)
	}
	return &CA{
		Cert:    cert,
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// Leaf issues a certificate signed by the CA for commonName, with names as
// subject alternative names: each string that parses as an IP address
// becomes an IP SAN, every other string a DNS SAN. It is valid from
// notBefore to notAfter; a zero notBefore means an hour ago and a zero
// notAfter means a day after notBefore. With client set it is a client
// certificate (extended key usage clientAuth), otherwise a server
// certificate (serverAuth).
//
// The returned tls.Certificate carries the chain, leaf DER then CA DER, in
// Certificate, the leaf's private key, and the parsed leaf in Leaf.
func (ca *CA) Leaf(commonName string, names []string, notBefore, notAfter time.Time, client bool) (tls.Certificate, error) {
	eku := x509.ExtKeyUsageServerAuth
	if client {
		eku = x509.ExtKeyUsageClientAuth
	}
	return issue(commonName, names, notBefore, notAfter, eku, ca.Cert, ca.Key)
}

// Pool returns a new certificate pool holding only the CA's root.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// WriteCertPEM writes the CA's root certificate as PEM to path, with file
// mode 0600.
func (ca *CA) WriteCertPEM(path string) error {
	return writePrivateFile(path, ca.CertPEM)
}

// WriteKeyPair writes cert's certificate chain (leaf first, as PEM
// CERTIFICATE blocks) to certPath and its private key (PEM PKCS #8) to
// keyPath, both with file mode 0600. The files load back with
// tls.LoadX509KeyPair.
func WriteKeyPair(cert tls.Certificate, certPath, keyPath string) error {
	if len(cert.Certificate) == 0 {
		return errors.New("testca: certificate has no chain")
	}
	if cert.PrivateKey == nil {
		return errors.New("testca: certificate has no private key")
	}
	var certPEM []byte
	for _, der := range cert.Certificate {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return fmt.Errorf("testca: marshal private key: %w", err)
	}
	if err := writePrivateFile(certPath, certPEM); err != nil {
		return err
	}
	return writePrivateFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
}

// SelfSigned returns a self-signed server certificate for commonName and
// names (IP strings become IP SANs), valid from an hour ago for thirty
// days and signed by no CA, so it verifies only against a pool that holds
// it. Leaf is set.
func SelfSigned(commonName string, names []string) (tls.Certificate, error) {
	return issue(commonName, names, time.Time{}, time.Time{}, x509.ExtKeyUsageServerAuth, nil, nil)
}

// issue creates an end-entity certificate. With a nil parent it is
// self-signed (and defaults to thirty days of validity).
func issue(commonName string, names []string, notBefore, notAfter time.Time, eku x509.ExtKeyUsage, parent *x509.Certificate, parentKey crypto.Signer) (tls.Certificate, error) {
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		if parent == nil {
			notAfter = notBefore.AddDate(0, 0, 30)
		} else {
			notAfter = notBefore.Add(24 * time.Hour)
		}
	}
	if notAfter.Before(notBefore) {
		return tls.Certificate{}, fmt.Errorf("testca: notAfter %v is before notBefore %v", notAfter, notBefore)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("testca: generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{eku},
		BasicConstraintsValid: true,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	signer := crypto.Signer(key)
	if parent == nil {
		parent = tmpl
	} else {
		signer = parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("testca: create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("testca: parse certificate: %w", err)
	}
	chain := [][]byte{der}
	if parent != tmpl {
		chain = append(chain, parent.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

// newSerial returns a random 128-bit serial number.
func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("testca: serial number: %w", err)
	}
	return n, nil
}

// writePrivateFile writes data to path with mode 0600, narrowing the mode
// before writing if the file already existed with a wider one.
func writePrivateFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("testca: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("testca: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("testca: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("testca: %w", err)
	}
	return nil
}
