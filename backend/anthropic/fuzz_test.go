package anthropic

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

// The decoders must never panic and must either succeed or say the answer
// is malformed; a successful decode must be printable as JSON (the CLI does).
func FuzzDecodeUsage(f *testing.F) {
	for _, seed := range []string{
		`{"five_hour":{"utilization":24.0,"resets_at":"2026-01-02T19:59:59.600956+00:00"},"seven_day":{"utilization":36.0,"resets_at":"2026-01-08T06:59:59.600974+00:00"},"seven_day_opus":null,"seven_day_oauth_apps":null,"iguana_necktie":null,"extra_usage":{"is_enabled":false,"monthly_limit":null,"used_credits":null,"utilization":null}}`,
		`{"limits":[{"kind":"five_hour","group":"session","percent":12.5,"resets_at":null,"scope":"all","is_active":true}]}`,
		`{"five_hour":{"utilization":"7","resets_at":1767380399}}`,
		`{"x_window":{"utilization":1e308}}`,
		`{"five_hour":{"utilization":-0}}`,
		`{"extra_usage":{"monthly_limit":"1e999"}}`,
		`{"five_hour":{"utilization":1,"resets_at":900000000000000}}`,
		`{"limits":[{"resets_at":"0000-01-01T00:00:00+01:00"}]}`,
		`[]`, `null`, `"`, `{`, ``, `{"five_hour":[]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := DecodeUsage(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || u != nil {
				t.Fatalf("unexpected failure shape: %v %v", u, err)
			}
			return
		}
		for _, w := range []*Window{u.FiveHour, u.SevenDay, u.SevenDayOpus, u.SevenDaySonnet, u.SevenDayOAuthApps} {
			if w != nil && (math.IsNaN(w.Utilization) || math.IsInf(w.Utilization, 0)) {
				t.Fatalf("non-finite utilization %v", w.Utilization)
			}
		}
		if _, err := json.Marshal(u); err != nil {
			t.Fatalf("decoded usage cannot be printed: %v", err)
		}
	})
}

func FuzzDecodeProfile(f *testing.F) {
	for _, seed := range []string{
		`{"account":{"uuid":"a","email":"a@example.com","display_name":"A"},"organization":{"uuid":"o","name":"O","organization_type":"claude_max"}}`,
		`{"account":{"uuid":1,"email_address":["x"]},"organization":null}`,
		`{"account":null}`, `{}`, `[`, `{"account":{"uuid":"\u0000"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeProfile(body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || p != nil {
				t.Fatalf("unexpected failure shape: %v %v", p, err)
			}
			return
		}
		if p.Account.UUID == "" {
			t.Fatal("accepted a profile without an account uuid")
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, seed := range []string{"", "0", "1", "120", "-1", "1.5", "1e9", "99999999999999999999999",
		"Wed, 21 Oct 2015 07:28:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "NaN", "Inf", ".", "0x10"} {
		f.Add(seed)
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, value string) {
		d, ok := ParseRetryAfter(value, now)
		if ok && (d <= 0 || d > MaxRetryAfter) {
			t.Fatalf("ParseRetryAfter(%q) = %v, ok", value, d)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, not ok", value, d)
		}
		eff, _ := effectiveRetryAfter(value, now)
		if eff < MinRetryAfter || eff > MaxRetryAfter {
			t.Fatalf("effective wait %v out of bounds for %q", eff, value)
		}
	})
}
