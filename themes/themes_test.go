package themes

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
)

var sgrRE = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// colourSGR returns the first SGR sequence in s that sets a colour, or "".
func colourSGR(s string) string {
	for _, m := range sgrRE.FindAllStringSubmatch(s, -1) {
		params := strings.FieldsFunc(m[1], func(r rune) bool { return r == ';' || r == ':' })
		for _, p := range params {
			n, err := strconv.Atoi(p)
			if err != nil {
				continue
			}
			switch {
			case n >= 30 && n <= 39, n >= 40 && n <= 49, n >= 90 && n <= 97, n >= 100 && n <= 107, n == 58:
				return m[0]
			}
		}
	}
	return ""
}

// styleFields returns every lipgloss.Style field of s by name.
func styleFields(s Styles) map[string]lipgloss.Style {
	out := map[string]lipgloss.Style{}
	v := reflect.ValueOf(s)
	for i := range v.NumField() {
		if st, ok := v.Field(i).Interface().(lipgloss.Style); ok {
			out[v.Type().Field(i).Name] = st
		}
	}
	return out
}

func TestLipglossRendersColourWithoutTerminal(t *testing.T) {
	// The NoColor assertions below are only meaningful if Render emits
	// colour escapes regardless of the terminal.
	got := New(highContrastPalette()).DirSend.Render("x")
	if colourSGR(got) == "" || !strings.Contains(got, "38;2;255;255;0") {
		t.Fatalf("expected a truecolour escape, got %q", got)
	}
}

func TestBuiltins(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			p, ok := Builtin(name)
			if !ok {
				t.Fatal("Names lists a theme Builtin does not know")
			}
			if p.Name != name {
				t.Errorf("Name = %q", p.Name)
			}
			for _, f := range colourFields() {
				if v := *f.ptr(&p); !validColour(v) {
					t.Errorf("%s = %q is not a colour", f.key, v)
				}
			}
			if p.Send == p.Recv {
				t.Errorf("Send and Recv are both %s", p.Send)
			}
			if p.Error == p.Warning || p.Error == p.Success || p.Warning == p.Success {
				t.Errorf("Error/Warning/Success not distinct: %s %s %s", p.Error, p.Warning, p.Success)
			}
			s := New(p)
			if s.NoColor {
				t.Error("New set NoColor")
			}
			if reflect.DeepEqual(s.DirSend.GetForeground(), s.DirRecv.GetForeground()) {
				t.Error("DirSend and DirRecv have the same foreground")
			}
			if s.DirSend.Render("→") == s.DirRecv.Render("→") {
				t.Error("DirSend and DirRecv render the same")
			}
			if colourSGR(s.DirSend.Render("x")) == "" || colourSGR(s.ErrorText.Render("x")) == "" {
				t.Error("built-in theme renders without colour")
			}
			if sel := s.LogRowSelected.Render("x"); sel == "x" {
				t.Error("selected row is not highlighted")
			}
		})
	}
}

func TestHighContrast(t *testing.T) {
	p, _ := Builtin("high-contrast")
	if p.Background != "#000000" || p.Foreground != "#ffffff" {
		t.Errorf("background/foreground = %s/%s, want pure black/white", p.Background, p.Foreground)
	}
	if p.Selection != "#ffffff" || p.SelectionText != "#000000" {
		t.Errorf("selection = %s on %s, want black on white", p.SelectionText, p.Selection)
	}
	// Saturated: every accent has its channels at 00 or ff only.
	for _, f := range colourFields() {
		switch f.key {
		case "subtle", "json_null", "background", "foreground":
			continue
		}
		v := *f.ptr(&p)
		for i := 1; i < 7; i += 2 {
			if ch := v[i : i+2]; ch != "00" && ch != "ff" {
				t.Errorf("%s = %s is not saturated", f.key, v)
				break
			}
		}
	}
}

func TestNamesAndBuiltin(t *testing.T) {
	names := Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names not sorted: %v", names)
	}
	for _, want := range []string{"dark", "light", "high-contrast", "dracula", "catppuccin-mocha"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names lacks %q: %v", want, names)
		}
	}
	names[0] = "mutated"
	if Names()[0] == "mutated" {
		t.Error("Names shares its slice")
	}
	if p, ok := Builtin(" Dracula "); !ok || p.Name != "dracula" {
		t.Errorf("Builtin is not case-insensitive: %v %v", p.Name, ok)
	}
	if _, ok := Builtin("nope"); ok {
		t.Error("Builtin(nope) ok")
	}
	p, _ := Builtin("dark")
	p.Send = "#000000"
	if q, _ := Builtin("dark"); q.Send == "#000000" {
		t.Error("Builtin shares state")
	}
	if d := Default(true); d.Name != "dark" || !d.Dark {
		t.Errorf("Default(true) = %q", d.Name)
	}
	if l := Default(false); l.Name != "light" || l.Dark {
		t.Errorf("Default(false) = %q", l.Name)
	}
}

