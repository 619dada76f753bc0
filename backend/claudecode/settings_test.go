package claudecode

import (
	"os"
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
		path := filepath.Join(t.TempDir(), ".claude.json")
		if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
			t.Fatal(err)
		}
		fid, err := QuickIdentityFile(path)
		if err != nil || (fid == nil) != (id == nil) || (fid != nil && fid.EmailAddress != id.EmailAddress) {
			t.Errorf("%s: from the file %+v %v", tc.doc, fid, err)
		}
	}
	if _, err := QuickIdentity([]byte(`{"oauthAccount": [1, 2]}`)); err == nil {
		t.Error("an oauthAccount that is not an object was accepted")
	}
}

// A document far larger than a read chunk, with the key cut across a chunk
// boundary at every possible offset.
func TestQuickIdentityFileAcrossChunks(t *testing.T) {
	member := `"oauthAccount": {"emailAddress": "far@x"}`
	for cut := 1; cut < len(`"oauthAccount"`); cut++ {
		pad := strings.Repeat(" ", 64<<10-1-cut)
		doc := "{" + pad + member + `, "tail": "` + strings.Repeat("y", 100<<10) + `"}`
		path := filepath.Join(t.TempDir(), ".claude.json")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		id, err := QuickIdentityFile(path)
		if err != nil || id == nil || id.EmailAddress != "far@x" {
			t.Fatalf("cut %d: %+v %v", cut, id, err)
		}
	}
	if id, err := QuickIdentityFile(filepath.Join(t.TempDir(), "missing")); id != nil || err != nil {
		t.Fatalf("missing file: %+v %v", id, err)
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
