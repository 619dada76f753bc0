package line

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"time"
)

// Session is what Claude Code passes on stdin, reduced to the fields the
// line can show. Every field is optional: Claude Code adds and drops fields
// across versions, and the command also runs by hand with nothing piped in.
type Session struct {
	SessionID      string `json:"session_id"`
	TranscriptPath string `json:"transcript_path"`
	Model          struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	} `json:"model"`
	Cost struct {
		TotalCostUSD *float64 `json:"total_cost_usd"`
	} `json:"cost"`
}

// maxSession bounds what is read from stdin; the real object is a few KB.
const maxSession = 1 << 20

// StdinWait is how long a run waits for the session object by default.
const StdinWait = 500 * time.Millisecond

// ReadInput reads what Claude Code sent on stdin (r), giving up after wait
// (a pipe that nobody closes must not hold the prompt): nil for a terminal,
// no stdin or a wait that ran out. It is parsed only when the format shows
// a field of it (Compose).
func ReadInput(r io.Reader, wait time.Duration) []byte {
	if r == nil {
		return nil
	}
	if f, ok := r.(*os.File); ok {
		fi, err := f.Stat()
		if err != nil || fi.Mode()&os.ModeCharDevice != 0 {
			return nil
		}
	}
	got := make(chan []byte, 1)
	go func() {
		data, _ := io.ReadAll(io.LimitReader(r, maxSession))
		got <- data
	}()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case data := <-got:
		return data
	case <-timer.C:
		return nil
	}
}

// ReadSession is ParseSession(ReadInput(r, wait)). A terminal, an empty or
// missing stdin, and anything that is not a JSON object give a zero
// Session: the line never depends on it.
func ReadSession(r io.Reader, wait time.Duration) Session {
	return ParseSession(ReadInput(r, wait))
}

// ParseSession decodes the session object. Anything that is not a JSON
// object gives a zero Session; a field of an unexpected type loses only
// that field.
func ParseSession(data []byte) Session {
	var s Session
	var typeErr *json.UnmarshalTypeError
	if err := json.Unmarshal(data, &s); err != nil && !errors.As(err, &typeErr) {
		return Session{}
	}
	return s
}