func TestNext(t *testing.T) {
	names := Names()
	seen := map[string]bool{}
	n := names[0]
	for range names {
		if seen[n] {
			t.Fatalf("Next revisits %q before covering all", n)
		}
		seen[n] = true
		n = Next(n)
	}
	if n != names[0] {
		t.Errorf("Next does not wrap: got %q after a full cycle", n)
	}
	if len(seen) != len(names) {
		t.Errorf("cycle covered %d of %d", len(seen), len(names))
	}
	if got := Next(names[len(names)-1]); got != names[0] {
		t.Errorf("Next(last) = %q", got)
	}
	if got := Next("my-custom-theme"); got != names[0] {
		t.Errorf("Next(unknown) = %q, want %q", got, names[0])
	}
}

func TestNoColor(t *testing.T) {
	s := NoColor()
	if !s.NoColor {
		t.Error("NoColor flag not set")
	}
	for name, st := range styleFields(s) {
		got := st.Render("text")
		if seq := colourSGR(got); seq != "" {
			t.Errorf("%s renders colour %q in %q", name, seq, got)
		}
		if strings.Contains(got, "38;") || strings.Contains(got, "48;") || strings.Contains(got, "\x1b[3") {
			t.Errorf("%s renders a colour sequence: %q", name, got)
		}
	}
	if got := s.LogRowSelected.Render("row"); !strings.Contains(got, "\x1b[7m") {
		t.Errorf("selected row not reverse video: %q", got)
	}
	if s.PaneTitle.Render("t") == s.PaneTitleFocused.Render("t") {
		t.Error("focused pane title indistinguishable without colour")
	}
	if s.LogMatch.Render("1") == "1" {
		t.Error("search match invisible without colour")
	}
}

func TestNewFromEmptyPalette(t *testing.T) {
	s := New(Palette{})
	for name, st := range styleFields(s) {
		if seq := colourSGR(st.Render("text")); seq != "" {
			t.Errorf("%s renders colour %q from an empty palette", name, seq)
		}
	}
	if got := s.LogRowSelected.Render("row"); !strings.Contains(got, "\x1b[7m") {
		t.Errorf("selected row with no Selection colour not reverse: %q", got)
	}
}

func TestLayoutMatchesNoColor(t *testing.T) {
	// Switching theme or turning colour off must not move anything.
	nc := styleFields(NoColor())
	for _, name := range Names() {
		p, _ := Builtin(name)
		for field, st := range styleFields(New(p)) {
			x, y := st.GetFrameSize()
			nx, ny := nc[field].GetFrameSize()
			if x != nx || y != ny {
				t.Errorf("%s %s frame %dx%d, NoColor %dx%d", name, field, x, y, nx, ny)
			}
		}
	}
}

func TestColourFieldsCoverPalette(t *testing.T) {
	var p Palette
	fields := colourFields()
	for i, f := range fields {
		*f.ptr(&p) = "#" + strconv.Itoa(100000+i)
	}
	v := reflect.ValueOf(p)
	typ := v.Type()
	seen := map[string]bool{}
	n := 0
	for i := range v.NumField() {
		sf := typ.Field(i)
		if sf.Type.Kind() != reflect.String || sf.Name == "Name" {
			continue
		}
		n++
		val := v.Field(i).String()
		if val == "" || seen[val] {
			t.Errorf("field %s not mapped to its own key", sf.Name)
		}
		seen[val] = true
		idx, _ := strconv.Atoi(val[1:])
		if got, want := fields[idx-100000].key, snake(sf.Name); got != want {
			t.Errorf("field %s has key %q, want %q", sf.Name, got, want)
		}
	}
	if n != len(fields) {
		t.Errorf("%d colour fields in Palette, %d keys", n, len(fields))
	}
}

