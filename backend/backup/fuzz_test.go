package backup

import (
	"bytes"
	"testing"
)

// FuzzDecode: any input either fails cleanly or decodes to a bundle that
// encodes again and decodes to the same associated data (so a file this
// package accepted can always have its logins opened), and no input makes
// Decode panic. Seeds: f.Add below and testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	plain, err := Encode(testBundle())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain)
	f.Add([]byte(`{"format":"aimonitor-backup","version":1,"app_version":"","created_at":"0001-01-01T00:00:00Z","settings":{},"accounts":[]}`))
	f.Add([]byte(`{"format":"aimonitor-backup","version":1,"created_at":"2026-01-01T00:00:00+05:30","settings":null,"accounts":null,"logins":{"kdf":"argon2id","time":1,"memory_kib":8,"threads":1,"salt":"AAAAAAAAAAA=","cipher":"aes-256-gcm","nonce":"","ciphertext":""}}`))
	f.Add([]byte(`{"format":"aimonitor-backup","version":1,"created_at":"2026-01-01T00:00:00Z","accounts":[{"label":"a","account_uuid":"u","email":"e","organization_uuid":"","created_at":"2026-01-01T00:00:00Z","identity":null}]}`))
	f.Add([]byte(`{"format":"aimonitor-backup","version":99}`))
	f.Add([]byte(`{"format":"aimonitor-backup","version":1,"settings":{"widget.theme":"<&>\u00e9"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data)
		if err != nil {
			if b != nil {
				t.Fatal("a bundle and an error")
			}
			return
		}
		aad, err := b.aad()
		if err != nil {
			t.Fatalf("accepted a bundle whose associated data cannot be built: %v", err)
		}
		again, err := Encode(b)
		if err != nil {
			t.Fatalf("accepted a bundle that cannot be encoded: %v", err)
		}
		back, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded bundle does not decode: %v\n%s", err, again)
		}
		aad2, err := back.aad()
		if err != nil || !bytes.Equal(aad, aad2) {
			t.Fatalf("associated data changed across encode/decode:\n%s\n%s", aad, aad2)
		}
	})
}
