package h2ws

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// serverBytes builds what a server might send: SETTINGS, then a response
// HEADERS on stream 1 with status, then optionally DATA and RST/GOAWAY.
func serverBytes(status string, advertise bool, extra func(fr *http2.Framer)) []byte {
	var b bytes.Buffer
	fr := http2.NewFramer(&b, nil)
	settings := []http2.Setting{{ID: http2.SettingMaxConcurrentStreams, Val: 100}}
	if advertise {
		settings = append(settings, http2.Setting{ID: http2.SettingEnableConnectProtocol, Val: 1})
	}
	fr.WriteSettings(settings...)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	enc.WriteField(hpack.HeaderField{Name: ":status", Value: status})
	enc.WriteField(hpack.HeaderField{Name: "server", Value: "fuzz"})
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	if extra != nil {
		extra(fr)
	}
	return b.Bytes()
}

// FuzzDialServerBytes feeds arbitrary server bytes to the client: SETTINGS,
// HEADERS (HPACK), DATA, RST_STREAM, GOAWAY decoding must never panic or
// hang, and a returned stream must be readable until an error.
func FuzzDialServerBytes(f *testing.F) {
	f.Add(serverBytes("200", true, nil))
	f.Add(serverBytes("400", true, func(fr *http2.Framer) { fr.WriteData(1, true, []byte("Bad Request")) }))
	f.Add(serverBytes("200", false, nil))
	f.Add(serverBytes("200", true, func(fr *http2.Framer) { fr.WriteRSTStream(1, http2.ErrCodeRefusedStream) }))
	f.Add(serverBytes("200", true, func(fr *http2.Framer) { fr.WriteGoAway(0, http2.ErrCodeProtocol, []byte("debug")) }))
	f.Add(serverBytes("200", true, func(fr *http2.Framer) {
		fr.WriteData(1, false, []byte{0x81, 0x02, 'h', 'i'})
		fr.WritePing(false, [8]byte{1})
		fr.WriteWindowUpdate(0, 1<<20)
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	}))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		client, server := net.Pipe()
		go io.Copy(io.Discard, server)
		go func() {
			server.Write(in)
			time.Sleep(10 * time.Millisecond)
			server.Close()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		req := Request{Scheme: "https", Authority: "x", Path: "/", Protocol: "websocket", Force: true, MaxBody: 1024}
		resp, s, err := Dial(ctx, client, req)
		if resp == nil {
			t.Fatal("Dial returned no Response")
		}
		if s == nil {
			if err == nil && resp.Status == 0 {
				t.Fatal("no stream, no status and no error")
			}
			return
		}
		s.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 512)
		for {
			if _, err := s.Read(buf); err != nil {
				break
			}
		}
		s.Close()
	})
}
