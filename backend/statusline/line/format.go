package line

import (
	"fmt"
	"strings"
)

// Fields are the {fields} a statusline.format may name.
var Fields = []string{"account", "5h", "7d", "runout", "swap", "marks", "tokens", "cost", "model", "session_cost"}

// DefaultFormat is the built-in statusline.format.
const DefaultFormat = "{account} · {5h} · {7d} · {runout} · {swap} · {marks}"

// ParseFormat splits a statusline.format into the text before the first
// field, (text before, field) pairs and the text after the last field.
// Unknown fields and unbalanced braces are errors.
func ParseFormat(format string) (prefix string, parts [][2]string, suffix string, err error) {
	known := map[string]bool{}
	for _, f := range Fields {
		known[f] = true
	}
	rest, text := format, ""
	first := true
	for {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			text += rest
			break
		}
		if rest[open] == '}' {
			return "", nil, "", fmt.Errorf("a } without its {: %q", format)
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", nil, "", fmt.Errorf("a { without its }: %q", format)
		}
		name := rest[open+1 : open+end]
		if !known[name] {
			return "", nil, "", fmt.Errorf("unknown field {%s}; use %s", name, "{"+strings.Join(Fields, "}, {")+"}")
		}
		text += rest[:open]
		if first {
			prefix, text, first = text, "", false
		}
		parts = append(parts, [2]string{text, name})
		text, rest = "", rest[open+end+1:]
	}
	if first {
		return text, nil, "", nil
	}
	return prefix, parts, text, nil
}

// WantsTokens: the format shows today's tokens or cost, which the ledger
// must be summed for.
func (st Style) WantsTokens() bool {
	return strings.Contains(st.Format, "{tokens}") || strings.Contains(st.Format, "{cost}")
}

// showsSession: the format shows a field of the session object.
func (st Style) showsSession() bool {
	return strings.Contains(st.Format, "{model}") || strings.Contains(st.Format, "{session_cost}")
}
