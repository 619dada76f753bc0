package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	testAccess  = "sk-ant-oat01-ACCESSCANARY"
	testRefresh = "sk-ant-ort01-REFRESHCANARY"
)

func testBundle() *Bundle {
	return &Bundle{
		Format: FormatName, Version: FormatVersion, AppVersion: "1.2.3",
		CreatedAt: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC),
		Settings:  map[string]any{"auto_swap.threshold_pct": 70, "widget.theme": "dark", "notify.enabled": false},
		Accounts: []Account{
			{Label: "work", AccountUUID: "u-1", Email: "a@example.com", OrgUUID: "o-1", OrgName: "Work Inc",
				Subscription: "max", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Identity: json.RawMessage(`{"accountUuid":"u-1","emailAddress":"a@example.com","organizationUuid":"o-1","organizationName":"Work Inc","workspaceRole":null}`)},
			{Label: "home", AccountUUID: "u-2", Email: "b@example.com", OrgUUID: "o-2"},
		},
	}
}

func testLogin() Login {
	return Login{Email: "a@example.com", OrgUUID: "o-1",
		Credentials: []byte(`{"claudeAiOauth":{"accessToken":"` + testAccess + `","refreshToken":"` + testRefresh + `","expiresAt":1767225600000}}`)}
}

var pass = []byte("correct horse battery")

// One sealed bundle shared by the tests below: Argon2id at 64 MiB costs a
// noticeable fraction of a second per derivation.
func sealedFile(t *testing.T) []byte {
	t.Helper()
	b := testBundle()
	if err := b.SealLogins(pass, []Login{testLogin()}); err != nil {
		t.Fatal(err)
	}
	data, err := Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSealedBundle(t *testing.T) {
	data := sealedFile(t)
	if bytes.Contains(data, []byte("CANARY")) || bytes.Contains(data, []byte("sk-ant-")) || bytes.Contains(data, pass) {
		t.Fatal("a token or the passphrase is in the file in plaintext")
	}
	t.Run("round trip", func(t *testing.T) {
		b, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		logins, err := b.OpenLogins(pass)
		if err != nil {
			t.Fatal(err)
		}
		if len(logins) != 1 || !bytes.Equal(logins[0].Credentials, testLogin().Credentials) || logins[0].Email != "a@example.com" {
			t.Fatalf("logins %d", len(logins))
		}
		ZeroLogins(logins)
		if bytes.Contains(logins[0].Credentials, []byte("CANARY")) {
			t.Fatal("ZeroLogins left the token")
		}
	})
	t.Run("wrong passphrase", func(t *testing.T) {
		b, _ := Decode(data)
		if _, err := b.OpenLogins([]byte("incorrect horse")); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("wrong passphrase: %v", err)
		}
	})
	// Any change to the plain part changes the associated data of the
	// logins (checked cheaply here for each field), and a changed
	// associated data fails to open (checked once: each Open costs an
	// Argon2id derivation).
	orig, _ := Decode(data)
	origAAD, err := orig.aad()
	if err != nil {
		t.Fatal(err)
	}
	tampers := []struct{ name, from, to string }{
		{"label", `"label": "home"`, `"label": "evil"`},
		{"email", `"email": "b@example.com"`, `"email": "x@example.com"`},
		{"setting", `"auto_swap.threshold_pct": 70`, `"auto_swap.threshold_pct": 71`},
		{"identity", `"organizationName": "Work Inc"`, `"organizationName": "Evil Inc"`},
		{"created", `"created_at": "2026-03-04T05:06:07Z"`, `"created_at": "2026-03-04T05:06:08Z"`},
		{"app version", `"app_version": "1.2.3"`, `"app_version": "1.2.4"`},
	}
	for _, tc := range tampers {
		t.Run("tampered "+tc.name, func(t *testing.T) {
			if !bytes.Contains(data, []byte(tc.from)) {
				t.Fatalf("%q not in the file:\n%s", tc.from, data)
			}
			b, err := Decode(bytes.Replace(data, []byte(tc.from), []byte(tc.to), 1))
			if err != nil {
				t.Fatal(err)
			}
			if aad, _ := b.aad(); bytes.Equal(aad, origAAD) {
				t.Fatal("the change is not covered by the associated data")
			}
		})
	}
	t.Run("tampered file does not open", func(t *testing.T) {
		b, _ := Decode(bytes.Replace(data, []byte(`"label": "home"`), []byte(`"label": "evil"`), 1))
		if _, err := b.OpenLogins(pass); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("tampered: %v", err)
		}
	})
	t.Run("dropped account", func(t *testing.T) {
		b, _ := Decode(data)
		b.Accounts = b.Accounts[:1]
		if aad, _ := b.aad(); bytes.Equal(aad, origAAD) {
			t.Fatal("dropping an account is not covered by the associated data")
		}
	})
	// Re-encoding what was decoded gives the same associated data, or
	// every import would fail.
	again, _ := Encode(orig)
	back, err := Decode(again)
	if err != nil {
		t.Fatal(err)
	}
	if aad, _ := back.aad(); !bytes.Equal(aad, origAAD) {
		t.Fatalf("associated data not stable:\n%s\n%s", aad, origAAD)
	}
}

