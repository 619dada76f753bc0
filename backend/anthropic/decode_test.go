package anthropic

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestDecodeUsage(t *testing.T) {
	ts := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		v = v.UTC()
		return &v
	}
	cases := []struct {
		name    string
		body    string
		check   func(t *testing.T, u *Usage)
		wantErr string
	}{
		{name: "real answer with unknown members", body: `{
			"five_hour":{"utilization":24.0,"resets_at":"2026-01-02T19:59:59.600956+00:00"},
			"seven_day":{"utilization":36,"resets_at":"2026-01-08T06:59:59.600974+00:00"},
			"seven_day_sonnet":{"utilization":1.5,"resets_at":"2026-01-08T14:59:59.600981+00:00"},
			"seven_day_opus":null,"seven_day_oauth_apps":null,"iguana_necktie":null,
			"extra_usage":{"is_enabled":false,"monthly_limit":null,"used_credits":null,"utilization":null}}`,
			check: func(t *testing.T, u *Usage) {
				if u.FiveHour.Utilization != 24 || !u.FiveHour.ResetsAt.Equal(*ts("2026-01-02T19:59:59.600956Z")) {
					t.Fatalf("five_hour %+v", u.FiveHour)
				}
				if u.SevenDaySonnet.Utilization != 1.5 || u.SevenDayOpus != nil || u.SevenDayOAuthApps != nil {
					t.Fatalf("windows %+v %+v %+v", u.SevenDaySonnet, u.SevenDayOpus, u.SevenDayOAuthApps)
				}
				if u.ExtraUsage == nil || u.ExtraUsage.IsEnabled || u.ExtraUsage.MonthlyLimit != nil || u.ExtraUsage.Utilization != nil {
					t.Fatalf("extra %+v", u.ExtraUsage)
				}
				if len(u.OtherWindows) != 0 || u.Limits != nil {
					t.Fatalf("other %v limits %v", u.OtherWindows, u.Limits)
				}
			}},
		{name: "empty object", body: `{}`, check: func(t *testing.T, u *Usage) {
			if u.FiveHour != nil || u.SevenDay != nil || u.ExtraUsage != nil {
				t.Fatalf("%+v", u)
			}
		}},
		{name: "resets_at absent, null, empty, bogus", body: `{
			"five_hour":{"utilization":5},
			"seven_day":{"utilization":5,"resets_at":null},
			"seven_day_opus":{"utilization":5,"resets_at":""},
			"seven_day_sonnet":{"utilization":5,"resets_at":"Invalid date"}}`,
			check: func(t *testing.T, u *Usage) {
				for _, w := range []*Window{u.FiveHour, u.SevenDay, u.SevenDayOpus, u.SevenDaySonnet} {
					if w == nil || w.ResetsAt != nil || w.Utilization != 5 {
						t.Fatalf("window %+v", w)
					}
				}
			}},
		{name: "implausible years are unknown", body: `{
			"five_hour":{"utilization":1,"resets_at":900000000000000},
			"seven_day":{"utilization":1,"resets_at":"0000-01-01T00:00:00+01:00"},
			"seven_day_opus":{"utilization":1,"resets_at":"1970-01-01T00:00:00Z"}}`,
			check: func(t *testing.T, u *Usage) {
				for _, w := range []*Window{u.FiveHour, u.SevenDay, u.SevenDayOpus} {
					if w.ResetsAt != nil {
						t.Fatalf("resets_at %v", w.ResetsAt)
					}
				}
				if _, err := json.Marshal(u); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "epoch resets_at and string utilization", body: `{"five_hour":{"utilization":"42.5","resets_at":1767380399}}`,
			check: func(t *testing.T, u *Usage) {
				if u.FiveHour.Utilization != 42.5 || !u.FiveHour.ResetsAt.Equal(time.Unix(1767380399, 0)) {
					t.Fatalf("%+v", u.FiveHour)
				}
			}},
		{name: "utilization null means 0", body: `{"five_hour":{"utilization":null,"resets_at":null}}`,
			check: func(t *testing.T, u *Usage) {
				if u.FiveHour == nil || u.FiveHour.Utilization != 0 {
					t.Fatalf("%+v", u.FiveHour)
				}
			}},
		{name: "unknown window is kept, unknown junk ignored", body: `{
			"seven_day_sonnet_max":{"utilization":77,"resets_at":"2026-01-08T00:00:00Z"},
			"cedar_ember":{"eligible":false},"weird":[1,2],"odd_window":{"utilization":"lots"}}`,
			check: func(t *testing.T, u *Usage) {
				w, ok := u.OtherWindows["seven_day_sonnet_max"]
				if !ok || w.Utilization != 77 || len(u.OtherWindows) != 1 {
					t.Fatalf("other windows %v", u.OtherWindows)
				}
			}},
		{name: "limits and extra usage", body: `{
			"limits":[{"kind":"five_hour","group":"session","percent":12.5,"resets_at":"2026-01-02T19:59:59Z","scope":{"models":["opus"]},"is_active":true,"new_field":1},
			          {"kind":"weekly","percent":null}],
			"extra_usage":{"is_enabled":true,"monthly_limit":5000,"used_credits":1234,"utilization":24.68,"currency":"USD","surprise":true}}`,
			check: func(t *testing.T, u *Usage) {
				if len(u.Limits) != 2 {
					t.Fatalf("limits %+v", u.Limits)
				}
				l := u.Limits[0]
				if l.Kind != "five_hour" || l.Group != "session" || *l.Percent != 12.5 || !l.IsActive || l.ResetsAt == nil || l.Scope != `{"models":["opus"]}` {
					t.Fatalf("limit %+v", l)
				}
				if u.Limits[1].Percent != nil || u.Limits[1].ResetsAt != nil {
					t.Fatalf("limit %+v", u.Limits[1])
				}
				e := u.ExtraUsage
				if !e.IsEnabled || *e.MonthlyLimit != 5000 || *e.UsedCredits != 1234 || *e.Utilization != 24.68 || e.Currency != "USD" {
					t.Fatalf("extra %+v", e)
				}
			}},
		{name: "not JSON", body: `<html>oops</html>`, wantErr: "expected a JSON object"},
		{name: "truncated", body: `{"five_hour":{"utilization":24.0,"res`, wantErr: "broken JSON"},
		{name: "top-level list", body: `[]`, wantErr: "expected a JSON object"},
		{name: "top-level null", body: `null`, wantErr: "expected a JSON object"},
		{name: "empty body", body: ``, wantErr: "expected a JSON object"},
		{name: "window is a string", body: `{"five_hour":"full"}`, wantErr: "five_hour: expected a JSON object"},
		{name: "utilization is a bool", body: `{"seven_day":{"utilization":true}}`, wantErr: "seven_day: utilization: not a number"},
		{name: "utilization is NaN text", body: `{"seven_day":{"utilization":"NaN"}}`, wantErr: "not a number"},
		{name: "limits is an object", body: `{"limits":{}}`, wantErr: "limits: expected a list"},
		{name: "limit entry is a number", body: `{"limits":[3]}`, wantErr: "limits: entry 0"},
		{name: "extra usage is a list", body: `{"extra_usage":[]}`, wantErr: "extra_usage"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := DecodeUsage([]byte(tc.body))
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want malformed with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, u)
		})
	}
}

