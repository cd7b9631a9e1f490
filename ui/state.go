package ui

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
)

// maxRecent bounds the recent targets kept.
const maxRecent = 20

// persisted is what wscope remembers between runs, in the XDG state dir.
type persisted struct {
	Recent  []string `json:"recent"`
	History []string `json:"history"`
}

// StateDir is where wscope keeps its state: $XDG_STATE_HOME/wscope, else
// ~/.local/state/wscope. Empty when neither can be found.
func StateDir(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "wscope")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "wscope")
	}
	return ""
}

// stateLoadedMsg carries the state read at start.
type stateLoadedMsg struct {
	state persisted
	err   error
}

// stateSavedMsg reports a failed save (success is silent).
type stateSavedMsg struct{ err error }

func loadStateCmd(dir string) tea.Cmd {
	if dir == "" {
		return nil
	}
	return func() tea.Msg {
		data, err := os.ReadFile(filepath.Join(dir, "state.json"))
		if errors.Is(err, fs.ErrNotExist) {
			return stateLoadedMsg{}
		}
		if err != nil {
			return stateLoadedMsg{err: err}
		}
		var st persisted
		if err := json.Unmarshal(data, &st); err != nil {
			return stateLoadedMsg{err: errors.New("state.json is damaged; starting fresh (" + err.Error() + ")")}
		}
		return stateLoadedMsg{state: st}
	}
}

// saveStateCmd writes a snapshot atomically (temp file, then rename), 0600:
// the history may hold tokens the user typed.
func saveStateCmd(dir string, st persisted) tea.Cmd {
	if dir == "" {
		return nil
	}
	st.Recent = append([]string(nil), st.Recent...)
	st.History = append([]string(nil), st.History...)
	return func() tea.Msg {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return stateSavedMsg{err: err}
		}
		data, _ := json.Marshal(st)
		tmp, err := os.CreateTemp(dir, "state-*.json")
		if err != nil {
			return stateSavedMsg{err: err}
		}
		_, werr := tmp.Write(data)
		cerr := tmp.Close()
		if werr != nil || cerr != nil {
			os.Remove(tmp.Name())
			return stateSavedMsg{err: errors.Join(werr, cerr)}
		}
		if err := os.Chmod(tmp.Name(), 0o600); err != nil {
			os.Remove(tmp.Name())
			return stateSavedMsg{err: err}
		}
		if err := os.Rename(tmp.Name(), filepath.Join(dir, "state.json")); err != nil {
			os.Remove(tmp.Name())
			return stateSavedMsg{err: err}
		}
		return nil
	}
}

// addRecent puts url first in the list, without duplicates.
func addRecent(list []string, url string) []string {
	out := []string{url}
	for _, u := range list {
		if u != url && len(out) < maxRecent {
			out = append(out, u)
		}
	}
	return out
}
