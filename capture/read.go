package capture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxLine bounds one line of a recording: a 64 MiB message in base64 plus
// room for the JSON around it.
const maxLine = 96 << 20

// Recording is a recording read back.
type Recording struct {
	Header   Header
	Events   []Event
	Complete bool     // the trailer was there: the recorder closed properly
	Warnings []string // damaged lines that were skipped, a truncated end
}

// Frames counts the frame lines.
func (r *Recording) Frames() int {
	n := 0
	for i := range r.Events {
		if r.Events[i].IsFrame() {
			n++
		}
	}
	return n
}

// ReadFile reads a recording, or imports a HAR file (chosen by content).
func ReadFile(path string, harEntry string) (*Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", path, err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	if looksLikeHAR(br) {
		return ImportHAR(br, harEntry)
	}
	rec, err := Read(br)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rec, nil
}

// looksLikeHAR peeks at the start: a HAR is one JSON object with "log".
func looksLikeHAR(br *bufio.Reader) bool {
	head, _ := br.Peek(4096)
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	return len(head) > 0 && head[0] == '{' && bytes.Contains(head, []byte(`"log"`)) && !bytes.Contains(head, []byte(`"format"`))
}

// Read parses a recording. A damaged line is skipped with a warning that
// names it; a truncated last line (a crash mid-write) likewise; a header
// from a newer version is refused.
func Read(r io.Reader) (*Recording, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	rec := &Recording{}
	lineNo := 0
	for {
		line, err := readLine(br)
		if len(line) == 0 && err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		lineNo++
		truncated := errors.Is(err, io.EOF) && len(line) > 0 // no final newline
		if lineNo == 1 {
			if err := parseHeader(line, &rec.Header); err != nil {
				return nil, err
			}
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Event
		if jerr := json.Unmarshal(line, &e); jerr != nil {
			if truncated {
				rec.Warnings = append(rec.Warnings, fmt.Sprintf("line %d: truncated last line ignored (the recording was cut off)", lineNo))
			} else {
				rec.Warnings = append(rec.Warnings, fmt.Sprintf("line %d: skipped, not a valid event: %v", lineNo, jerr))
			}
			continue
		}
		if e.IsFrame() {
			if _, perr := e.Payload(); perr != nil {
				rec.Warnings = append(rec.Warnings, fmt.Sprintf("line %d: skipped, bad base64 payload: %v", lineNo, perr))
				continue
			}
		}
		if e.End {
			rec.Complete = true
			continue
		}
		rec.Events = append(rec.Events, e)
		if truncated {
			break
		}
	}
	if lineNo == 0 {
		return nil, errors.New("empty file: not a wscope recording")
	}
	if !rec.Complete {
		rec.Warnings = append(rec.Warnings, "the recording has no end marker: it was cut off (a crash, kill -9 or a full disk) and may lack its last 100 ms")
	}
	return rec, nil
}

func parseHeader(line []byte, h *Header) error {
	if err := json.Unmarshal(line, h); err != nil || h.Format != FormatName {
		return errors.New("not a wscope recording (the first line is not its header); for a browser export use a .har file")
	}
	if h.Version > FormatVersion {
		return fmt.Errorf("recording format version %d is newer than this wscope reads (%d): upgrade wscope", h.Version, FormatVersion)
	}
	if h.Version < 1 {
		return fmt.Errorf("recording format version %d is not valid", h.Version)
	}
	return nil
}

// readLine reads one line without its newline, up to maxLine bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("a line is longer than %d MiB: not a wscope recording", maxLine>>20)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			return line, err
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}
