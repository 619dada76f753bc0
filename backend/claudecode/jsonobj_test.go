package claudecode

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestSetMember(t *testing.T) {
	tests := []struct {
		name, doc, key, value, want string
	}{
		{"replace keeps everything else", `{"b": 1,  "a":{"x":1}, "c":[1,2]}`, "a", `{"y":2}`, `{"b": 1,  "a":{"y":2}, "c":[1,2]}`},
		{"append compact", `{"a":1}`, "b", `{"z": true}`, `{"a":1,"b":{"z":true}}`},
		{"append pretty", "{\n  \"a\": 1\n}\n", "b", `{"z":true,"w":[1]}`, "{\n  \"a\": 1,\n  \"b\": {\n    \"z\": true,\n    \"w\": [\n      1\n    ]\n  }\n}\n"},
		{"replace pretty reindents", "{\n  \"a\": 1,\n  \"b\": {\"old\": 1}\n}", "b", `{"n":2}`, "{\n  \"a\": 1,\n  \"b\": {\n    \"n\": 2\n  }\n}"},
		{"empty compact", `{}`, "a", `1`, `{"a":1}`},
		{"empty pretty", "{}\n", "a", `{"k":1}`, "{\n  \"a\": {\n    \"k\": 1\n  }\n}\n"},
		{"duplicate key: last wins", `{"a":1,"a":2}`, "a", `3`, `{"a":1,"a":3}`},
		{"escaped key elsewhere", `{"\u0061x":1,"a":2}`, "a", `5`, `{"\u0061x":1,"a":5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := setMember([]byte(tt.doc), tt.key, []byte(tt.value))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestSetMemberRejects(t *testing.T) {
	for _, doc := range []string{``, `[]`, `{"a":1`, `{"a":1} {}`, `"x"`, `{"a":1,}`} {
		if _, err := setMember([]byte(doc), "a", []byte("1")); err == nil {
			t.Errorf("%q: accepted", doc)
		}
	}
	if _, err := setMember([]byte(`{}`), "a", []byte("{")); err == nil {
		t.Error("an invalid value was accepted")
	}
}

func TestDeleteMember(t *testing.T) {
	tests := []struct{ name, doc, key, want string }{
		{"middle", `{"a":1, "b":2, "c":3}`, "b", `{"a":1, "c":3}`},
		{"first", `{"a":1, "b":2}`, "a", `{"b":2}`},
		{"last pretty", "{\n  \"a\": 1,\n  \"b\": 2\n}", "b", "{\n  \"a\": 1\n}"},
		{"only", `{ "a": 1 }`, "a", `{  }`},
		{"absent", `{"a":1}`, "x", `{"a":1}`},
		{"duplicates", `{"a":1,"b":2,"a":3}`, "a", `{"b":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := deleteMember([]byte(tt.doc), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %q want %q", got, tt.want)
			}
		})
	}
}

const sampleBlob = `{"claudeAiOauth":{"accessToken":"sk-ant-oat01-aaa","refreshToken":"sk-ant-ort01-bbb","expiresAt":1800000000000,"scopes":["user:inference","user:profile"],"subscriptionType":"max","rateLimitTier":"t","clientId":"future-field"},"mcpOAuth":{"srv":{"accessToken":"mcp"}},"organizationUuid":"org-1"}`

func TestParseCredentials(t *testing.T) {
	c, err := ParseCredentials([]byte(sampleBlob))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.AccessToken) != "sk-ant-oat01-aaa" || string(c.RefreshToken) != "sk-ant-ort01-bbb" {
		t.Fatalf("tokens not read")
	}
	if !c.ExpiresAt.Equal(time.UnixMilli(1800000000000)) || c.SubscriptionType != "max" || len(c.Scopes) != 2 {
		t.Fatalf("fields: %+v", c)
	}
	if s := (*c).String() + c.GoString(); bytes.Contains([]byte(s), []byte("sk-ant")) {
		t.Fatalf("String leaks a token: %s", s)
	}
	c.Zero()
	if string(c.AccessToken) == "sk-ant-oat01-aaa" {
		t.Fatal("Zero kept the token")
	}

	empty, err := ParseCredentials([]byte(`{"mcpOAuth":{}}`))
	if err != nil || empty.HasLogin() {
		t.Fatalf("blob without a login: %v %v", empty, err)
	}
	for _, bad := range []string{`{"claudeAiOauth":{"accessToken":5}}`, `{"claudeAiOauth":[]}`, `{"claudeAiOauth":{"expiresAt":"soon"}}`, `{"claudeAiOauth":{"scopes":"x"}}`, `nope`, `{"claudeAiOauth":{"accessToken":"x"`} {
		if _, err := ParseCredentials([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		} else if bytes.Contains([]byte(err.Error()), []byte("sk-ant")) {
			t.Errorf("error leaks: %v", err)
		}
	}
}

func TestWithTokensKeepsUnknownFields(t *testing.T) {
	exp := time.UnixMilli(1900000000000)
	out, err := WithTokens([]byte(sampleBlob), []byte("sk-ant-oat01-NEW"), []byte("sk-ant-ort01-NEW"), exp, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	var o map[string]any
	if err := json.Unmarshal(got["claudeAiOauth"], &o); err != nil {
		t.Fatal(err)
	}
	if o["accessToken"] != "sk-ant-oat01-NEW" || o["refreshToken"] != "sk-ant-ort01-NEW" || o["expiresAt"] != float64(1900000000000) {
		t.Fatalf("tokens not replaced: %v", o)
	}
	if o["clientId"] != "future-field" || o["subscriptionType"] != "max" || len(o["scopes"].([]any)) != 2 {
		t.Fatalf("unknown or kept fields lost: %v", o)
	}
	if string(got["mcpOAuth"]) != `{"srv":{"accessToken":"mcp"}}` || string(got["organizationUuid"]) != `"org-1"` {
		t.Fatal("other members changed")
	}
	withScopes, err := WithTokens(out, []byte("a"), []byte("r"), exp, []string{"user:profile"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseCredentials(withScopes)
	if !reflect.DeepEqual(c.Scopes, []string{"user:profile"}) {
		t.Fatalf("scopes %v", c.Scopes)
	}
	if _, err := WithTokens([]byte(`{"mcpOAuth":{}}`), []byte("a"), []byte("r"), exp, nil); err == nil {
		t.Fatal("a blob without a login got tokens")
	}
}

func TestWithLogin(t *testing.T) {
	live := []byte(`{"claudeAiOauth":{"refreshToken":"A"},"mcpOAuth":{"live":1},"trustedDeviceToken":"tdA","futureMachineKey":7}` + "\n")
	stash := []byte(`{"claudeAiOauth":{"refreshToken":"B","extra":true},"mcpOAuth":{"stale":1},"organizationUuid":"orgB"}`)
	out, err := WithLogin(live, stash)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"claudeAiOauth":    `{"refreshToken":"B","extra":true}`,
		"mcpOAuth":         `{"live":1}`,
		"organizationUuid": `"orgB"`,
		"futureMachineKey": `7`,
	}
	if len(got) != len(want) {
		t.Fatalf("members %v", got)
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
	if !bytes.HasSuffix(out, []byte("\n")) {
		t.Error("trailing newline lost")
	}
	fresh, err := WithLogin(nil, stash)
	if err != nil || !SameBlob(fresh, stash) {
		t.Fatalf("no live file: %s %v", fresh, err)
	}
	if _, err := WithLogin([]byte(`{broken`), stash); err == nil {
		t.Fatal("malformed live accepted")
	}
}

func TestSameBlob(t *testing.T) {
	a := []byte(`{"claudeAiOauth":{"accessToken":"x","refreshToken":"r1"}}`)
	reformatted := []byte("{\n  \"claudeAiOauth\": {\"refreshToken\": \"r1\", \"accessToken\": \"x\"}\n}")
	other := []byte(`{"claudeAiOauth":{"accessToken":"x","refreshToken":"r2"}}`)
	if !SameBlob(a, a) || !SameBlob(a, reformatted) || SameBlob(a, other) || SameBlob(a, []byte(`{}`)) {
		t.Fatal("SameBlob")
	}
}

func FuzzSetMember(f *testing.F) {
	f.Add([]byte(`{"a":1,"oauthAccount":{"x":1}}`), []byte(`{"y":2}`))
	f.Add([]byte("{\n  \"a\": [1, {\"b\": null}]\n}\n"), []byte(`"s"`))
	f.Add([]byte(`{}`), []byte(`[]`))
	f.Add([]byte(`{"oauthAccount":1,"oauthAccount":2}`), []byte(`null`))
	f.Fuzz(func(t *testing.T, doc, value []byte) {
		out, err := setMember(doc, IdentityKey, value)
		if err != nil {
			return
		}
		var before, after map[string]json.RawMessage
		if json.Unmarshal(doc, &before) != nil {
			t.Fatalf("setMember accepted a document json rejects: %q", doc)
		}
		if err := json.Unmarshal(out, &after); err != nil {
			t.Fatalf("output is not JSON: %q from %q", out, doc)
		}
		var v1, v2 any
		if json.Unmarshal(value, &v1) != nil || json.Unmarshal(after[IdentityKey], &v2) != nil || !reflect.DeepEqual(v1, v2) {
			t.Fatalf("value not set: %q", out)
		}
		for k, v := range before {
			if k == IdentityKey {
				continue
			}
			if !bytes.Equal(bytes.TrimSpace(v), bytes.TrimSpace(after[k])) {
				t.Fatalf("member %q changed: %q -> %q", k, v, after[k])
			}
		}
		removed, err := deleteMember(out, IdentityKey)
		if err != nil {
			t.Fatal(err)
		}
		var gone map[string]json.RawMessage
		if json.Unmarshal(removed, &gone) != nil {
			t.Fatalf("deleteMember broke the document: %q", removed)
		}
		if _, ok := gone[IdentityKey]; ok {
			t.Fatalf("member still there: %q", removed)
		}
	})
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte(sampleBlob))
	f.Add([]byte(`{"claudeAiOauth":null}`))
	f.Add([]byte(`{"claudeAiOauth":{"accessToken":"a\u0041","expiresAt":1.5e12}}`))
	f.Fuzz(func(t *testing.T, blob []byte) {
		c, err := ParseCredentials(blob)
		if err != nil {
			return
		}
		if !c.HasLogin() {
			return
		}
		out, err := WithTokens(blob, []byte("new-a"), []byte("new-r"), time.UnixMilli(5), nil)
		if err != nil {
			t.Fatalf("WithTokens failed on a blob that parsed: %v", err)
		}
		c2, err := ParseCredentials(out)
		if err != nil || string(c2.AccessToken) != "new-a" || string(c2.RefreshToken) != "new-r" || c2.ExpiresAt.UnixMilli() != 5 {
			t.Fatalf("round trip: %v %v", c2, err)
		}
	})
}
