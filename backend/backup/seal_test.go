package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	pass := []byte("correct horse battery")
	secret := []byte(`{"aimonitor-1":{"claudeAiOauth":{"accessToken":"sk-ant-oat01-x"}}}`)
	aad := []byte(`{"accounts":["alice"]}`)
	s, err := Seal(pass, secret, aad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Ciphertext, []byte("sk-ant-")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	data, _ := json.Marshal(s)
	if bytes.Contains(data, []byte("sk-ant-")) || bytes.Contains(data, pass) {
		t.Fatal("secret or passphrase in the sealed JSON")
	}
	var back Sealed
	json.Unmarshal(data, &back)
	got, err := Open(pass, &back, aad)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %v %q", err, got)
	}
	// Two seals of the same data differ (random salt and nonce).
	s2, _ := Seal(pass, secret, aad)
	if bytes.Equal(s.Salt, s2.Salt) || bytes.Equal(s.Nonce, s2.Nonce) || bytes.Equal(s.Ciphertext, s2.Ciphertext) {
		t.Fatal("salt/nonce reused")
	}
}

func TestOpenRejects(t *testing.T) {
	pass := []byte("correct horse battery")
	aad := []byte("meta")
	fresh := func() *Sealed {
		s, err := Seal(pass, []byte("secret"), aad)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name   string
		mutate func(*Sealed) ([]byte, []byte)
		want   error
	}{
		{"wrong passphrase", func(s *Sealed) ([]byte, []byte) { return []byte("wrong horse battery"), aad }, ErrDecrypt},
		{"tampered ciphertext", func(s *Sealed) ([]byte, []byte) { s.Ciphertext[0] ^= 1; return pass, aad }, ErrDecrypt},
		{"tampered metadata", func(s *Sealed) ([]byte, []byte) { return pass, []byte("meta2") }, ErrDecrypt},
		{"tampered salt", func(s *Sealed) ([]byte, []byte) { s.Salt[0] ^= 1; return pass, aad }, ErrDecrypt},
		{"short nonce", func(s *Sealed) ([]byte, []byte) { s.Nonce = s.Nonce[:4]; return pass, aad }, ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fresh()
			p, a := tt.mutate(s)
			if _, err := Open(p, s, a); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	for _, bad := range []func(*Sealed){
		func(s *Sealed) { s.MemoryKiB = 1 << 30 },
		// Four times what Seal writes (64 MiB) is the most a file may ask.
		func(s *Sealed) { s.MemoryKiB = 4*64*1024 + 1 },
		func(s *Sealed) { s.MemoryKiB = 1024 * 1024 },
		func(s *Sealed) { s.Time = 1000 },
		func(s *Sealed) { s.Threads = 0 },
		func(s *Sealed) { s.KDF = "pbkdf2" },
	} {
		s := fresh()
		bad(s)
		if _, err := Open(pass, s, aad); err == nil || errors.Is(err, ErrDecrypt) {
			t.Fatalf("hostile parameters not refused up front: %v", err)
		}
	}
	if _, err := Seal([]byte("short"), []byte("x"), nil); !errors.Is(err, ErrWeakPassphrase) {
		t.Fatalf("weak passphrase accepted: %v", err)
	}
}
