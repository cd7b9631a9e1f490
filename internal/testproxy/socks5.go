package testproxy

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// SOCKS5 protocol constants (RFC 1928, RFC 1929).
const (
	socksVersion = 0x05

	methodNoAuth       = 0x00
	methodUserPass     = 0x02
	methodNoAcceptable = 0xFF

	userPassVersion = 0x01
	userPassOK      = 0x00
	userPassFailed  = 0x01

	cmdConnect = 0x01

	atypIPv4   = 0x01
	atypDomain = 0x03
	atypIPv6   = 0x04

	repSucceeded           = 0x00
	repGeneralFailure      = 0x01
	repNotAllowed          = 0x02
	repNetworkUnreachable  = 0x03
	repHostUnreachable     = 0x04
	repConnectionRefused   = 0x05
	repCommandNotSupported = 0x07
	repAtypNotSupported    = 0x08
)

// SOCKS5Options configures a SOCKS5 server.
type SOCKS5Options struct {
	// User and Pass, when User is set, make the server require
	// username/password authentication (RFC 1929) with exactly these
	// credentials; otherwise it accepts "no authentication".
	User, Pass string
	// DenyPorts lists target ports a CONNECT may not reach; such requests
	// are answered 0x02 (connection not allowed by ruleset).
	DenyPorts []int
}

// SOCKS5 is an in-process SOCKS5 server (RFC 1928) with optional
// username/password auth (RFC 1929), listening on 127.0.0.1.
//
// Only the CONNECT command is supported, with IPv4, domain-name and IPv6
// target addresses. Domain names are resolved by the server with
// net.DefaultResolver, so a client that resolves names itself (socks5)
// can be told apart from one that lets the proxy resolve them (socks5h)
// through Targets.
type SOCKS5 struct {
	srv       *server
	user      string
	pass      string
	authReq   bool
	denyPorts []int

	mu      sync.Mutex
	targets []string
}

// StartSOCKS5 starts a SOCKS5 server on 127.0.0.1 at a port chosen by the
// kernel.
func StartSOCKS5(opts SOCKS5Options) (*SOCKS5, error) {
	s := &SOCKS5{
		user:      opts.User,
		pass:      opts.Pass,
		authReq:   opts.User != "",
		denyPorts: slices.Clone(opts.DenyPorts),
	}
	srv, err := listenLoopback()
	if err != nil {
		return nil, fmt.Errorf("testproxy: listen: %w", err)
	}
	s.srv = srv
	srv.serve(s.handle)
	return s, nil
}

// Addr returns the server's listening address, "127.0.0.1:port".
func (s *SOCKS5) Addr() string { return s.srv.addr() }

// URL returns "socks5://127.0.0.1:port", without credentials.
func (s *SOCKS5) URL() string { return "socks5://" + s.Addr() }

// Targets returns the targets clients asked for, in order of arrival, as
// "host:port" exactly as sent: an IP stays an IP (IPv6 in brackets) and a
// domain name stays a name. Every request that got past authentication
// and had a well-formed address is recorded, whatever its command and
// whether or not it succeeded. The slice is a copy.
func (s *SOCKS5) Targets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.targets)
}

// Close stops the server: it closes the listener and every client and
// target connection, aborts dials in flight, and waits for all of the
// server's goroutines. It is safe to call more than once.
func (s *SOCKS5) Close() error { return s.srv.close() }

func (s *SOCKS5) record(target string) {
	s.mu.Lock()
	s.targets = append(s.targets, target)
	s.mu.Unlock()
}

