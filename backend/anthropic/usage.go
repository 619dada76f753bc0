package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Window is one usage window (five hours, seven days, ...).
type Window struct {
	// Utilization is the percentage used, normally 0..100, kept as sent.
	Utilization float64 `json:"utilization"`
	// ResetsAt is when the window resets; nil when unknown (null, absent or
	// unreadable), never a zero or invented time.
	ResetsAt *time.Time `json:"resets_at"`
}

// Limit is one entry of the newer "limits" list. Its exact shape is not
// documented, so every field is optional and read leniently.
type Limit struct {
	Kind     string     `json:"kind"`
	Group    string     `json:"group"`
	Percent  *float64   `json:"percent"`
	ResetsAt *time.Time `json:"resets_at"`
	// Scope is the scope as sent: a string, or compact JSON if it was
	// anything else.
	Scope    string `json:"scope"`
	IsActive bool   `json:"is_active"`
}

// ExtraUsage is the pay-as-you-go credit pool; amounts are in cents.
type ExtraUsage struct {
	IsEnabled    bool     `json:"is_enabled"`
	MonthlyLimit *float64 `json:"monthly_limit"`
	UsedCredits  *float64 `json:"used_credits"`
	Utilization  *float64 `json:"utilization"`
	Currency     string   `json:"currency"`
}

// Usage is the answer of GET /api/oauth/usage. A nil window means the
// endpoint sent null or left it out.
type Usage struct {
	FiveHour          *Window     `json:"five_hour"`
	SevenDay          *Window     `json:"seven_day"`
	SevenDayOpus      *Window     `json:"seven_day_opus"`
	SevenDaySonnet    *Window     `json:"seven_day_sonnet"`
	SevenDayOAuthApps *Window     `json:"seven_day_oauth_apps"`
	Limits            []Limit     `json:"limits,omitempty"`
	ExtraUsage        *ExtraUsage `json:"extra_usage"`
	// OtherWindows holds windows under names this version does not know
	// (Anthropic adds them from time to time, e.g. "seven_day_sonnet_max"):
	// any top-level object with a "utilization" member.
	OtherWindows map[string]Window `json:"other_windows,omitempty"`
}

var errNotObject = errors.New("expected a JSON object")

// DecodeUsage parses a usage answer. It tolerates nulls, missing and unknown
// fields; it fails (wrapping ErrMalformed) only when the JSON is broken or a
// known field has an impossible type.
func DecodeUsage(body []byte) (*Usage, error) {
	var top map[string]json.RawMessage
	if err := decodeObject(body, &top); err != nil {
		return nil, malformed("usage", err)
	}
	u := &Usage{}
	known := []struct {
		name string
		dst  **Window
	}{
		{"five_hour", &u.FiveHour},
		{"seven_day", &u.SevenDay},
		{"seven_day_opus", &u.SevenDayOpus},
		{"seven_day_sonnet", &u.SevenDaySonnet},
		{"seven_day_oauth_apps", &u.SevenDayOAuthApps},
	}
	for _, k := range known {
		w, err := decodeWindow(top[k.name])
		if err != nil {
			return nil, malformed("usage", fmt.Errorf("%s: %w", k.name, err))
		}
		*k.dst = w
		delete(top, k.name)
	}
	if raw, ok := top["limits"]; ok {
		limits, err := decodeLimits(raw)
		if err != nil {
			return nil, malformed("usage", fmt.Errorf("limits: %w", err))
		}
		u.Limits = limits
		delete(top, "limits")
	}
	if raw, ok := top["extra_usage"]; ok {
		eu, err := decodeExtraUsage(raw)
		if err != nil {
			return nil, malformed("usage", fmt.Errorf("extra_usage: %w", err))
		}
		u.ExtraUsage = eu
		delete(top, "extra_usage")
	}
	// Unknown members: keep the ones that look like windows, ignore the rest.
	for name, raw := range top {
		var probe map[string]json.RawMessage
		if json.Unmarshal(raw, &probe) != nil {
			continue
		}
		if _, ok := probe["utilization"]; !ok {
			continue
		}
		w, err := decodeWindow(raw)
		if err != nil || w == nil {
			continue // unknown and unreadable: not ours to reject the answer for
		}
		if u.OtherWindows == nil {
			u.OtherWindows = map[string]Window{}
		}
		u.OtherWindows[name] = *w
	}
	return u, nil
}

