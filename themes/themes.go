// Package themes turns a semantic colour palette into the full set of
// Lip Gloss styles the wscope TUI renders with.
//
// A theme is a [Palette]: a handful of named, meaningful colours
// (foreground, border, success, send, recv, json_key, …). [New] derives
// every style in [Styles] from it, so a theme never has to describe
// individual widgets. [NoColor] gives styles without any colour at all,
// for NO_COLOR and --no-color.
//
// Built-in palettes are "catppuccin-mocha", "dark", "dracula",
// "high-contrast" and "light"; see [Builtin], [Names], [Next] and
// [Default].
//
// # Custom theme files
//
// [LoadFile] reads a custom theme from a TOML file:
//
//	# my-theme.toml
//	name = "ocean"       # optional; defaults to the file name without extension
//	base = "dracula"     # optional built-in to start from; defaults to "dark"
//	dark = true          # optional; defaults to the base's value
//
//	[colors]             # optional; any subset of the keys below
//	send   = "#ff9e64"
//	recv   = "#7dcfff"
//	border = ""          # "" means the terminal's default colour
//
// Colours are "#rrggbb" (either case) or "" for the terminal default. The
// keys of [colors] are the snake_case names of the [Palette] colour
// fields:
//
//	foreground background subtle border border_focused
//	primary secondary accent
//	success warning error info
//	send recv control
//	selection selection_text
//	json_key json_string json_number json_bool json_null
//
// Colours not set in the file keep the base theme's value. Errors are one
// line and start with "theme FILE:": unknown keys are named together with
// the valid ones, bad colours read like
// `theme FILE: colors.send: "red" is not a #rrggbb colour`, and TOML syntax
// errors keep the parser's line number.
//
// # Backgrounds
//
// Palette.Background is applied only by Styles.App. Inline styles set
// foregrounds only (apart from the self-contained highlights
// LogRowSelected, LogMatch and ModeTag), because Lip Gloss ends every
// styled segment with a full reset: a background set on an outer style
// would stop at the first inner segment. LogRowSelected should therefore
// be rendered over plain, unstyled text.
package themes

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Palette is the semantic colour set a theme defines. Colours are hex
// strings "#rrggbb", or "" for the terminal's default colour.
type Palette struct {
	// Name is the theme's name, as shown to the user.
	Name string
	// Dark reports whether the theme is meant for dark backgrounds.
	Dark bool

	// Foreground is the normal text colour.
	Foreground string
	// Background is the screen background (used by Styles.App only).
	Background string
	// Subtle is dim text: indices, timestamps, hints.
	Subtle string
	// Border is the border of unfocused panes.
	Border string
	// BorderFocused is the border of the focused pane.
	BorderFocused string

	// Primary is the main accent: titles, prompts, header names.
	Primary string
	// Secondary is a second accent: binary opcodes, sizes.
	Secondary string
	// Accent highlights things: search matches, hex ASCII.
	Accent string

	// Success marks good outcomes: open connections, passed checks.
	Success string
	// Warning marks warnings.
	Warning string
	// Error marks errors and failed checks.
	Error string
	// Info marks informational findings and timings.
	Info string

	// Send is the colour of frames sent by the client.
	Send string
	// Recv is the colour of frames received from the server.
	Recv string
	// Control is the colour of control frames (ping, pong).
	Control string

	// Selection is the background of the selected row.
	Selection string
	// SelectionText is the text colour of the selected row.
	SelectionText string

	// JSONKey colours object keys in pretty-printed JSON.
	JSONKey string
	// JSONString colours string values.
	JSONString string
	// JSONNumber colours numbers.
	JSONNumber string
	// JSONBool colours true and false.
	JSONBool string
	// JSONNull colours null.
	JSONNull string
}

