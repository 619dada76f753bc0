package tokens

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	tsOK  = `"timestamp":"2025-06-01T10:00:00.000Z"`
	hdr   = `"sessionId":"s1","version":"2.1.3","type":"assistant",` + tsOK + `,"requestId":"r1"`
	model = `"model":"claude-sonnet-4-5-20250929"`
)

func line(top, msg, usage string) string {
	if top != "" {
		top = "," + top
	}
	if msg != "" {
		msg = "," + msg
	}
	return fmt.Sprintf(`{%s%s,"message":{"id":"m1",%s%s,"usage":{%s}}}`, hdr, top, model, msg, usage)
}

const basicUsage = `"input_tokens":1,"output_tokens":2`

// Each case was run through ccusage 20.0.24 (`daily --json --offline -z UTC`)
// and its verdict recorded here: counted or not, and with which tokens.
func TestParseLineFollowsCcusage(t *testing.T) {
	cases := []struct {
		name  string
		line  string
		count bool
		usage Usage
		model string
	}{
		{"plain", line("", "", basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"missing output_tokens", line("", "", `"input_tokens":1`), false, Usage{}, ""},
		{"missing input_tokens", line("", "", `"output_tokens":7`), false, Usage{}, ""},
		{"cache split wins over the total", line("", "", basicUsage+`,"cache_creation_input_tokens":50,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":20}`), true,
			Usage{Input: 1, Output: 2, CacheCreation: 120, CacheCreate1h: 20}, "claude-sonnet-4-5-20250929"},
		{"empty cache split counts zero", line("", "", basicUsage+`,"cache_creation_input_tokens":50,"cache_creation":{}`), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"null cache split falls back", line("", "", basicUsage+`,"cache_creation_input_tokens":50,"cache_creation":null`), true, Usage{Input: 1, Output: 2, CacheCreation: 50}, "claude-sonnet-4-5-20250929"},
		{"cache split of the wrong type", line("", "", basicUsage+`,"cache_creation":5`), false, Usage{}, ""},
		{"cache read null", line("", "", basicUsage+`,"cache_read_input_tokens":null`), false, Usage{}, ""},
		{"requestId null", strings.Replace(line("", "", basicUsage), `"requestId":"r1"`, `"requestId":null`, 1), false, Usage{}, ""},
		{"model null", strings.Replace(line("", "", basicUsage), model, `"model":null`, 1), false, Usage{}, ""},
		{"no model", strings.Replace(line("", "", basicUsage), model+",", "", 1), true, Usage{Input: 1, Output: 2}, ""},
		{"synthetic model", strings.Replace(line("", "", basicUsage), model, `"model":"<synthetic>"`, 1), true, Usage{Input: 1, Output: 2}, ""},
		{"empty model", strings.Replace(line("", "", basicUsage), model, `"model":""`, 1), false, Usage{}, ""},
		{"bad version", strings.Replace(line("", "", basicUsage), `"2.1.3"`, `"abc"`, 1), false, Usage{}, ""},
		{"two-part version", strings.Replace(line("", "", basicUsage), `"2.1.3"`, `"1.0"`, 1), false, Usage{}, ""},
		{"prerelease version", strings.Replace(line("", "", basicUsage), `"2.1.3"`, `"2.1.3-beta"`, 1), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"user type is not checked", strings.Replace(line("", "", basicUsage), `"assistant"`, `"user"`, 1), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"spaced usage key is not seen", strings.Replace(line("", "", basicUsage), `"usage":{`, `"usage": {`, 1), false, Usage{}, ""},
		{"float tokens", line("", "", `"input_tokens":1.0,"output_tokens":2`), false, Usage{}, ""},
		{"negative tokens", line("", "", `"input_tokens":-5,"output_tokens":2`), false, Usage{}, ""},
		{"string tokens", line("", "", `"input_tokens":"5","output_tokens":2`), false, Usage{}, ""},
		{"exponent tokens", line("", "", `"input_tokens":1e3,"output_tokens":2`), false, Usage{}, ""},
		{"duplicate usage key", line("", "", `"input_tokens":5,"input_tokens":7,"output_tokens":2`), false, Usage{}, ""},
		{"duplicate message", line(`"message":{"usage":{"input_tokens":1,"output_tokens":1}}`, "", basicUsage), false, Usage{}, ""},
		{"escaped duplicate of model", line("", `"mod\u0065l":null`, basicUsage), false, Usage{}, ""},
		{"escaped key", line("", "", `"input_token\u0073":1,"output_tokens":2`), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"trailing garbage", line("", "", basicUsage) + "xx", false, Usage{}, ""},
		{"two objects", line("", "", basicUsage) + " {}", false, Usage{}, ""},
		{"surrounding whitespace and CR", " " + line("", "", basicUsage) + "\r", true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"control byte after", line("", "", basicUsage) + "\x01", false, Usage{}, ""},
		{"tab inside a string", line(`"x":"a`+"\t"+`b"`, "", basicUsage), false, Usage{}, ""},
		{"DEL inside a string", line(`"x":"a`+"\x7f"+`b"`, "", basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"invalid UTF-8", line(`"x":"a`+"\xff"+`b"`, "", basicUsage), false, Usage{}, ""},
		{"bad escape", line(`"x":"a\qb"`, "", basicUsage), false, Usage{}, ""},
		{"lone surrogate", line(`"x":"\ud800"`, "", basicUsage), false, Usage{}, ""},
		{"surrogate pair", line(`"x":"\ud83d\ude80"`, "", basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"leading zero", line(`"x":01`, "", basicUsage), false, Usage{}, ""},
		{"bare fraction point", line(`"x":1.`, "", basicUsage), false, Usage{}, ""},
		{"number out of range", line(`"x":1e999`, "", basicUsage), false, Usage{}, ""},
		{"minus zero and exponent", line(`"x":-0,"y":1.5e+3`, "", basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"trailing comma", line("", "", basicUsage+","), false, Usage{}, ""},
		{"nesting 127 deep", line(`"x":`+strings.Repeat("[", 126)+strings.Repeat("]", 126), "", basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"nesting 128 deep", line(`"x":`+strings.Repeat("[", 127)+strings.Repeat("]", 127), "", basicUsage), false, Usage{}, ""},
		{"null id nested anywhere", line("", `"content":[{"type":"tool_use","input":{"id":null}}]`, basicUsage), false, Usage{}, ""},
		{"null id inside a string", line("", `"content":[{"type":"text","text":"x {\"id\":null}"}]`, basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"null sidechain", line(`"isSidechain":null`, "", basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"sidechain of the wrong type", line(`"isSidechain":"yes"`, "", basicUsage), false, Usage{}, ""},
		{"message id number", strings.Replace(line("", "", basicUsage), `"id":"m1"`, `"id":5`, 1), false, Usage{}, ""},
		{"null timestamp", strings.Replace(line("", "", basicUsage), tsOK, `"timestamp":null`, 1), false, Usage{}, ""},
		{"null usage input", line("", "", `"input_tokens":null,"output_tokens":2`), false, Usage{}, ""},
		{"unknown null in usage", line("", "", basicUsage+`,"service_tier":null,"server_tool_use":null`), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"cwd of another type", line(`"cwd":5`, "", basicUsage), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"null cwd", line(`"cwd":null`, "", basicUsage), false, Usage{}, ""},
		{"costUSD of the wrong type", line(`"costUSD":"5"`, "", basicUsage), false, Usage{}, ""},
		{"fast mode", line("", "", basicUsage+`,"speed":"fast"`), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929-fast"},
		{"standard speed", line("", "", basicUsage+`,"speed":"standard"`), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"unknown speed", line("", "", basicUsage+`,"speed":"turbo"`), false, Usage{}, ""},
		{"null speed", line("", "", basicUsage+`,"speed":null`), false, Usage{}, ""},
		{"null model in iterations", line("", "", basicUsage+`,"iterations":[{"type":"message","model":null,"input_tokens":2,"output_tokens":289}]`), true, Usage{Input: 1, Output: 2}, "claude-sonnet-4-5-20250929"},
		{"empty session", strings.Replace(line("", "", basicUsage), `"sessionId":"s1"`, `"sessionId":""`, 1), false, Usage{}, ""},
		{"not an object", `[1,2,{"usage":{"input_tokens":1}}]`, false, Usage{}, ""},
		{"progress line", `{"type":"progress","sessionId":"s1","version":"bad","data":{"message":{` + tsOK + `,"requestId":"r9","isSidechain":true,"message":{"usage":{"input_tokens":4,"output_tokens":40},"model":"claude-sonnet-4-5-20250929","id":"m9"}}},` + tsOK + `}`,
			true, Usage{Input: 4, Output: 40}, "claude-sonnet-4-5-20250929"},
		{"progress with empty requestId", `{"sessionId":"s1","data":{"message":{` + tsOK + `,"requestId":"","message":{"usage":{"input_tokens":4,"output_tokens":40},"id":"m9"}}}}`, false, Usage{}, ""},
		{"progress with numeric session", `{"sessionId":5,"data":{"message":{` + tsOK + `,"requestId":"r","message":{"usage":{"input_tokens":4,"output_tokens":40},"id":"m9"}}}}`, false, Usage{}, ""},
		{"string message falls back to progress", `{"sessionId":"s1",` + tsOK + `,"message":"hi","data":{"message":{` + tsOK + `,"requestId":"r9","message":{"usage":{"input_tokens":4,"output_tokens":40},"id":"m9"}}}}`,
			true, Usage{Input: 4, Output: 40}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ParseLine(nil, []byte(c.line))
			if !c.count {
				if len(got) != 0 {
					t.Fatalf("counted %+v, want skipped", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d entries, want 1", len(got))
			}
			if got[0].Usage != c.usage || got[0].Model != c.model {
				t.Fatalf("got %+v model %q, want %+v model %q", got[0].Usage, got[0].Model, c.usage, c.model)
			}
		})
	}
}

func TestParseLineFields(t *testing.T) {
	l := `{"parentUuid":null,"isSidechain":true,"cwd":"/home/me/my-app","sessionId":"s-1","version":"2.0.14",` +
		`"message":{"model":"claude-opus-4-1-20250805","id":"msg_01","type":"message","role":"assistant","content":[{"type":"text","text":"h\u00e9llo \"q\""}],` +
		`"stop_reason":null,"usage":{"input_tokens":3,"cache_creation_input_tokens":10,"cache_read_input_tokens":20,"output_tokens":4}},` +
		`"requestId":"req_1","costUSD":0.25,"type":"assistant","timestamp":"2025-06-01T23:30:00.123-02:00"}`
	got := ParseLine(nil, []byte(l))
	if len(got) != 1 {
		t.Fatalf("got %d entries", len(got))
	}
	want := Entry{MessageID: "msg_01", RequestID: "req_1", HasRequestID: true, SessionID: "s-1", Model: "claude-opus-4-1-20250805",
		Time: 1748827800123, Sidechain: true, Usage: Usage{Input: 3, Output: 4, CacheCreation: 10, CacheRead: 20},
		CostUSD: 0.25, HasCost: true, Cwd: "/home/me/my-app"}
	if got[0] != want {
		t.Fatalf("got  %+v\nwant %+v", got[0], want)
	}
}

func TestParseLineAdvisorIterations(t *testing.T) {
	l := line("", "", `"input_tokens":2,"output_tokens":10,"iterations":[{"type":"message","input_tokens":2,"output_tokens":10},`+
		`{"type":"advisor_message","model":"claude-opus-4-6","input_tokens":1000,"output_tokens":100,"cache_read_input_tokens":5},`+
		`{"type":"advisor_message","model":"","input_tokens":1,"output_tokens":1},`+
		`{"type":"advisor_message","model":"claude-haiku-4-5","input_tokens":7,"output_tokens":8}]`)
	got := ParseLine(nil, []byte(l))
	if len(got) != 3 {
		t.Fatalf("got %d entries, want 3: %+v", len(got), got)
	}
	if got[1].MessageID != "m1:advisor:0" || got[1].Model != "claude-opus-4-6" || got[1].Usage != (Usage{Input: 1000, Output: 100, CacheRead: 5}) {
		t.Fatalf("advisor 0: %+v", got[1])
	}
	if got[2].MessageID != "m1:advisor:1" || got[2].Model != "claude-haiku-4-5" || got[2].RequestID != "r1" {
		t.Fatalf("advisor 1: %+v", got[2])
	}
	// One malformed iteration voids the advisors but not the response.
	bad := strings.Replace(l, `{"type":"message","input_tokens":2,"output_tokens":10}`, `{"type":"message","input_tokens":2}`, 1)
	if got := ParseLine(nil, []byte(bad)); len(got) != 1 {
		t.Fatalf("malformed iteration: got %d entries, want 1", len(got))
	}
}

// Timestamps: the accepted forms were found by running ccusage on each.
func TestParseTimestamp(t *testing.T) {
	cases := []struct {
		in   string
		want string // RFC 3339 in UTC, "" when refused
	}{
		{"2025-06-01T10:00:00.000Z", "2025-06-01T10:00:00Z"},
		{"2025-06-01T10:00:00Z", "2025-06-01T10:00:00Z"},
		{"2025-06-01T10:00:00.123Z", "2025-06-01T10:00:00.123Z"},
		{"2025-06-01T23:30:00-02:00", "2025-06-02T01:30:00Z"},
		{"2025-06-01T10:00:00+23:59", "2025-05-31T10:01:00Z"},
		{"2025-06-01T10:00:00-00:00", "2025-06-01T10:00:00Z"},
		{"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
		{"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2025-02-29T00:00:00Z", ""},
		{"2025-02-30T10:00:00Z", ""},
		{"2025-06-01T10:00:00.1Z", ""},
		{"2025-06-01T10:00:00.123456Z", ""},
		{"2025-06-01T10:00:00.Z", ""},
		{"2025-06-01T10:00:00+0200", ""},
		{"2025-06-01T10:00:00+02", ""},
		{"2025-06-01T10:00:00+24:00", ""},
		{"2025-06-01T10:00Z", ""},
		{"2025-06-01T10:00:00z", ""},
		{"2025-06-01t10:00:00Z", ""},
		{"2025-06-01 10:00:00Z", ""},
		{"2025-06-01T24:00:00Z", ""},
		{"2025-06-01T10:00:60Z", ""},
		{"2025-6-01T10:00:00Z", ""},
		{"+2025-06-01T10:00:00Z", ""},
		{"2025-06-01T23:30:00", ""},
		{"2025-06-01", ""},
	}
	for _, c := range cases {
		got := parseTimestamp([]byte(c.in))
		if c.want == "" {
			if got != badTime {
				t.Errorf("%s: got %d, want refused", c.in, got)
			}
			continue
		}
		if got == badTime {
			t.Errorf("%s: refused, want %s", c.in, c.want)
			continue
		}
		if s := unixMilliUTC(got); s != c.want {
			t.Errorf("%s: got %s, want %s", c.in, s, c.want)
		}
	}
}

func unixMilliUTC(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

func TestSemverPrefix(t *testing.T) {
	for v, want := range map[string]bool{"2.1.3": true, "10.20.300": true, "2.1.3-beta": true, "1.0": false, "abc": false, "": false, "1..2": false, "1.2.x": false, ".1.2": false} {
		if got := semverPrefix(v); got != want {
			t.Errorf("%q: got %v", v, got)
		}
	}
}
