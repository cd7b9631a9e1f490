package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wscope/wscope/diagnose"
	"github.com/wscope/wscope/doctor"
	"github.com/wscope/wscope/termsafe"
)

// explainOptions is what `wscope explain` was asked, parsed.
type explainOptions struct {
	ID   string // "" lists the ids
	JSON bool
}

// findingCatalogue is where explain reads: the diagnosis catalogue, then
// the ids only the doctor makes.
type findingCatalogue struct {
	explain func(id string) (string, bool)
	ids     func() []string
}

func defaultCatalogue() findingCatalogue {
	return findingCatalogue{
		explain: func(id string) (string, bool) {
			if t, ok := diagnose.Explain(id); ok {
				return t, true
			}
			return doctor.Explain(id)
		},
		ids: func() []string {
			ids := append(diagnose.IDs(), doctor.IDs()...)
			sort.Strings(ids)
			return slices.Compact(ids)
		},
	}
}

func newExplainCmd(env Env, runF func(*explainOptions) error) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "explain [ID]",
		Short: "Print the full text of a finding: what it means, how to confirm it, the fix per proxy",
		Long: "explain prints what a finding id (as probe, compare and doctor report them) means, how to confirm\n" +
			"it, and its fix for each proxy, CDN or app that has one. Without an id it lists the ids.",
		Example: "  wscope explain                     # every finding id\n" +
			"  wscope explain upgrade-rejected\n" +
			"  wscope explain idle-timeout --json",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := &explainOptions{JSON: asJSON}
			if len(args) == 1 {
				o.ID = strings.TrimSpace(args[0])
			}
			if runF != nil {
				return runF(o)
			}
			return explainRun(env, o, defaultCatalogue())
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the id list, or the finding's meaning, check and fixes)")
	return cmd
}

func explainRun(env Env, o *explainOptions, cat findingCatalogue) error {
	ids := cat.ids()
	if o.ID == "" {
		if o.JSON {
			return writeJSON(env, ids)
		}
		for _, id := range ids {
			fmt.Fprintf(env.Stdout, "%-28s %s\n", id, titleOf(id, cat))
		}
		return nil
	}
	text, ok := cat.explain(o.ID)
	if !ok {
		msg := fmt.Sprintf("unknown finding id %q.", o.ID)
		if s := suggest(o.ID, ids); s != "" {
			msg = fmt.Sprintf("unknown finding id %q: did you mean %q?", o.ID, s)
		}
		return usageErr("%s Known ids: %s (wscope explain lists them with their titles)", msg, strings.Join(ids, ", "))
	}
	if o.JSON {
		if e, ok := diagnose.Lookup(o.ID); ok {
			return writeJSON(env, e)
		}
		return writeJSON(env, map[string]string{"id": o.ID, "text": text})
	}
	_, err := fmt.Fprint(env.Stdout, termsafe.Block(text))
	return err
}

// titleOf is a finding's title: the first line of its text reads
// "id (severity): Title".
func titleOf(id string, cat findingCatalogue) string {
	text, ok := cat.explain(id)
	if !ok {
		return ""
	}
	first, _, _ := strings.Cut(text, "\n")
	if _, title, ok := strings.Cut(first, "): "); ok {
		return title
	}
	return ""
}

func writeJSON(env Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// suggest is the known id closest to a mistyped one: one that contains it
// or is contained in it, else the smallest edit distance within a third of
// its length.
func suggest(id string, ids []string) string {
	id = strings.ToLower(id)
	best, bestD := "", len(id)/3+2
	for _, k := range ids {
		if strings.Contains(k, id) || strings.Contains(id, k) {
			return k
		}
		if d := editDistance(id, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