// Styles is everything the UI renders with. Build it only with [New] or
// [NoColor]: the zero value renders everything unstyled.
type Styles struct {
	// NoColor is true for styles from [NoColor].
	NoColor bool
	// App is the whole screen: default foreground on the theme background.
	App lipgloss.Style

	// Pane is an unfocused bordered box (rounded border).
	Pane lipgloss.Style
	// PaneFocused is the focused bordered box (rounded border, BorderFocused).
	PaneFocused lipgloss.Style
	// PaneTitle is the title of an unfocused pane.
	PaneTitle lipgloss.Style
	// PaneTitleFocused is the title of the focused pane.
	PaneTitleFocused lipgloss.Style

	// StatusBar is the status line as a whole.
	StatusBar lipgloss.Style
	// StatusKey is a label in the status line ("frames:").
	StatusKey lipgloss.Style
	// StatusValue is a value in the status line.
	StatusValue lipgloss.Style
	// StatusStateOpen is the connection state when open.
	StatusStateOpen lipgloss.Style
	// StatusStateConnecting is the connection state while connecting.
	StatusStateConnecting lipgloss.Style
	// StatusStateClosed is the connection state when closed.
	StatusStateClosed lipgloss.Style
	// StatusRecording is the recording marker.
	StatusRecording lipgloss.Style

	// LogHeader is the frame log's column header.
	LogHeader lipgloss.Style
	// LogRow is an ordinary frame log row.
	LogRow lipgloss.Style
	// LogRowSelected is the selected row; render it over plain text.
	LogRowSelected lipgloss.Style
	// LogIndex is a frame's number.
	LogIndex lipgloss.Style
	// LogTime is a frame's timestamp.
	LogTime lipgloss.Style
	// LogSize is a frame's payload size.
	LogSize lipgloss.Style
	// LogPreview is a frame's payload preview.
	LogPreview lipgloss.Style
	// LogSeparator is a separator or note line in the log.
	LogSeparator lipgloss.Style
	// LogMatch highlights a row that matches the search.
	LogMatch lipgloss.Style
	// DirSend is the direction marker of sent frames.
	DirSend lipgloss.Style
	// DirRecv is the direction marker of received frames.
	DirRecv lipgloss.Style
	// OpText is the text opcode.
	OpText lipgloss.Style
	// OpBinary is the binary opcode.
	OpBinary lipgloss.Style
	// OpPing is the ping opcode.
	OpPing lipgloss.Style
	// OpPong is the pong opcode.
	OpPong lipgloss.Style
	// OpClose is the close opcode.
	OpClose lipgloss.Style
	// OpAuto marks frames sent automatically (such as pongs to pings).
	OpAuto lipgloss.Style
	// Flag is a marker on a frame, such as "invalid UTF-8".
	Flag lipgloss.Style

	// HeaderName is an HTTP header name in the handshake.
	HeaderName lipgloss.Style
	// HeaderValue is an HTTP header value.
	HeaderValue lipgloss.Style
	// StartLine is the HTTP request or status line.
	StartLine lipgloss.Style
	// CheckOK is a passed handshake check.
	CheckOK lipgloss.Style
	// CheckBad is a failed handshake check.
	CheckBad lipgloss.Style
	// TimingLabel is the label of a timing (DNS, TLS, …).
	TimingLabel lipgloss.Style
	// TimingValue is a timing's duration.
	TimingValue lipgloss.Style

	// FindingError is a diagnosis finding of error severity.
	FindingError lipgloss.Style
	// FindingWarn is a finding of warning severity.
	FindingWarn lipgloss.Style
	// FindingInfo is an informational finding.
	FindingInfo lipgloss.Style
	// FindingFix is a finding's suggested fix.
	FindingFix lipgloss.Style

	// JSONKey is an object key in pretty-printed JSON.
	JSONKey lipgloss.Style
	// JSONString is a string value.
	JSONString lipgloss.Style
	// JSONNumber is a number.
	JSONNumber lipgloss.Style
	// JSONBool is true or false.
	JSONBool lipgloss.Style
	// JSONNull is null.
	JSONNull lipgloss.Style
	// JSONPunct is braces, brackets, colons and commas.
	JSONPunct lipgloss.Style
	// HexOffset is the offset column of a hex dump.
	HexOffset lipgloss.Style
	// HexBytes is the bytes column of a hex dump.
	HexBytes lipgloss.Style
	// HexASCII is the ASCII column of a hex dump.
	HexASCII lipgloss.Style

	// Prompt is an input prompt.
	Prompt lipgloss.Style
	// InputText is text typed into an input.
	InputText lipgloss.Style
	// InputPlaceholder is an empty input's placeholder.
	InputPlaceholder lipgloss.Style
	// ModeTag is a mode badge such as "JSON"; it has one cell of padding
	// on either side.
	ModeTag lipgloss.Style
	// HelpKey is a key in the help.
	HelpKey lipgloss.Style
	// HelpDesc is a key's description in the help.
	HelpDesc lipgloss.Style
	// HelpSep is the separator between help entries.
	HelpSep lipgloss.Style
	// Overlay is a bordered pop-up box (rounded border, one cell of
	// horizontal padding).
	Overlay lipgloss.Style

	// Muted is dim text.
	Muted lipgloss.Style
	// ErrorText is an error message.
	ErrorText lipgloss.Style
	// WarnText is a warning message.
	WarnText lipgloss.Style
	// SuccessText is a success message.
	SuccessText lipgloss.Style
	// Accent is highlighted text.
	Accent lipgloss.Style
}

