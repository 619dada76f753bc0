package tokens

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseLine checks what must hold for any line, however broken: no
// panic; only valid JSON counts; counts stay in range; and surrounding
// whitespace changes nothing. Seeds: every case of the ccusage table, the
// realistic lines the tests use, and testdata/fuzz/FuzzParseLine.
func FuzzParseLine(f *testing.F) {
	seeds := []string{
		line("", "", basicUsage),
		line("", "", basicUsage+`,"cache_creation_input_tokens":50,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":20}`),
		line("", "", basicUsage+`,"speed":"fast","iterations":[{"type":"advisor_message","model":"claude-opus-4-6","input_tokens":9,"output_tokens":8}]`),
		line(`"x":"\ud83d\ude80 é \"q\" \\ \/ \b\f\n\r\t"`, "", basicUsage),
		line(`"costUSD":1.5e-3`, `"content":[{"type":"tool_use","input":{"a":[1,-2.5e+3,true,false,null,{}]}}]`, basicUsage),
		`{"type":"progress","sessionId":"s1","data":{"message":{` + tsOK + `,"requestId":"r9","isSidechain":true,"message":{"usage":{"input_tokens":4,"output_tokens":40},"model":"m","id":"m9"}}},` + tsOK + `}`,
		msg{id: "msg_1", req: "r1", at: t0, in: 1, out: 2, cw: 3, cr: 4, text: "a\tb\nc \"d\" → ✓"}.line(),
		userLine(3),
		`{"usage":{}}`,
		`[]`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		got := ParseLine(nil, line)
		if len(got) == 0 {
			return
		}
		if !json.Valid(line) {
			t.Fatalf("counted a line that is not JSON: %q", line)
		}
		for _, e := range got {
			u := e.Usage
			for _, n := range []int64{u.Input, u.Output, u.CacheCreation, u.CacheRead, u.CacheCreate1h} {
				if n < 0 || n > 2*maxTokens {
					t.Fatalf("count out of range: %+v", e)
				}
			}
			if u.CacheCreate1h > u.CacheCreation {
				t.Fatalf("1-hour cache writes exceed all cache writes: %+v", e)
			}
			if e.Time == badTime {
				t.Fatalf("counted without a time: %+v", e)
			}
		}
		padded := append(append([]byte(" \t"), line...), "\r "...)
		again := ParseLine(nil, padded)
		if len(again) != len(got) {
			t.Fatalf("whitespace changed the result: %d vs %d entries", len(again), len(got))
		}
		for i := range got {
			if again[i] != got[i] {
				t.Fatalf("whitespace changed entry %d: %+v vs %+v", i, again[i], got[i])
			}
		}
		// A line cut anywhere is never counted (it cannot be valid JSON
		// object followed by nothing, unless the cut only drops whitespace).
		trimmed := bytes.TrimRight(line, " \t\r\n")
		if cut := len(trimmed) - 1; cut > 0 && strings.TrimSpace(string(trimmed[:cut])) != "" {
			if n := len(ParseLine(nil, trimmed[:cut])); n != 0 && !json.Valid(trimmed[:cut]) {
				t.Fatalf("counted a cut line: %q", trimmed[:cut])
			}
		}
	})
}
