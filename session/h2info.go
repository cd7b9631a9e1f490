package session

import "strconv"

// HTTP versions a Handshake can have gone over.
const (
	HTTP11 = "1.1"
	HTTP2  = "2"
)

// HTTP modes for Config.HTTP: how the opening handshake is made.
const (
	// HTTPModeDefault (also "1.1") is the HTTP/1.1 Upgrade (RFC 6455).
	HTTPModeDefault = ""
	// HTTPMode11 is the HTTP/1.1 Upgrade (RFC 6455).
	HTTPMode11 = "1.1"
	// HTTPMode2 is an HTTP/2 extended CONNECT (RFC 8441), refused unless
	// the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL (or ForceH2).
	HTTPMode2 = "2"
	// HTTPModeAuto is what a browser does: offer h2 and http/1.1 in ALPN;
	// extended CONNECT when h2 was chosen and the setting is advertised,
	// otherwise the HTTP/1.1 Upgrade.
	HTTPModeAuto = "auto"
)

// H2Info is the HTTP/2 side of an attempt: what the server said on the
// connection before and around the extended CONNECT (RFC 8441).
type H2Info struct {
	// ALPN is what TLS negotiated ("h2", "http/1.1", "" for h2c or none).
	ALPN string `json:"alpn"`
	// Settings is the server's first SETTINGS frame, in order, by name.
	Settings []H2Setting `json:"settings"`
	// ConnectProtocol: the server advertised SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
	ConnectProtocol bool `json:"connect_protocol"`
	// Forced: the CONNECT was sent although the setting was not advertised (--force-h2).
	Forced bool `json:"forced,omitempty"`
	// Fallback: auto mode fell back to HTTP/1.1 (why is in FallbackReason).
	Fallback       bool   `json:"fallback,omitempty"`
	FallbackReason string `json:"fallback_reason,omitempty"`
	// StreamID is the stream the CONNECT went on.
	StreamID uint32 `json:"stream_id,omitempty"`
	// RST is the server's RST_STREAM on that stream, if it sent one.
	RST *H2Code `json:"rst,omitempty"`
	// GoAway is the server's GOAWAY, if it sent one.
	GoAway *H2GoAway `json:"goaway,omitempty"`
}

// H2Setting is one SETTINGS parameter.
type H2Setting struct {
	ID    uint16 `json:"id"`
	Name  string `json:"name"`
	Value uint32 `json:"value"`
}

// H2Code is an HTTP/2 error code with its name (RFC 9113 section 7).
type H2Code struct {
	Code uint32 `json:"code"`
	Name string `json:"name"`
}

// H2GoAway is a GOAWAY frame.
type H2GoAway struct {
	H2Code
	LastStreamID uint32 `json:"last_stream_id"`
	Debug        string `json:"debug,omitempty"`
}

// Setting returns the value of the setting id and whether the server sent it.
func (h *H2Info) Setting(id uint16) (uint32, bool) {
	if h == nil {
		return 0, false
	}
	for _, s := range h.Settings {
		if s.ID == id {
			return s.Value, true
		}
	}
	return 0, false
}

// H2CodeName names an HTTP/2 error code.
func H2CodeName(code uint32) string {
	names := []string{"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
		"STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
		"ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"}
	if int(code) < len(names) {
		return names[code]
	}
	return "unknown error 0x" + strconv.FormatUint(uint64(code), 16)
}

// H2SettingName names an HTTP/2 SETTINGS parameter (RFC 9113, RFC 8441, RFC 9218).
func H2SettingName(id uint16) string {
	switch id {
	case 1:
		return "HEADER_TABLE_SIZE"
	case 2:
		return "ENABLE_PUSH"
	case 3:
		return "MAX_CONCURRENT_STREAMS"
	case 4:
		return "INITIAL_WINDOW_SIZE"
	case 5:
		return "MAX_FRAME_SIZE"
	case 6:
		return "MAX_HEADER_LIST_SIZE"
	case 8:
		return "ENABLE_CONNECT_PROTOCOL"
	case 9:
		return "NO_RFC7540_PRIORITIES"
	}
	return "unknown setting 0x" + strconv.FormatUint(uint64(id), 16)
}

// SettingEnableConnectProtocol is SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441).
const SettingEnableConnectProtocol = 8
