package themes

import (
	"slices"
	"strings"
)

// builtins returns a fresh map of every built-in palette, keyed by name.
func builtins() map[string]Palette {
	return map[string]Palette{
		"dark":             darkPalette(),
		"light":            lightPalette(),
		"high-contrast":    highContrastPalette(),
		"dracula":          draculaPalette(),
		"catppuccin-mocha": catppuccinMochaPalette(),
	}
}

// Builtin returns the built-in palette called name (case-insensitive,
// surrounding spaces ignored) and whether there is one.
func Builtin(name string) (Palette, bool) {
	p, ok := builtins()[strings.ToLower(strings.TrimSpace(name))]
	return p, ok
}

// Names returns the names of the built-in themes, sorted, for --help and
// for cycling through themes.
func Names() []string {
	m := builtins()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Next returns the built-in theme name that follows name in [Names],
// wrapping from the last to the first. For a name that is not built in
// (such as a custom theme's) it returns the first built-in name.
func Next(name string) string {
	names := Names()
	i := slices.Index(names, strings.ToLower(strings.TrimSpace(name)))
	return names[(i+1)%len(names)] // i == -1 gives names[0]
}

// Default returns the "dark" palette for dark terminal backgrounds and the
// "light" palette otherwise.
func Default(isDark bool) Palette {
	if isDark {
		return darkPalette()
	}
	return lightPalette()
}

// darkPalette is the default for dark terminals. Foreground and background
// are left to the terminal; the accents are in the spirit of One Dark.
func darkPalette() Palette {
	return Palette{
		Name:          "dark",
		Dark:          true,
		Subtle:        "#7f848e",
		Border:        "#4b5263",
		BorderFocused: "#61afef",
		Primary:       "#61afef",
		Secondary:     "#c678dd",
		Accent:        "#e5c07b",
		Success:       "#98c379",
		Warning:       "#e5c07b",
		Error:         "#e06c75",
		Info:          "#56b6c2",
		Send:          "#d19a66",
		Recv:          "#56b6c2",
		Control:       "#c678dd",
		Selection:     "#3e4451",
		SelectionText: "#ffffff",
		JSONKey:       "#61afef",
		JSONString:    "#98c379",
		JSONNumber:    "#d19a66",
		JSONBool:      "#c678dd",
		JSONNull:      "#7f848e",
	}
}

// lightPalette is the default for light terminals. Foreground and
// background are left to the terminal; the accents are in the spirit of
// One Light, darkened where needed to read on white.
func lightPalette() Palette {
	return Palette{
		Name:          "light",
		Dark:          false,
		Subtle:        "#7a7f88",
		Border:        "#b8bcc4",
		BorderFocused: "#4078f2",
		Primary:       "#4078f2",
		Secondary:     "#a626a4",
		Accent:        "#986801",
		Success:       "#3f8f3e",
		Warning:       "#b07400",
		Error:         "#d1382b",
		Info:          "#0184bc",
		Send:          "#c45500",
		Recv:          "#0184bc",
		Control:       "#a626a4",
		Selection:     "#cfdcf5",
		SelectionText: "#1b1b1b",
		JSONKey:       "#4078f2",
		JSONString:    "#3f8f3e",
		JSONNumber:    "#986801",
		JSONBool:      "#a626a4",
		JSONNull:      "#7a7f88",
	}
}

// highContrastPalette uses pure black and white with fully saturated
// accents.
func highContrastPalette() Palette {
	return Palette{
		Name:          "high-contrast",
		Dark:          true,
		Foreground:    "#ffffff",
		Background:    "#000000",
		Subtle:        "#c0c0c0",
		Border:        "#ffffff",
		BorderFocused: "#ffff00",
		Primary:       "#00ffff",
		Secondary:     "#ff00ff",
		Accent:        "#ffff00",
		Success:       "#00ff00",
		Warning:       "#ffff00",
		Error:         "#ff0000",
		Info:          "#00ffff",
		Send:          "#ffff00",
		Recv:          "#00ffff",
		Control:       "#ff00ff",
		Selection:     "#ffffff",
		SelectionText: "#000000",
		JSONKey:       "#00ffff",
		JSONString:    "#00ff00",
		JSONNumber:    "#ffff00",
		JSONBool:      "#ff00ff",
		JSONNull:      "#c0c0c0",
	}
}

// draculaPalette uses the public Dracula palette (draculatheme.com/spec).
func draculaPalette() Palette {
	const (
		background  = "#282a36"
		currentLine = "#44475a"
		foreground  = "#f8f8f2"
		comment     = "#6272a4"
		cyan        = "#8be9fd"
		green       = "#50fa7b"
		orange      = "#ffb86c"
		pink        = "#ff79c6"
		purple      = "#bd93f9"
		red         = "#ff5555"
		yellow      = "#f1fa8c"
	)
	return Palette{
		Name:          "dracula",
		Dark:          true,
		Foreground:    foreground,
		Background:    background,
		Subtle:        comment,
		Border:        comment,
		BorderFocused: purple,
		Primary:       purple,
		Secondary:     pink,
		Accent:        yellow,
		Success:       green,
		Warning:       orange,
		Error:         red,
		Info:          cyan,
		Send:          orange,
		Recv:          cyan,
		Control:       pink,
		Selection:     currentLine,
		SelectionText: foreground,
		JSONKey:       cyan,
		JSONString:    yellow,
		JSONNumber:    purple,
		JSONBool:      pink,
		JSONNull:      comment,
	}
}

// catppuccinMochaPalette uses the public Catppuccin Mocha palette
// (catppuccin.com/palette).
func catppuccinMochaPalette() Palette {
	const (
		mauve    = "#cba6f7"
		red      = "#f38ba8"
		peach    = "#fab387"
		yellow   = "#f9e2af"
		green    = "#a6e3a1"
		teal     = "#94e2d5"
		sky      = "#89dceb"
		sapphire = "#74c7ec"
		blue     = "#89b4fa"
		lavender = "#b4befe"
		text     = "#cdd6f4"
		overlay1 = "#7f849c"
		overlay0 = "#6c7086"
		surface2 = "#585b70"
		surface1 = "#45475a"
		base     = "#1e1e2e"
	)
	return Palette{
		Name:          "catppuccin-mocha",
		Dark:          true,
		Foreground:    text,
		Background:    base,
		Subtle:        overlay1,
		Border:        surface2,
		BorderFocused: lavender,
		Primary:       mauve,
		Secondary:     blue,
		Accent:        teal,
		Success:       green,
		Warning:       yellow,
		Error:         red,
		Info:          sapphire,
		Send:          peach,
		Recv:          sky,
		Control:       mauve,
		Selection:     surface1,
		SelectionText: text,
		JSONKey:       blue,
		JSONString:    green,
		JSONNumber:    peach,
		JSONBool:      mauve,
		JSONNull:      overlay0,
	}
}