// col converts a palette colour to a Lip Gloss colour; "" (and anything
// unparsable) is the terminal default.
func col(hex string) color.Color {
	if hex == "" {
		return lipgloss.NoColor{}
	}
	return lipgloss.Color(hex)
}

// textOn returns black or white, whichever reads better on the background
// hex. A terminal-default background gets the terminal-default text.
func textOn(hex string) color.Color {
	if hex == "" || !validColour(hex) {
		return lipgloss.NoColor{}
	}
	r, g, b, _ := col(hex).RGBA()
	// Perceived brightness with the Rec. 601 weights, scaled to 0..1.
	lum := (299*float64(r) + 587*float64(g) + 114*float64(b)) / 1000 / 0xffff
	if lum > 0.5 {
		return lipgloss.Color("#000000")
	}
	return lipgloss.Color("#ffffff")
}

// New returns the full set of styles for the palette p. Colours that are
// "" (or not valid "#rrggbb") are left to the terminal.
func New(p Palette) Styles {
	plain := lipgloss.NewStyle()
	fg := func(hex string) lipgloss.Style { return plain.Foreground(col(hex)) }
	pane := func(border string) lipgloss.Style {
		return plain.Border(lipgloss.RoundedBorder()).BorderForeground(col(border))
	}

	selected := plain.Reverse(true)
	if p.Selection != "" {
		selected = plain.Background(col(p.Selection)).Foreground(col(p.SelectionText))
	}
	match := plain.Bold(true).Underline(true)
	if p.Accent != "" {
		match = plain.Bold(true).Background(col(p.Accent)).Foreground(textOn(p.Accent))
	}
	modeTag := plain.Bold(true).Padding(0, 1).Reverse(true)
	if p.Primary != "" {
		modeTag = plain.Bold(true).Padding(0, 1).Background(col(p.Primary)).Foreground(textOn(p.Primary))
	}

	return Styles{
		App: plain.Foreground(col(p.Foreground)).Background(col(p.Background)),

		Pane:             pane(p.Border),
		PaneFocused:      pane(p.BorderFocused),
		PaneTitle:        fg(p.Subtle).Bold(true),
		PaneTitleFocused: fg(p.Primary).Bold(true),

		StatusBar:             fg(p.Foreground),
		StatusKey:             fg(p.Subtle),
		StatusValue:           fg(p.Foreground),
		StatusStateOpen:       fg(p.Success).Bold(true),
		StatusStateConnecting: fg(p.Warning).Bold(true),
		StatusStateClosed:     fg(p.Error).Bold(true),
		StatusRecording:       fg(p.Error).Bold(true),

		LogHeader:      fg(p.Subtle).Bold(true),
		LogRow:         fg(p.Foreground),
		LogRowSelected: selected,
		LogIndex:       fg(p.Subtle),
		LogTime:        fg(p.Subtle),
		LogSize:        fg(p.Secondary),
		LogPreview:     fg(p.Foreground),
		LogSeparator:   fg(p.Border),
		LogMatch:       match,
		DirSend:        fg(p.Send).Bold(true),
		DirRecv:        fg(p.Recv).Bold(true),
		OpText:         fg(p.Primary),
		OpBinary:       fg(p.Secondary),
		OpPing:         fg(p.Control),
		OpPong:         fg(p.Control),
		OpClose:        fg(p.Warning),
		OpAuto:         fg(p.Subtle).Italic(true),
		Flag:           fg(p.Warning).Bold(true),

		HeaderName:  fg(p.Primary),
		HeaderValue: fg(p.Foreground),
		StartLine:   fg(p.Foreground).Bold(true),
		CheckOK:     fg(p.Success).Bold(true),
		CheckBad:    fg(p.Error).Bold(true),
		TimingLabel: fg(p.Subtle),
		TimingValue: fg(p.Info),

		FindingError: fg(p.Error).Bold(true),
		FindingWarn:  fg(p.Warning).Bold(true),
		FindingInfo:  fg(p.Info),
		FindingFix:   fg(p.Success),

		JSONKey:    fg(p.JSONKey),
		JSONString: fg(p.JSONString),
		JSONNumber: fg(p.JSONNumber),
		JSONBool:   fg(p.JSONBool),
		JSONNull:   fg(p.JSONNull),
		JSONPunct:  fg(p.Subtle),
		HexOffset:  fg(p.Subtle),
		HexBytes:   fg(p.Foreground),
		HexASCII:   fg(p.Accent),

		Prompt:           fg(p.Primary).Bold(true),
		InputText:        fg(p.Foreground),
		InputPlaceholder: fg(p.Subtle),
		ModeTag:          modeTag,
		HelpKey:          fg(p.Primary).Bold(true),
		HelpDesc:         fg(p.Subtle),
		HelpSep:          fg(p.Border),
		Overlay:          pane(p.BorderFocused).Padding(0, 1),

		Muted:       fg(p.Subtle),
		ErrorText:   fg(p.Error),
		WarnText:    fg(p.Warning),
		SuccessText: fg(p.Success),
		Accent:      fg(p.Accent),
	}
}

