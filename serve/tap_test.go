package serve

import (
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestTapKeepsTheMostRecentBytes(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	tc := &tapConn{Conn: a}
	go func() {
		for i := 0; i < 5*maxTap/1000; i++ {
			b.Write(bytes.Repeat([]byte{byte('a' + i%26)}, 1000))
		}
		b.Close()
	}()
	var all []byte
	buf := make([]byte, 700)
	for {
		n, err := tc.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			break
		}
		if len(tc.buf) > 2*maxTap {
			t.Fatalf("tap holds %d bytes", len(tc.buf))
		}
	}
	if len(tc.buf) < maxTap || !bytes.HasSuffix(all, tc.buf) || !tc.cut {
		t.Fatalf("tap holds %d bytes (cut %v), not the last ones read", len(tc.buf), tc.cut)
	}
	tc.stopTap()
	if tc.buf != nil {
		t.Fatal("stopTap kept the record")
	}
}

func TestTapHead(t *testing.T) {
	tc := &tapConn{}
	const line = "GET /headers HTTP/1.1"
	tc.record([]byte("POST / HTTP/1.1\r\nContent-Length: 30\r\n\r\nnot GET /headers HTTP/1.1\r\n\r\n" +
		line + "\r\nA: 1\r\n\r\n" +
		"GET / HTTP/1.1\r\nB: 2\r\n\r\n" +
		line + "\nc: 3\n d\n\n" +
		line + "\r\nIncomplete: 4\r\n"))
	head, ok := tc.head(line)
	if !ok || string(head) != line+"\nc: 3\n d\n\n" {
		t.Fatalf("head %q %v", head, ok)
	}
	if got := string(tc.buf); got != line+"\r\nIncomplete: 4\r\n" {
		t.Fatalf("after head the tap holds %q", got)
	}
	if _, ok := tc.head(line); ok {
		t.Fatal("found an incomplete head")
	}
	if _, ok := tc.head("GET /other HTTP/1.1"); ok {
		t.Fatal("found a head for another request line")
	}
	// A match that does not start a line is not a request line.
	tc = &tapConn{}
	tc.record([]byte("X-Trap: " + line + "\r\n\r\n"))
	if h, ok := tc.head(line); ok {
		t.Fatalf("took %q for a request head", h)
	}
}

func TestFramesSequenceNumbers(t *testing.T) {
	f := newFrames(100_000_000, 12, 1)
	sent := 100_000_000 - 1
	batch := f.next(&sent)
	if sent != 100_000_000 || len(batch) != 2+12 || batch[0] != 0x81 || batch[1] != 12 {
		t.Fatalf("last batch % x (sent %d)", batch, sent)
	}
	if got := string(batch[2:]); got != "100000000 xx" {
		t.Fatalf("the 10^8th payload is %q", got)
	}
	f = newFrames(3, 3, 2)
	sent = 0
	if batch := f.next(&sent); sent != 3 || !strings.Contains(string(batch), "\x82\x03000\x82\x03000\x82\x03000") {
		t.Fatalf("truncated payloads % x", batch)
	}
}
