package line

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestReadSessionDoesNotBlock(t *testing.T) {
	r, wr := io.Pipe() // a writer that never writes nor closes
	defer wr.Close()
	start := time.Now()
	s := ReadSession(r, 50*time.Millisecond)
	if s.SessionID != "" || time.Since(start) > 5*time.Second {
		t.Fatalf("got %+v after %v", s, time.Since(start))
	}
	if tty, err := os.Open("/dev/tty"); err == nil { // a terminal is not read at all
		defer tty.Close()
		if s := ReadSession(tty, time.Hour); s.SessionID != "" {
			t.Fatalf("got %+v", s)
		}
	}
	if s := ReadSession(nil, time.Hour); s.SessionID != "" {
		t.Fatalf("no stdin: %+v", s)
	}
	s = ReadSession(strings.NewReader(`{"session_id":"abc","model":"not an object","cost":{"total_cost_usd":1.5}}`), time.Second)
	if s.SessionID != "abc" || s.Cost.TotalCostUSD == nil || *s.Cost.TotalCostUSD != 1.5 {
		t.Fatalf("a field of the wrong type should lose only itself: %+v", s)
	}
	s = ReadSession(strings.NewReader(`{"session_id":"abc","model":{"id":"m"},"extra":{"x":[1]}}`), time.Second)
	if s.SessionID != "abc" || s.Model.ID != "m" {
		t.Fatalf("got %+v", s)
	}
}

// Whatever arrives on stdin, parsing returns (no panic) and the line made
// with it is one line of valid UTF-8 when the input was.
func FuzzParseSession(f *testing.F) {
	for _, seed := range []string{``, `{}`, `null`, `[]`, `"x"`, `{"session_id":"s","model":{"id":"m","display_name":"Opus 5"},"cost":{"total_cost_usd":1.23}}`,
		`{"model":"x","cost":{"total_cost_usd":"1"}}`, `{"cost":{"total_cost_usd":1e308}}`, "\x00\xffnot json {{{", `{"model":{"display_name":"a\nb"}}`} {
		f.Add([]byte(seed))
	}
	snap := &Snapshot{Now: time.Unix(0, 0), Accounts: 1, Account: &Account{Label: "work"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := ParseSession(data)
		if !json.Valid(data) && s != (Session{}) && !strings.HasPrefix(strings.TrimSpace(string(data)), "{") {
			t.Fatalf("not an object, yet %+v", s)
		}
		line := Render(snap, s, Style{Format: "{account} {model} {session_cost}"})
		if utf8.Valid(data) && !utf8.ValidString(line) {
			t.Fatalf("invalid UTF-8 in %q", line)
		}
		if strings.ContainsAny(line, "\r\n\x1b") {
			t.Fatalf("a control character from the session reached the line: %q", line)
		}
	})
}
