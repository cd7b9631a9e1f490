package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Compare reports how actual differs from expected. JSON payloads are
// compared structurally (key order and spacing do not matter) after
// dropping the ignored fields; anything else byte for byte. Each
// difference is one line.
//
// An ignore path is dotted from the root ("data.id"), or a bare name
// ("timestamp") that matches that key at any depth.
func Compare(expected, actual []byte, ignore []string) []string {
	var e, a any
	if json.Valid(expected) && json.Valid(actual) && decode(expected, &e) == nil && decode(actual, &a) == nil {
		e, a = strip(e, ignore, ""), strip(a, ignore, "")
		var out []string
		diffJSON("$", e, a, &out)
		return out
	}
	if bytes.Equal(expected, actual) {
		return nil
	}
	return []string{fmt.Sprintf("payload: expected %s, got %s", quote(expected), quote(actual))}
}

func decode(b []byte, v *any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// strip removes ignored fields from v; path is v's dotted path.
func strip(v any, ignore []string, path string) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if ignored(p, k, ignore) {
				continue
			}
			out[k] = strip(val, ignore, p)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = strip(val, ignore, path)
		}
		return out
	}
	return v
}

func ignored(path, key string, ignore []string) bool {
	for _, ig := range ignore {
		ig = strings.TrimPrefix(strings.TrimPrefix(ig, "$."), ".")
		if ig == path || (!strings.Contains(ig, ".") && ig == key) {
			return true
		}
	}
	return false
}

func diffJSON(path string, e, a any, out *[]string) {
	if len(*out) >= 20 {
		return // enough to see what is wrong
	}
	switch et := e.(type) {
	case map[string]any:
		at, ok := a.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: expected an object, got %s", path, short(a)))
			return
		}
		keys := map[string]bool{}
		for k := range et {
			keys[k] = true
		}
		for k := range at {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			ev, inE := et[k]
			av, inA := at[k]
			switch {
			case !inA:
				*out = append(*out, fmt.Sprintf("%s.%s: missing (expected %s)", path, k, short(ev)))
			case !inE:
				*out = append(*out, fmt.Sprintf("%s.%s: unexpected %s", path, k, short(av)))
			default:
				diffJSON(path+"."+k, ev, av, out)
			}
		}
	case []any:
		at, ok := a.([]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: expected an array, got %s", path, short(a)))
			return
		}
		if len(et) != len(at) {
			*out = append(*out, fmt.Sprintf("%s: expected %d elements, got %d", path, len(et), len(at)))
		}
		for i := 0; i < min(len(et), len(at)); i++ {
			diffJSON(fmt.Sprintf("%s[%d]", path, i), et[i], at[i], out)
		}
	default:
		if fmt.Sprint(e) != fmt.Sprint(a) || fmt.Sprintf("%T", e) != fmt.Sprintf("%T", a) {
			*out = append(*out, fmt.Sprintf("%s: expected %s, got %s", path, short(e), short(a)))
		}
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	return quote(b)
}

func quote(b []byte) string {
	s := string(b)
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