// snake converts a Go field name such as "JSONKey" or "BorderFocused" to
// snake_case.
func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		upper := c >= 'A' && c <= 'Z'
		if upper && i > 0 {
			prevLower := r[i-1] >= 'a' && r[i-1] <= 'z'
			nextLower := i+1 < len(r) && r[i+1] >= 'a' && r[i+1] <= 'z'
			if prevLower || (nextLower && r[i-1] >= 'A' && r[i-1] <= 'Z') {
				b.WriteByte('_')
			}
		}
		b.WriteString(strings.ToLower(string(c)))
	}
	return b.String()
}

func TestLoadFileExample(t *testing.T) {
	p, err := LoadFile(filepath.Join("testdata", "example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := Builtin("dracula")
	if p.Name != "ocean" || !p.Dark {
		t.Errorf("name/dark = %q/%v", p.Name, p.Dark)
	}
	want := base
	want.Name = "ocean"
	want.Background = ""
	want.BorderFocused = "#7dcfff" // lower-cased
	want.Primary = "#7dcfff"
	want.Send = "#ff9e64"
	want.Recv = "#2ac3de"
	want.JSONKey = "#bb9af7"
	if p != want {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
	if p.Error != base.Error || p.Foreground != base.Foreground {
		t.Error("colours not in the file do not come from the base")
	}
	s := New(p)
	if s.DirSend.Render("x") == New(base).DirSend.Render("x") {
		t.Error("override has no effect on styles")
	}
}

func TestLoadFileDefaults(t *testing.T) {
	path := writeTheme(t, "mine.toml", "[colors]\nsend = \"#010203\"\n")
	p, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dark, _ := Builtin("dark")
	if p.Name != "mine" || p.Dark != dark.Dark || p.Send != "#010203" || p.Recv != dark.Recv {
		t.Errorf("defaults wrong: %+v", p)
	}
	p, err = LoadFile(writeTheme(t, "l.toml", "base = \"light\"\ndark = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	light, _ := Builtin("light")
	if !p.Dark || p.Send != light.Send {
		t.Errorf("base/dark not applied: %+v", p)
	}
}

func writeTheme(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		contains []string
		exact    string
	}{
		{
			name:     "unknown colour key",
			content:  "[colors]\nsend = \"#ffffff\"\nsned = \"#000000\"\n",
			contains: []string{`unknown key "colors.sned"`, "foreground", "border_focused", "json_null"},
		},
		{
			name:     "unknown top-level key",
			content:  "name = \"x\"\nbackground = \"#000000\"\n",
			contains: []string{`unknown key "background"`, "name, base, dark, colors"},
		},
		{
			name:     "unknown table",
			content:  "[colours]\nsend = \"#000000\"\n",
			contains: []string{`unknown key "colours`, "name, base, dark, colors"},
		},
		{
			name:    "colour name",
			content: "[colors]\nsend = \"red\"\n",
			exact:   `colors.send: "red" is not a #rrggbb colour`,
		},
		{
			name:    "bad hex digit",
			content: "[colors]\njson_key = \"#12345g\"\n",
			exact:   `colors.json_key: "#12345g" is not a #rrggbb colour`,
		},
		{
			name:     "syntax error",
			content:  "name = \"x\"\n[colors]\nsend = \"#ffffff\nrecv = \"#000000\"\n",
			contains: []string{"line 3"},
		},
		{
			name:     "wrong type",
			content:  "name = \"x\"\n\n[colors]\nsend = 5\n",
			contains: []string{"line 4", "colors.send"},
		},
		{
			name:     "unknown base",
			content:  "base = \"solarized\"\n",
			contains: []string{`base: "solarized" is not a built-in theme`, "catppuccin-mocha, dark, dracula"},
		},
		{
			name:     "control characters in name",
			content:  "name = \"evil\\u001b[2J\"\n",
			contains: []string{"control characters"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTheme(t, "t.toml", tc.content)
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if !strings.HasPrefix(msg, "theme "+path+": ") {
				t.Errorf("error lacks the theme PATH: prefix: %q", msg)
			}
			if tc.exact != "" && msg != "theme "+path+": "+tc.exact {
				t.Errorf("error = %q\nwant    %q", msg, "theme "+path+": "+tc.exact)
			}
			for _, c := range tc.contains {
				if !strings.Contains(msg, c) {
					t.Errorf("error %q lacks %q", msg, c)
				}
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	_, err := LoadFile(path)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error = %q", err)
	}
	if strings.Count(err.Error(), path) != 1 {
		t.Errorf("path repeated: %q", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error does not wrap fs.ErrNotExist: %v", err)
	}
}
