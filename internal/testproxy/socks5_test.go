package testproxy

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/proxy"
)

func startSOCKS5(t *testing.T, opts SOCKS5Options) *SOCKS5 {
	t.Helper()
	s, err := StartSOCKS5(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func socksDial(t *testing.T, s *SOCKS5, auth *proxy.Auth, target string) (net.Conn, error) {
	t.Helper()
	d, err := proxy.SOCKS5("tcp", s.Addr(), auth, &net.Dialer{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Dial("tcp", target)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, nil
}

func TestSOCKS5NoAuth(t *testing.T) {
	echo := startEcho(t)
	port := strconv.Itoa(portOf(t, echo))
	s := startSOCKS5(t, SOCKS5Options{})
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL() != "socks5://"+s.Addr() {
		t.Fatalf("Addr %q URL %q", s.Addr(), s.URL())
	}

	// socks5: the client resolved the name and sends an IP.
	c, err := socksDial(t, s, nil, echo)
	if err != nil {
		t.Fatal(err)
	}
	expectEcho(t, c, "by IP")

	// socks5h: the name goes to the proxy, which resolves it.
	c2, err := socksDial(t, s, nil, "localhost:"+port)
	if err != nil {
		t.Fatal(err)
	}
	expectEcho(t, c2, "by name")

	want := []string{echo, "localhost:" + port}
	if got := s.Targets(); !slices.Equal(got, want) {
		t.Fatalf("Targets = %q, want %q", got, want)
	}
	s.Targets()[0] = "changed"
	if s.Targets()[0] != echo {
		t.Fatal("Targets exposes internal state")
	}
}

func TestSOCKS5Auth(t *testing.T) {
	echo := startEcho(t)
	s := startSOCKS5(t, SOCKS5Options{User: "alice", Pass: "s3cret"})

	c, err := socksDial(t, s, &proxy.Auth{User: "alice", Password: "s3cret"}, echo)
	if err != nil {
		t.Fatalf("good credentials: %v", err)
	}
	expectEcho(t, c, "authenticated")

	for _, auth := range []*proxy.Auth{
		{User: "alice", Password: "wrong"},
		{User: "mallory", Password: "s3cret"},
		nil, // offers only "no authentication", which the server refuses
	} {
		if _, err := socksDial(t, s, auth, echo); err == nil {
			t.Errorf("auth %+v: dial succeeded", auth)
		}
	}
	if got := s.Targets(); !slices.Equal(got, []string{echo}) {
		t.Fatalf("Targets = %q; failed logins must not record targets", got)
	}
}

// TestSOCKS5AuthWire checks the exact bytes of the negotiation failures.
func TestSOCKS5AuthWire(t *testing.T) {
	s := startSOCKS5(t, SOCKS5Options{User: "u", Pass: "p"})

	c := dialTCP(t, s.Addr())
	c.Write([]byte{5, 1, 0}) // only "no authentication"
	readExactly(t, c, "\x05\xff")
	expectClosed(t, c)

	c2 := dialTCP(t, s.Addr())
	c2.Write([]byte{5, 2, 0, 2})
	readExactly(t, c2, "\x05\x02")
	c2.Write([]byte{1, 1, 'u', 1, 'x'})
	readExactly(t, c2, "\x01\x01")
	expectClosed(t, c2)

	// Without auth configured, the server picks "no authentication" even
	// when username/password is offered too.
	s2 := startSOCKS5(t, SOCKS5Options{})
	c3 := dialTCP(t, s2.Addr())
	c3.Write([]byte{5, 2, 2, 0})
	readExactly(t, c3, "\x05\x00")
}

// socksRequest negotiates "no authentication" and sends one request with
// a raw address (atyp followed by address bytes), returning the reply.
func socksRequest(t *testing.T, s *SOCKS5, cmd byte, addr []byte, port int) (net.Conn, []byte) {
	t.Helper()
	c := dialTCP(t, s.Addr())
	c.Write([]byte{5, 1, 0})
	readExactly(t, c, "\x05\x00")
	msg := append([]byte{5, cmd, 0}, addr...)
	msg = binary.BigEndian.AppendUint16(msg, uint16(port))
	c.Write(msg)
	reply := make([]byte, 10)
	if _, err := io.ReadFull(c, reply[:4]); err != nil {
		t.Fatalf("read reply: %v", err)
	}
	n := 4 + 2
	switch reply[3] {
	case 1:
		n += 4
	case 4:
		n += 16
	default:
		t.Fatalf("reply atyp %d", reply[3])
	}
	reply = append(reply[:4], make([]byte, n-4)...)
	if _, err := io.ReadFull(c, reply[4:]); err != nil {
		t.Fatalf("read reply: %v", err)
	}
	return c, reply
}

func ipv4(s string) []byte {
	a := netip.MustParseAddr(s).As4()
	return append([]byte{1}, a[:]...)
}

func TestSOCKS5Replies(t *testing.T) {
	echo := startEcho(t)
	echoPort := portOf(t, echo)
	refused := closedPort(t)
	other := startEcho(t)
	s := startSOCKS5(t, SOCKS5Options{DenyPorts: []int{portOf(t, other)}})

	// Success carries the proxy's bound address for the target connection.
	c, reply := socksRequest(t, s, 1, ipv4("127.0.0.1"), echoPort)
	if reply[1] != 0 || reply[3] != 1 || !slices.Equal(reply[4:8], []byte{127, 0, 0, 1}) || binary.BigEndian.Uint16(reply[8:]) == 0 {
		t.Fatalf("success reply % x", reply)
	}
	expectEcho(t, c, "raw")

	for _, tc := range []struct {
		name string
		cmd  byte
		addr []byte
		port int
		code byte
	}{
		{"refused", 1, ipv4("127.0.0.1"), refused, 0x05},
		{"denied", 1, ipv4("127.0.0.1"), portOf(t, other), 0x02},
		{"bind", 2, ipv4("127.0.0.1"), echoPort, 0x07},
		{"udp associate", 3, ipv4("127.0.0.1"), echoPort, 0x07},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, reply := socksRequest(t, s, tc.cmd, tc.addr, tc.port)
			if reply[1] != tc.code {
				t.Fatalf("reply code %#x, want %#x", reply[1], tc.code)
			}
			expectClosed(t, c)
		})
	}

	// A name is resolved by the proxy. Which address of "localhost" comes
	// first (and whether ::1 is even usable) varies, so only insist on a
	// failure code.
	c3, reply := socksRequest(t, s, 1, append([]byte{3, 9}, "localhost"...), refused)
	if reply[1] == 0 {
		t.Fatalf("domain to closed port: reply % x, want a failure", reply)
	}
	expectClosed(t, c3)

	// An unknown address type cannot be parsed past; it is answered 0x08.
	c2 := dialTCP(t, s.Addr())
	c2.Write([]byte{5, 1, 0})
	readExactly(t, c2, "\x05\x00")
	c2.Write([]byte{5, 1, 0, 9, 1, 2, 3, 4, 0, 80})
	head := make([]byte, 2)
	if _, err := io.ReadFull(c2, head); err != nil || head[1] != 0x08 {
		t.Fatalf("unknown atyp: % x %v", head, err)
	}

	// IPv6 targets are recorded in brackets. Nothing listens on ::1 at
	// this port, so the request fails one way or another.
	v6 := netip.IPv6Loopback().As16()
	_, reply = socksRequest(t, s, 1, append([]byte{4}, v6[:]...), echoPort)
	if reply[1] == 0 {
		t.Fatalf("IPv6 reply % x, want a failure", reply)
	}

	p := strconv.Itoa
	want := []string{
		echo,
		"127.0.0.1:" + p(refused),
		other,
		echo,
		echo,
		"localhost:" + p(refused),
		"[::1]:" + p(echoPort),
	}
	if got := s.Targets(); !slices.Equal(got, want) {
		t.Fatalf("Targets = %q, want %q", got, want)
	}
}

func TestSOCKS5ClosePromptly(t *testing.T) {
	echo := startEcho(t)
	s, err := StartSOCKS5(SOCKS5Options{User: "u", Pass: "p"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := socksDial(t, s, &proxy.Auth{User: "u", Password: "p"}, echo)
	if err != nil {
		t.Fatal(err)
	}
	expectEcho(t, c, "open")
	idle := dialTCP(t, s.Addr())
	half := dialTCP(t, s.Addr())
	half.Write([]byte{5, 1})
	time.Sleep(50 * time.Millisecond)

	closesPromptly(t, s.Close)
	expectClosed(t, c)
	expectClosed(t, idle)
	expectClosed(t, half)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