// NoColor returns styles without any colour, for NO_COLOR and --no-color.
// Only bold, underline and reverse video are used, where something must
// stand out: the selected row is reverse video, the focused pane's title
// is bold reverse, search matches are bold underlined. Borders and padding
// are the same as in [New], so the layout does not change.
func NoColor() Styles {
	plain := lipgloss.NewStyle()
	bold := plain.Bold(true)
	pane := plain.Border(lipgloss.RoundedBorder())
	return Styles{
		NoColor: true,
		App:     plain,

		Pane:             pane,
		PaneFocused:      pane,
		PaneTitle:        plain,
		PaneTitleFocused: bold.Reverse(true),

		StatusBar:             plain,
		StatusKey:             plain,
		StatusValue:           plain,
		StatusStateOpen:       bold,
		StatusStateConnecting: bold,
		StatusStateClosed:     bold,
		StatusRecording:       bold.Reverse(true),

		LogHeader:      bold,
		LogRow:         plain,
		LogRowSelected: plain.Reverse(true),
		LogIndex:       plain,
		LogTime:        plain,
		LogSize:        plain,
		LogPreview:     plain,
		LogSeparator:   plain,
		LogMatch:       bold.Underline(true),
		DirSend:        bold,
		DirRecv:        bold,
		OpText:         plain,
		OpBinary:       plain,
		OpPing:         plain,
		OpPong:         plain,
		OpClose:        plain,
		OpAuto:         plain,
		Flag:           bold,

		HeaderName:  bold,
		HeaderValue: plain,
		StartLine:   bold,
		CheckOK:     plain,
		CheckBad:    bold,
		TimingLabel: plain,
		TimingValue: plain,

		FindingError: bold,
		FindingWarn:  bold,
		FindingInfo:  plain,
		FindingFix:   plain,

		JSONKey:    plain,
		JSONString: plain,
		JSONNumber: plain,
		JSONBool:   plain,
		JSONNull:   plain,
		JSONPunct:  plain,
		HexOffset:  plain,
		HexBytes:   plain,
		HexASCII:   plain,

		Prompt:           bold,
		InputText:        plain,
		InputPlaceholder: plain,
		ModeTag:          bold.Padding(0, 1).Reverse(true),
		HelpKey:          bold,
		HelpDesc:         plain,
		HelpSep:          plain,
		Overlay:          pane.Padding(0, 1),

		Muted:       plain,
		ErrorText:   bold,
		WarnText:    bold,
		SuccessText: plain,
		Accent:      bold,
	}
}