// handle serves one client connection; the caller closes c.
func (s *SOCKS5) handle(c net.Conn) {
	c.SetDeadline(time.Now().Add(headTimeout))

	// Method selection.
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != socksVersion {
		return
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return
	}
	want := byte(methodNoAuth)
	if s.authReq {
		want = methodUserPass
	}
	if !slices.Contains(methods, want) {
		c.Write([]byte{socksVersion, methodNoAcceptable})
		lingerClose(c)
		return
	}
	if _, err := c.Write([]byte{socksVersion, want}); err != nil {
		return
	}
	if s.authReq && !s.authenticate(c) {
		return
	}

	// Request: VER CMD RSV ATYP DST.ADDR DST.PORT.
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[0] != socksVersion {
		return
	}
	var host string
	switch req[3] {
	case atypIPv4, atypIPv6:
		b := make([]byte, 4)
		if req[3] == atypIPv6 {
			b = make([]byte, 16)
		}
		if _, err := io.ReadFull(c, b); err != nil {
			return
		}
		ip, _ := netip.AddrFromSlice(b)
		host = ip.String()
	case atypDomain:
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		b := make([]byte, n[0])
		if _, err := io.ReadFull(c, b); err != nil {
			return
		}
		host = string(b)
	default:
		// The address cannot be parsed, so nothing after it can be either.
		s.reply(c, repAtypNotSupported, nil)
		lingerClose(c)
		return
	}
	var pb [2]byte
	if _, err := io.ReadFull(c, pb[:]); err != nil {
		return
	}
	port := int(binary.BigEndian.Uint16(pb[:]))
	target := net.JoinHostPort(host, strconv.Itoa(port))
	s.record(target)

	if req[1] != cmdConnect {
		s.reply(c, repCommandNotSupported, nil)
		lingerClose(c)
		return
	}
	if slices.Contains(s.denyPorts, port) {
		s.reply(c, repNotAllowed, nil)
		lingerClose(c)
		return
	}
	tc, code := s.connect(req[3], host, port)
	if tc == nil {
		s.reply(c, code, nil)
		lingerClose(c)
		return
	}
	if err := s.reply(c, repSucceeded, tc.LocalAddr()); err != nil {
		s.srv.release(tc)
		return
	}
	c.SetDeadline(time.Time{})
	s.srv.splice(c, tc)
}

// authenticate runs the RFC 1929 username/password sub-negotiation.
func (s *SOCKS5) authenticate(c net.Conn) bool {
	var ver [1]byte
	if _, err := io.ReadFull(c, ver[:]); err != nil || ver[0] != userPassVersion {
		return false
	}
	user, err := readLenPrefixed(c)
	if err != nil {
		return false
	}
	pass, err := readLenPrefixed(c)
	if err != nil {
		return false
	}
	userOK := subtle.ConstantTimeCompare(user, []byte(s.user)) == 1
	passOK := subtle.ConstantTimeCompare(pass, []byte(s.pass)) == 1
	if !userOK || !passOK {
		c.Write([]byte{userPassVersion, userPassFailed})
		lingerClose(c)
		return false
	}
	_, err = c.Write([]byte{userPassVersion, userPassOK})
	return err == nil
}

func readLenPrefixed(r io.Reader) ([]byte, error) {
	var n [1]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, n[0])
	_, err := io.ReadFull(r, b)
	return b, err
}

// connect resolves host if it is a name and dials the target, trying each
// address in turn. On failure it returns the reply code that fits the
// first address's error.
func (s *SOCKS5) connect(atyp byte, host string, port int) (net.Conn, byte) {
	addrs := []string{host}
	if atyp == atypDomain {
		ctx, cancel := context.WithTimeout(s.srv.ctx, dialTimeout)
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		cancel()
		if err != nil || len(ips) == 0 {
			return nil, repHostUnreachable
		}
		addrs = addrs[:0]
		for _, ip := range ips {
			addrs = append(addrs, ip.String())
		}
	}
	var firstErr error
	for _, a := range addrs {
		tc, err := s.srv.dial("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
		if err == nil {
			return tc, repSucceeded
		}
		if firstErr == nil {
			firstErr = err // like net.Dialer, report the first address's failure
		}
		if s.srv.ctx.Err() != nil {
			break
		}
	}
	return nil, replyCode(firstErr)
}

// replyCode maps a dial error to a SOCKS5 reply code.
func replyCode(err error) byte {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return repConnectionRefused
	case errors.Is(err, syscall.ENETUNREACH):
		return repNetworkUnreachable
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return repHostUnreachable
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return repHostUnreachable
	}
	return repGeneralFailure
}

// reply sends VER REP RSV ATYP BND.ADDR BND.PORT. A nil bound address is
// sent as 0.0.0.0:0.
func (s *SOCKS5) reply(c net.Conn, code byte, bound net.Addr) error {
	ip := netip.IPv4Unspecified()
	port := 0
	if ta, ok := bound.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		ip, port = ap.Addr().Unmap(), int(ap.Port())
	}
	msg := []byte{socksVersion, code, 0x00}
	if ip.Is4() {
		msg = append(msg, atypIPv4)
	} else {
		msg = append(msg, atypIPv6)
	}
	msg = append(msg, ip.AsSlice()...)
	msg = binary.BigEndian.AppendUint16(msg, uint16(port))
	_, err := c.Write(msg)
	return err
}
