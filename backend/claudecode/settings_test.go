package claudecode

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestQuickIdentity(t *testing.T) {
	for _, tc := range []struct{ doc, email string }{
		{`{"a":1,"oauthAccount":{"accountUuid":"u","emailAddress":"a@x","organizationUuid":"o"}}`, "a@x"},
		{"{\n  \"oauthAccount\" :\n {\"emailAddress\": \"b@x\"},\n  \"tips\": \"the \\\"oauthAccount\\\": {} key\"\n}", "b@x"},
		{`{"note":"\"oauthAccount\": {\"emailAddress\": \"decoy\"}","oauthAccount":{"emailAddress":"c@x"}}`, "c@x"},
		{`{"oauthAccount":{"emailAddress":"old@x"},"oauthAccount":{"emailAddress":"new@x"}}`, "new@x"},
		{`{"oauthAccount":null}`, ""},
		{`{"numStartups":1}`, ""},
		{``, ""},
	} {
		id, err := QuickIdentity([]byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		got := ""
		if id != nil {
			got = id.EmailAddress
		}
		if got != tc.email {
			t.Errorf("%s: got %q, want %q", tc.doc, got, tc.email)
		}
		if full, err := identityOf([]byte(tc.doc)); err == nil && (full == nil) != (id == nil) {
			t.Errorf("%s: the full parser disagrees", tc.doc)
		}
	}
	if _, err := QuickIdentity([]byte(`{"oauthAccount": [1, 2]}`)); err == nil {
		t.Error("an oauthAccount that is not an object was accepted")
	}
}

func FuzzQuickIdentity(f *testing.F) {
	f.Add([]byte(`{"oauthAccount":{"emailAddress":"a@x"}}`))
	f.Add([]byte(`{"oauthAccount"`))
	f.Add([]byte(`"oauthAccount": "oauthAccount":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := QuickIdentity(data)
		if err == nil && id != nil && !strings.Contains(string(data), "oauthAccount") {
			t.Fatalf("an identity from a document without the key: %+v", id)
		}
	})
}

func TestSettingsPath(t *testing.T) {
	if got := SettingsPath(Env{Home: "/h"}); got != filepath.FromSlash("/h/.claude/settings.json") {
		t.Errorf("got %s", got)
	}
	if got := SettingsPath(Env{Home: "/h", ConfigDir: "/c"}); got != filepath.FromSlash("/c/settings.json") {
		t.Errorf("got %s", got)
	}
	if got := IdentityPath(Env{Home: "/h"}); got != filepath.FromSlash("/h/.claude.json") {
		t.Errorf("got %s", got)
	}
	if got := IdentityPath(Env{Home: "/h", ConfigDir: "/c"}); got != filepath.FromSlash("/c/.claude.json") {
		t.Errorf("got %s", got)
	}
}
