// Package textout holds the plain-text output helpers shared by the command
// line (backend/cli) and the launcher's warm path (backend/tokens/warm), so
// both print the same bytes. It imports nothing heavier than text/tabwriter.
package textout

import (
	"bytes"
	"encoding/json"
	"io"
	"text/tabwriter"
)

// NewTable is the tabwriter every table uses, writing to w; its lines lose
// the blanks an empty last column would leave.
func NewTable(w io.Writer, flags uint) *tabwriter.Writer {
	return tabwriter.NewWriter(&trimWriter{w: w}, 0, 0, 2, ' ', flags)
}

// trimWriter drops the spaces that end a line.
type trimWriter struct {
	w       io.Writer
	pending []byte
}

func (t *trimWriter) Write(p []byte) (int, error) {
	t.pending = append(t.pending, p...)
	for {
		i := bytes.IndexByte(t.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := bytes.TrimRight(t.pending[:i], " ")
		if _, err := t.w.Write(append(line, '\n')); err != nil {
			return 0, err
		}
		t.pending = t.pending[i+1:]
	}
}

// WriteJSON writes compact JSON to w indented by two spaces, with a final
// newline: what every --json answer looks like.
func WriteJSON(w io.Writer, compact []byte) error {
	var out bytes.Buffer
	out.Grow(2*len(compact) + 1) // indentation roughly doubles it; grown once, not step by step
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}
