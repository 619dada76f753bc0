package filekeyring

import (
	"encoding/json"
	"errors"
	"testing"
)

func marshal(t testing.TB, d *document) []byte {
	b, err := json.MarshalIndent(d, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzParse: any input parses or gives a *FormatError; what parses has the
// shape the rest of the package relies on, and survives a round trip.
func FuzzParse(f *testing.F) {
	dir := f.TempDir()
	s := Open(Options{Dir: dir, Passphrase: passFrom(testPass)})
	s.newParams = cheapParams
	if err := s.Set(ctx, "aimonitor-a", "me", "label", []byte("secret")); err != nil {
		f.Fatal(err)
	}
	d, err := s.read()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(marshal(f, d))
	f.Add([]byte(`{"format":"aimonitor-file-keyring","version":2}`))
	f.Add([]byte(`{"format":"aimonitor-file-keyring","version":1,"entries":[]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("not a FormatError: %T %v", err, err)
			}
			return
		}
		if d.Version != FormatVersion || !d.Check.valid() || !d.Seal.valid() || d.KDF.Check() != nil {
			t.Fatalf("accepted a malformed document")
		}
		for _, e := range d.Entries {
			if e.Service == "" || e.Account == "" || len(e.Nonce) != nonceLen {
				t.Fatalf("accepted a malformed entry")
			}
		}
		if _, err := Parse(marshal(t, d)); err != nil {
			t.Fatalf("a parsed document does not parse again: %v", err)
		}
	})
}
