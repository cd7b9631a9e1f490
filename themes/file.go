package themes

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/BurntSushi/toml"
)

// colourField is one colour of a Palette as named in theme files.
type colourField struct {
	key string                 // snake_case key in [colors]
	ptr func(*Palette) *string // the field in a palette
}

// colourFields returns the Palette colour fields in declaration order.
func colourFields() []colourField {
	return []colourField{
		{"foreground", func(p *Palette) *string { return &p.Foreground }},
		{"background", func(p *Palette) *string { return &p.Background }},
		{"subtle", func(p *Palette) *string { return &p.Subtle }},
		{"border", func(p *Palette) *string { return &p.Border }},
		{"border_focused", func(p *Palette) *string { return &p.BorderFocused }},
		{"primary", func(p *Palette) *string { return &p.Primary }},
		{"secondary", func(p *Palette) *string { return &p.Secondary }},
		{"accent", func(p *Palette) *string { return &p.Accent }},
		{"success", func(p *Palette) *string { return &p.Success }},
		{"warning", func(p *Palette) *string { return &p.Warning }},
		{"error", func(p *Palette) *string { return &p.Error }},
		{"info", func(p *Palette) *string { return &p.Info }},
		{"send", func(p *Palette) *string { return &p.Send }},
		{"recv", func(p *Palette) *string { return &p.Recv }},
		{"control", func(p *Palette) *string { return &p.Control }},
		{"selection", func(p *Palette) *string { return &p.Selection }},
		{"selection_text", func(p *Palette) *string { return &p.SelectionText }},
		{"json_key", func(p *Palette) *string { return &p.JSONKey }},
		{"json_string", func(p *Palette) *string { return &p.JSONString }},
		{"json_number", func(p *Palette) *string { return &p.JSONNumber }},
		{"json_bool", func(p *Palette) *string { return &p.JSONBool }},
		{"json_null", func(p *Palette) *string { return &p.JSONNull }},
	}
}

// topLevelKeys returns the keys allowed at the top of a theme file.
func topLevelKeys() []string { return []string{"name", "base", "dark", "colors"} }

// validColour reports whether s is "" or "#rrggbb".
func validColour(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// themeFile is the TOML layout of a custom theme.
type themeFile struct {
	Name   string            `toml:"name"`
	Base   string            `toml:"base"`
	Dark   *bool             `toml:"dark"`
	Colors map[string]string `toml:"colors"`
}

// fileError is a LoadFile error: "theme PATH: ERR" on one line.
type fileError struct {
	path string
	err  error
}

// Error returns the message on a single line.
func (e *fileError) Error() string {
	msg := fmt.Sprintf("theme %s: %v", e.path, e.err)
	return strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}

// Unwrap returns the underlying error.
func (e *fileError) Unwrap() error { return e.err }

// LoadFile reads a custom theme from the TOML file at path (the format is
// described in the package documentation). Colours the file does not set
// come from its base theme ("dark" unless base says otherwise); the name
// defaults to the file name without its extension. Errors are one line
// and start with "theme PATH:"; a missing file's error satisfies
// errors.Is(err, fs.ErrNotExist).
func LoadFile(path string) (Palette, error) {
	p, err := loadFile(path)
	if err != nil {
		return Palette{}, &fileError{path: path, err: err}
	}
	return p, nil
}

// loadFile is LoadFile without the "theme PATH:" prefix on errors.
func loadFile(path string) (Palette, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // the path is already in the message
		}
		return Palette{}, err
	}
	var tf themeFile
	md, err := toml.Decode(string(data), &tf)
	if err != nil {
		return Palette{}, err
	}

	fields := colourFields()
	for _, k := range md.Keys() {
		switch {
		case len(k) == 1 && slices.Contains(topLevelKeys(), k[0]):
		case len(k) == 2 && k[0] == "colors" && findField(fields, k[1]) != nil:
		case len(k) == 2 && k[0] == "colors":
			return Palette{}, fmt.Errorf("unknown key %q (valid colors keys: %s)", k.String(), strings.Join(fieldKeys(fields), ", "))
		default:
			return Palette{}, fmt.Errorf("unknown key %q (valid top-level keys: %s)", k.String(), strings.Join(topLevelKeys(), ", "))
		}
	}

	base := tf.Base
	if base == "" {
		base = "dark"
	}
	p, ok := Builtin(base)
	if !ok {
		return Palette{}, fmt.Errorf("base: %q is not a built-in theme (valid: %s)", base, strings.Join(Names(), ", "))
	}

	p.Name = tf.Name
	if p.Name == "" {
		p.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if strings.ContainsFunc(p.Name, unicode.IsControl) {
		return Palette{}, fmt.Errorf("name: %q contains control characters", p.Name)
	}
	if tf.Dark != nil {
		p.Dark = *tf.Dark
	}

	// Apply colours in declaration order so the first bad one is reported
	// deterministically.
	for _, f := range fields {
		v, ok := tf.Colors[f.key]
		if !ok {
			continue
		}
		if !validColour(v) {
			return Palette{}, fmt.Errorf("colors.%s: %q is not a #rrggbb colour", f.key, v)
		}
		*f.ptr(&p) = strings.ToLower(v)
	}
	return p, nil
}

// findField returns the field called key, or nil.
func findField(fields []colourField, key string) *colourField {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

// fieldKeys returns the keys of fields in order.
func fieldKeys(fields []colourField) []string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	return keys
}