// The CLI prints Usage as JSON: windows must come out as
// {"utilization":…, "resets_at":…} with null for unknown.
func TestUsageJSON(t *testing.T) {
	u, err := DecodeUsage([]byte(`{"five_hour":{"utilization":24.5,"resets_at":"2026-01-02T19:59:59Z"},"seven_day":{"utilization":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"five_hour":{"utilization":24.5,"resets_at":"2026-01-02T19:59:59Z"},"seven_day":{"utilization":3,"resets_at":null},"seven_day_opus":null,"seven_day_sonnet":null,"seven_day_oauth_apps":null,"extra_usage":null}`
	if string(out) != want {
		t.Fatalf("\n got %s\nwant %s", out, want)
	}
}

func TestDecodeProfile(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		want    Profile
		wantErr string
	}{
		{name: "full", body: `{"account":{"uuid":"a-1","full_name":"Ada L","display_name":"Ada","email":"ada@example.com","has_claude_max":true,"created_at":"2025-01-01T00:00:00Z"},
			"organization":{"uuid":"o-1","name":"Engines","organization_type":"claude_max","billing_type":"stripe_subscription","rate_limit_tier":"default_claude_max_20x","extra":{}},"application":{}}`,
			want: Profile{Account{"a-1", "ada@example.com", "Ada", "Ada L"}, Organization{"o-1", "Engines", "claude_max", "stripe_subscription", "default_claude_max_20x"}}},
		{name: "email_address spelling, nulls", body: `{"account":{"uuid":"a-2","email_address":"b@example.com","display_name":null},"organization":null}`,
			want: Profile{Account: Account{UUID: "a-2", Email: "b@example.com"}}},
		{name: "no organization member", body: `{"account":{"uuid":"a-3"}}`, want: Profile{Account: Account{UUID: "a-3"}}},
		{name: "no uuid", body: `{"account":{"email":"x@example.com"}}`, wantErr: "account has no uuid"},
		{name: "account is a string", body: `{"account":"nobody"}`, wantErr: "account: expected a JSON object"},
		{name: "organization is a number", body: `{"account":{"uuid":"a"},"organization":17}`, wantErr: "organization: expected a JSON object"},
		{name: "not JSON", body: `nope`, wantErr: "expected a JSON object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := DecodeProfile([]byte(tc.body))
			if tc.wantErr != "" {
				if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *p != tc.want {
				t.Fatalf("\n got %+v\nwant %+v", *p, tc.want)
			}
		})
	}
}

func TestSubscriptionType(t *testing.T) {
	for typ, want := range map[string]string{"claude_max": "max", "claude_pro": "pro", "claude_team": "team", "claude_enterprise": "enterprise", "CLAUDE_MAX": "max", "": "", "api": ""} {
		if got := (Organization{Type: typ}).SubscriptionType(); got != want {
			t.Errorf("%q -> %q, want %q", typ, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	cases := []struct {
		value     string
		want      time.Duration
		ok        bool
		effective time.Duration
	}{
		{"", 0, false, MinRetryAfter},
		{"0", 0, false, MinRetryAfter},
		{"-5", 0, false, MinRetryAfter},
		{"abc", 0, false, MinRetryAfter},
		{"1", time.Second, true, MinRetryAfter},
		{"59", 59 * time.Second, true, MinRetryAfter},
		{"120", 2 * time.Minute, true, 2 * time.Minute},
		{" 300 ", 5 * time.Minute, true, 5 * time.Minute},
		{"1.5", 1500 * time.Millisecond, true, MinRetryAfter},
		{"99999999999999999999", MaxRetryAfter, true, MaxRetryAfter},
		{"1e400", 0, false, MinRetryAfter},
		{"NaN", 0, false, MinRetryAfter},
		{base.Add(10 * time.Minute).Format(http.TimeFormat), 10 * time.Minute, true, 10 * time.Minute},
		{base.Add(-time.Minute).Format(http.TimeFormat), 0, false, MinRetryAfter},
		{base.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second, true, 90 * time.Second},
		{base.Add(30 * 24 * time.Hour).Format(http.TimeFormat), MaxRetryAfter, true, MaxRetryAfter},
		{"Tue, 99 Foo 2026", 0, false, MinRetryAfter},
	}
	for _, tc := range cases {
		got, ok := ParseRetryAfter(tc.value, base)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
		}
		eff, server := effectiveRetryAfter(tc.value, base)
		if eff != tc.effective || server != tc.want {
			t.Errorf("effectiveRetryAfter(%q) = %v, %v; want %v, %v", tc.value, eff, server, tc.effective, tc.want)
		}
	}
}

func TestErrorTypeIsSanitized(t *testing.T) {
	cases := map[string]string{
		`{"error":"invalid_grant","error_description":"x"}`:      "invalid_grant",
		`{"type":"error","error":{"type":"rate_limit_error"}}`:   "rate_limit_error",
		`{"error":"Bearer sk-ant-oat01-abc is bad"}`:             "",
		`{"error":{"type":"sk-ant-oat01-abcdefghijklmnopqrst"}}`: "",
		`{"error":"` + strings.Repeat("a", 100) + `"}`:           "",
		`not json`:       "",
		`{"error":null}`: "",
	}
	for body, want := range cases {
		if got := errorType([]byte(body)); got != want {
			t.Errorf("errorType(%s) = %q, want %q", body, got, want)
		}
	}
}

func TestRefreshPayloadAndZeroing(t *testing.T) {
	tok := []byte(`sk-ant-ort01-a"b\c` + "\x01")
	p := refreshPayload(tok)
	var got struct {
		GrantType    string `json:"grant_type"`
		RefreshToken string `json:"refresh_token"`
		ClientID     string `json:"client_id"`
	}
	if err := json.Unmarshal(p, &got); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	if got.GrantType != "refresh_token" || got.RefreshToken != string(tok) || got.ClientID != ClientID {
		t.Fatalf("payload %+v", got)
	}
	body := &zeroingBody{buf: p}
	buf := make([]byte, 10)
	if n, _ := body.Read(buf); n != 10 {
		t.Fatalf("read %d", n)
	}
	body.Close()
	for _, b := range p {
		if b != 0 {
			t.Fatal("payload not zeroed on Close")
		}
	}
	if n, err := body.Read(buf); n != 0 || err == nil {
		t.Fatalf("read after close: %d %v", n, err)
	}
}

func TestDecodeTokens(t *testing.T) {
	sent := []byte("sk-ant-ort01-old")
	cases := []struct {
		name     string
		body     string
		access   string
		refresh  string
		rotated  bool
		lifetime time.Duration
		scopes   string
		wantErr  bool
	}{
		{"full", `{"access_token":"A","refresh_token":"R","expires_in":28800,"scope":"user:inference user:profile"}`, "A", "R", true, 8 * time.Hour, "user:inference user:profile", false},
		{"no refresh token keeps the old one", `{"access_token":"A","expires_in":60}`, "A", "sk-ant-ort01-old", false, time.Minute, "", false},
		{"null refresh token", `{"access_token":"A","refresh_token":null,"expires_in":60}`, "A", "sk-ant-ort01-old", false, time.Minute, "", false},
		{"missing expires_in falls back", `{"access_token":"A","refresh_token":"R"}`, "A", "R", true, fallbackTokenLifetime, "", false},
		{"absurd expires_in falls back", `{"access_token":"A","expires_in":-3}`, "A", "sk-ant-ort01-old", false, fallbackTokenLifetime, "", false},
		{"string expires_in", `{"access_token":"A","expires_in":"3600"}`, "A", "sk-ant-ort01-old", false, time.Hour, "", false},
		{"scope list", `{"access_token":"A","expires_in":60,"scope":["a","b"]}`, "A", "sk-ant-ort01-old", false, time.Minute, "a b", false},
		{"escaped token", `{"access_token":"A\u0042","expires_in":60}`, "AB", "sk-ant-ort01-old", false, time.Minute, "", false},
		{"no access token", `{"refresh_token":"R"}`, "", "", false, 0, "", true},
		{"access token number", `{"access_token":42}`, "", "", false, 0, "", true},
		{"not an object", `[]`, "", "", false, 0, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := decodeTokens([]byte(tc.body), sent, base)
			if tc.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(tok.AccessToken) != tc.access || string(tok.RefreshToken) != tc.refresh || tok.Rotated != tc.rotated ||
				!tok.ExpiresAt.Equal(base.Add(tc.lifetime)) || strings.Join(tok.Scopes, " ") != tc.scopes {
				t.Fatalf("got access %q refresh %q rotated %v expires %v scopes %v", tok.AccessToken, tok.RefreshToken, tok.Rotated, tok.ExpiresAt, tok.Scopes)
			}
		})
	}
}

func BenchmarkDecodeUsage(b *testing.B) {
	body := []byte(`{"five_hour":{"utilization":24.0,"resets_at":"2026-01-02T19:59:59.600956+00:00"},"seven_day":{"utilization":36.0,"resets_at":"2026-01-08T06:59:59.600974+00:00"},"seven_day_sonnet":{"utilization":1.0,"resets_at":"2026-01-08T14:59:59.600981+00:00"},"seven_day_opus":null,"seven_day_oauth_apps":null,"iguana_necktie":null,"limits":[{"kind":"five_hour","group":"session","percent":24,"resets_at":"2026-01-02T19:59:59Z","scope":"all_models","is_active":true}],"extra_usage":{"is_enabled":false,"monthly_limit":null,"used_credits":null,"utilization":null}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeUsage(body); err != nil {
			b.Fatal(err)
		}
	}
}
