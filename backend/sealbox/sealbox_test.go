package sealbox

import (
	"bytes"
	"errors"
	"testing"
)

func cheap(t *testing.T) Params {
	p, err := NewParams()
	if err != nil {
		t.Fatal(err)
	}
	p.Time, p.MemoryKiB, p.Threads = 1, 64, 1
	return p
}

func TestSealOpen(t *testing.T) {
	p := cheap(t)
	k, err := DeriveKey([]byte("correct horse"), p)
	if err != nil {
		t.Fatal(err)
	}
	nonce, ct, err := k.Seal([]byte("secret"), []byte("name-a"))
	if err != nil || bytes.Contains(ct, []byte("secret")) {
		t.Fatalf("seal: %v", err)
	}
	if pt, err := k.Open(nonce, ct, []byte("name-a")); err != nil || string(pt) != "secret" {
		t.Fatalf("open: %q %v", pt, err)
	}
	if _, err := k.Open(nonce, ct, []byte("name-b")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("another name opened it: %v", err)
	}
	same, _ := DeriveKey([]byte("correct horse"), p)
	if !bytes.Equal(same.Bytes(), k.Bytes()) {
		t.Fatal("derivation is not deterministic")
	}
	again, _ := KeyFromBytes(k.Bytes())
	if pt, err := again.Open(nonce, ct, []byte("name-a")); err != nil || string(pt) != "secret" {
		t.Fatalf("a key rebuilt from its bytes: %v", err)
	}
	wrong, _ := DeriveKey([]byte("wrong horse"), p)
	if _, err := wrong.Open(nonce, ct, []byte("name-a")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: %v", err)
	}
	k.Destroy()
	if !bytes.Equal(k.raw, make([]byte, KeyLen)) {
		t.Fatal("Destroy left key bytes")
	}
}

func TestParamsBounds(t *testing.T) {
	for _, bad := range []func(*Params){
		func(p *Params) { p.MemoryKiB = 1 << 30 },
		func(p *Params) { p.MemoryKiB = 4*64*1024 + 1 }, // four times what we write is the most
		func(p *Params) { p.Time = 0 },
		func(p *Params) { p.Threads = 0 },
		func(p *Params) { p.Salt = p.Salt[:4] },
		func(p *Params) { p.KDF = "scrypt" },
	} {
		p := cheap(t)
		bad(&p)
		if _, err := DeriveKey([]byte("x"), p); err == nil {
			t.Fatalf("accepted %+v", p)
		}
	}
	if _, err := KeyFromBytes([]byte("short")); err == nil {
		t.Fatal("a short key accepted")
	}
}