func decodeWindow(raw json.RawMessage) (*Window, error) {
	if isNull(raw) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := decodeObject(raw, &obj); err != nil {
		return nil, err
	}
	util, _, err := decodeNumber(obj["utilization"])
	if err != nil {
		return nil, fmt.Errorf("utilization: %w", err)
	}
	return &Window{Utilization: util, ResetsAt: decodeTime(obj["resets_at"])}, nil
}

func decodeLimits(raw json.RawMessage) ([]Limit, error) {
	if isNull(raw) {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("expected a list")
	}
	out := make([]Limit, 0, len(items))
	for i, item := range items {
		var obj map[string]json.RawMessage
		if err := decodeObject(item, &obj); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		l := Limit{
			Kind:     decodeText(obj["kind"]),
			Group:    decodeText(obj["group"]),
			ResetsAt: decodeTime(obj["resets_at"]),
			Scope:    decodeText(obj["scope"]),
			IsActive: decodeBool(obj["is_active"]),
		}
		if p, ok, err := decodeNumber(obj["percent"]); err != nil {
			return nil, fmt.Errorf("entry %d: percent: %w", i, err)
		} else if ok {
			l.Percent = &p
		}
		out = append(out, l)
	}
	return out, nil
}

func decodeExtraUsage(raw json.RawMessage) (*ExtraUsage, error) {
	if isNull(raw) {
		return nil, nil
	}
	var obj map[string]json.RawMessage
	if err := decodeObject(raw, &obj); err != nil {
		return nil, err
	}
	eu := &ExtraUsage{IsEnabled: decodeBool(obj["is_enabled"]), Currency: decodeText(obj["currency"])}
	for _, f := range []struct {
		name string
		dst  **float64
	}{
		{"monthly_limit", &eu.MonthlyLimit},
		{"used_credits", &eu.UsedCredits},
		{"utilization", &eu.Utilization},
	} {
		v, ok, err := decodeNumber(obj[f.name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		if ok {
			*f.dst = &v
		}
	}
	return eu, nil
}

// decodeObject unmarshals raw into a map, failing if it is not an object
// (json.Unmarshal would accept null and leave the map nil).
func decodeObject(raw []byte, dst *map[string]json.RawMessage) error {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errNotObject
	}
	if err := json.Unmarshal(trimmed, dst); err != nil {
		return errors.New("broken JSON")
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// decodeNumber accepts a JSON number or a numeric string; ok is false for
// null or absent. Anything else, NaN and infinities are errors.
func decodeNumber(raw json.RawMessage) (v float64, ok bool, err error) {
	if isNull(raw) {
		return 0, false, nil
	}
	t := bytes.TrimSpace(raw)
	text := string(t)
	if t[0] == '"' {
		if err := json.Unmarshal(t, &text); err != nil {
			return 0, false, errors.New("not a number")
		}
	} else if t[0] != '-' && (t[0] < '0' || t[0] > '9') {
		return 0, false, errors.New("not a number")
	}
	v, perr := strconv.ParseFloat(text, 64)
	if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, errors.New("not a number")
	}
	return v, true, nil
}

// decodeTime returns nil for anything that is not a readable, plausible
// timestamp: an unknown reset time is shown as unknown, never as a bogus
// date (and years outside 2000..9999 could not even be printed as JSON).
func decodeTime(raw json.RawMessage) *time.Time {
	t, ok := parseTime(raw)
	if !ok || t.Year() < 2000 || t.Year() > 9999 {
		return nil
	}
	return &t
}

func parseTime(raw json.RawMessage) (time.Time, bool) {
	if isNull(raw) {
		return time.Time{}, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), true
			}
		}
		return time.Time{}, false
	}
	// Epoch seconds, or milliseconds when too large to be seconds.
	if n, ok, err := decodeNumber(raw); err == nil && ok && n > 0 && n < 1e15 {
		if n > 1e11 {
			n /= 1000
		}
		sec, frac := math.Modf(n)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	return time.Time{}, false
}

// decodeText returns a string member as is, null/absent as "", and any
// other JSON value as its compact text.
func decodeText(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return ""
}

func decodeBool(raw json.RawMessage) bool {
	var b bool
	return json.Unmarshal(raw, &b) == nil && b
}

func malformed(endpoint string, err error) *Error {
	return &Error{Kind: ErrMalformed, Endpoint: endpoint, Err: err}
}
