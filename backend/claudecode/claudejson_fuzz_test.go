package claudecode

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzClaudeJSON feeds arbitrary ~/.claude.json documents to the read side
// (the identity a switch trusts) and to the identity rewrite: whatever
// identityOf accepts, encoding/json must accept too and agree on
// oauthAccount (the last of duplicate keys, as JSON.parse takes it); a
// rewrite of an accepted document yields a document that reads back the
// new identity and keeps every other member's bytes.
func FuzzClaudeJSON(f *testing.F) {
	for _, seed := range []string{
		sampleConfig,
		`{"oauthAccount":{"accountUuid":"u","emailAddress":"a@b","organizationUuid":"o"},"numStartups":3}`,
		`{"oauthAccount":null}`,
		`{"oauthAccount":{"accountUuid":1}}`,
		`{"oauthAccount":{"accountUuid":"a"},"oauthAccount":{"accountUuid":"b"}}`,
		"{\n  \"projects\": {\"/x\": {\"oauthAccount\": {\"accountUuid\": \"nested\"}}}\n}\n",
		`{"oauthAccount":"text"}`, `[]`, `{`, ``, `{} {}`, "\ufeff{}",
	} {
		f.Add([]byte(seed))
	}
	newID := []byte(`{"accountUuid":"fz","emailAddress":"fz@example.com","organizationUuid":"fo"}`)
	f.Fuzz(func(t *testing.T, doc []byte) {
		id, err := identityOf(doc)
		var m map[string]json.RawMessage
		stdErr := json.Unmarshal(doc, &m)
		if err != nil {
			return
		}
		if stdErr != nil {
			t.Fatalf("accepted a document encoding/json rejects (%v): %q", stdErr, doc)
		}
		raw, present := m[IdentityKey]
		switch {
		case !present || string(bytes.TrimSpace(raw)) == "null":
			if id != nil {
				t.Fatalf("an identity from a document without one: %q", doc)
			}
		default:
			var want Identity
			if json.Unmarshal(raw, &want) != nil {
				t.Fatalf("accepted an oauthAccount encoding/json rejects: %q", doc)
			}
			if id == nil || id.AccountUUID != want.AccountUUID || id.EmailAddress != want.EmailAddress || id.OrganizationUUID != want.OrganizationUUID {
				t.Fatalf("identity %+v, encoding/json says %+v: %q", id, want, doc)
			}
		}
		out, err := setMember(doc, IdentityKey, newID)
		if err != nil {
			t.Fatalf("an accepted document could not be rewritten: %v: %q", err, doc)
		}
		got, err := identityOf(out)
		if err != nil || got == nil || got.AccountUUID != "fz" {
			t.Fatalf("the rewrite does not read back (%v): %q", err, out)
		}
		var after map[string]json.RawMessage
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("the rewrite is not JSON: %q", out)
		}
		for k, v := range m {
			if k != IdentityKey && !bytes.Equal(bytes.TrimSpace(v), bytes.TrimSpace(after[k])) {
				t.Fatalf("member %q changed: %q -> %q", k, v, after[k])
			}
		}
	})
}
