package diagnose

import (
	"strings"
)

// ResponderFix is one responder's fix for a finding.
type ResponderFix struct {
	Responder Responder `json:"responder"`
	Display   string    `json:"display"` // e.g. "HAProxy"
	Text      string    `json:"text"`
}

// Explanation is the full text of a finding id: what it means, how to
// confirm it, the generic fix and every responder's own fix.
type Explanation struct {
	ID       string         `json:"id"`
	Severity Severity       `json:"severity"`
	Title    string         `json:"title"`
	Meaning  string         `json:"meaning"`
	Confirm  string         `json:"confirm"`
	Generic  string         `json:"generic"`
	Fixes    []ResponderFix `json:"fixes"`
}

// IDs lists every finding id Explain knows, sorted.
func IDs() []string { return Default().IDs() }

// Lookup returns the explanation of a finding id. Fix templates are filled
// with example values (app.example.com, 60 s, /ws).
func Lookup(id string) (Explanation, bool) { return Default().Explain(id) }

// Explain returns the full text of a finding id for people: what it means,
// how to confirm it, and the fix for each proxy, CDN or app that has one.
// ok is false for an unknown id.
func Explain(id string) (text string, ok bool) {
	e, ok := Lookup(id)
	if !ok {
		return "", false
	}
	return e.Text(), true
}

// Explain builds the explanation of id from this catalogue.
func (c *Catalogue) Explain(id string) (Explanation, bool) {
	t, ok := c.findings[id]
	if !ok {
		return Explanation{}, false
	}
	e := Explanation{ID: id, Severity: t.Severity, Title: t.Title, Meaning: trim(t.Meaning),
		Confirm: trim(t.Confirm), Generic: t.GenericFix(sampleData()), Fixes: []ResponderFix{}}
	if t.FixKey != "" {
		for _, r := range c.responders {
			if s, ok := r.RenderFix(t.FixKey, sampleData()); ok {
				e.Fixes = append(e.Fixes, ResponderFix{Responder: Responder{Role: r.Role, Name: r.Name}, Display: r.Display, Text: s})
			}
		}
	}
	return e, true
}

// Text is the explanation as plain text, ready to print.
func (e Explanation) Text() string {
	var b strings.Builder
	b.WriteString(e.ID + " (" + string(e.Severity) + "): " + e.Title + "\n\n")
	section := func(head, body string) {
		if body == "" {
			return
		}
		b.WriteString(head + "\n")
		b.WriteString(indent(body, "  ") + "\n\n")
	}
	section("What it means", e.Meaning)
	section("How to confirm", e.Confirm)
	if len(e.Fixes) == 0 {
		section("Fix", e.Generic)
	} else {
		section("Fix when the responder is not known", e.Generic)
		b.WriteString("Fix by responder (wscope names the one that answered)\n")
		for _, f := range e.Fixes {
			b.WriteString("  " + f.Display + " (" + string(f.Responder.Role) + "):\n")
			b.WriteString(indent(f.Text, "    ") + "\n")
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func trim(s string) string { return strings.TrimSpace(s) }

func indent(s, pfx string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pfx + l
		}
	}
	return strings.Join(lines, "\n")
}