func TestSealLoginsRefusesStrayLogins(t *testing.T) {
	tests := []struct {
		name   string
		logins []Login
	}{
		{"unknown account", []Login{{Email: "z@example.com", OrgUUID: "o-9", Credentials: testLogin().Credentials}}},
		{"twice", []Login{testLogin(), testLogin()}},
		{"no login", []Login{{Email: "a@example.com", OrgUUID: "o-1", Credentials: []byte(`{"mcpOAuth":{}}`)}}},
		{"not json", []Login{{Email: "a@example.com", OrgUUID: "o-1", Credentials: []byte(`nope`)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := testBundle()
			if err := b.SealLogins(pass, tc.logins); err == nil || b.Logins != nil {
				t.Fatalf("sealed: %v", err)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := Encode(testBundle())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(good); err != nil {
		t.Fatalf("good file: %v", err)
	}
	tests := []struct {
		name, from, to string
		want           string
	}{
		{"not json", `{`, `[`, "not an aimonitor backup"},
		{"other format", FormatName, "something-else", "not an aimonitor backup"},
		{"newer version", `"version": 1`, `"version": 2`, "newer aimonitor"},
		{"unknown setting", `"widget.theme"`, `"widget.colour"`, "unknown setting"},
		{"bad setting value", `"auto_swap.threshold_pct": 70`, `"auto_swap.threshold_pct": 70.5`, "whole number"},
		{"object setting", `"auto_swap.threshold_pct": 70`, `"auto_swap.threshold_pct": {}`, "auto_swap.threshold_pct"},
		{"unknown field", `"app_version"`, `"surprise": 1, "app_version"`, "unknown field"},
		{"no email", `"email": "b@example.com"`, `"email": ""`, "no account id"},
		{"bad label", `"label": "home"`, `"label": "-home"`, "label"},
		{"duplicate", `"email": "b@example.com", "display_name": ""`, `"email": "a@example.com"`, ""},
		{"identity of another", `"accountUuid": "u-1"`, `"accountUuid": "u-9"`, "another account"},
		{"trailing data", "}\n", "} {}\n", "not an aimonitor backup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := bytes.Replace(good, []byte(tc.from), []byte(tc.to), 1)
			if bytes.Equal(data, good) && tc.name != "duplicate" {
				t.Fatalf("%q not in the file", tc.from)
			}
			if tc.name == "duplicate" {
				data = bytes.Replace(good, []byte(`"account_uuid": "u-2",
      "email": "b@example.com",
      "organization_uuid": "o-2"`), []byte(`"account_uuid": "u-1",
      "email": "a@example.com",
      "organization_uuid": "o-1"`), 1)
				if bytes.Equal(data, good) {
					t.Fatalf("account block not found:\n%s", good)
				}
				tc.want = "twice"
			}
			_, err := Decode(data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Decode(bytes.Repeat([]byte(" "), MaxFileSize+1)); !errors.Is(err, ErrNotBackup) {
		t.Fatalf("huge file: %v", err)
	}
}

func TestSettingText(t *testing.T) {
	tests := []struct {
		in   any
		want string
		ok   bool
	}{
		{true, "true", true}, {false, "false", true}, {float64(70), "70", true}, {70, "70", true},
		{"dark", "dark", true}, {1.5, "", false}, {float64(1 << 40), "", false}, {nil, "", false},
		{[]any{}, "", false}, {map[string]any{}, "", false},
	}
	for _, tc := range tests {
		got, err := SettingText(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("SettingText(%#v) = %q, %v", tc.in, got, err)
		}
	}
}

func TestMergedConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	original := "# my settings\nnotify:\n  warn_pct: 80\n  crit_pct: 95\nwidget:\n  theme: light\n"
	if err := os.WriteFile(path, []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	// warn 96 is refused while crit is still 95: the retry applies it
	// once crit is 99.
	got, err := mergedConfig(path, map[string]any{"notify.warn_pct": float64(96), "notify.crit_pct": float64(99), "auto_swap.enabled": false})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# my settings", "warn_pct: 96", "crit_pct: 99", "theme: light", "enabled: false"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("merged config lacks %q:\n%s", want, got)
		}
	}
	if now, _ := os.ReadFile(path); string(now) != original {
		t.Fatal("mergedConfig changed the real file")
	}
	if _, err := mergedConfig(path, map[string]any{"notify.warn_pct": float64(99), "notify.crit_pct": float64(50)}); err == nil {
		t.Fatal("an impossible combination was accepted")
	}
	if _, err := mergedConfig(path, map[string]any{"poll.interval_sec": float64(5)}); err == nil || !strings.Contains(err.Error(), "poll.interval_sec") {
		t.Fatalf("out of range: %v", err)
	}
	if got, err := mergedConfig(path, nil); got != nil || err != nil {
		t.Fatalf("nothing to merge: %q %v", got, err)
	}
	missing := filepath.Join(dir, "none", "config.yaml")
	if got, err := mergedConfig(missing, map[string]any{"widget.theme": "dark"}); err != nil || !strings.Contains(string(got), "theme: dark") {
		t.Fatalf("no file yet: %q %v", got, err)
	}
	if err := os.WriteFile(path, []byte("widget: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mergedConfig(path, map[string]any{"widget.theme": "dark"}); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("broken current file: %v", err)
	}
}
