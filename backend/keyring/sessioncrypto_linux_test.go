//go:build linux

package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"math/big"
	"testing"
)

func TestModpGroup2Prime(t *testing.T) {
	p := modpGroup2Prime()
	if p.BitLen() != 1024 {
		t.Fatalf("prime has %d bits, want 1024", p.BitLen())
	}
	if !p.ProbablyPrime(20) {
		t.Fatal("the built-in DH modulus is not prime")
	}
	// A safe prime: (p-1)/2 is prime too, as RFC 2409 promises.
	q := new(big.Int).Rsh(new(big.Int).Sub(p, big.NewInt(1)), 1)
	if !q.ProbablyPrime(20) {
		t.Fatal("(p-1)/2 is not prime: wrong group")
	}
}

// Known answer computed independently (Python: pow, then HKDF-SHA256 by
// hand with hmac): fixes the padding of the shared secret, the null salt and
// the empty info.
func TestSessionKeyKnownAnswer(t *testing.T) {
	peer, _ := hex.DecodeString("c646848854594e0829829354264321cfb76cd8afa5c4e2537a2b472dd9fde8759de29f42abb7a4903807dccb55f69b9aef6cc8ebdc48b9de14be9362265bb1943216e1aa1d336f908fd0afa28712f608ee6a644ef426a04d5fd7c1fcf8ade09e1a0f2cd0a0484a221a10a0bf460acda87827480e20fa90bdbb36597974aec43a")
	x, _ := new(big.Int).SetString("1234567890abcdef", 16)
	kp := &dhKeyPair{prime: modpGroup2Prime(), private: x}
	key, err := kp.sessionKey(peer)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(key); got != "fdd96bfc0240435cd3a94eb353b46ec3" {
		t.Fatalf("session key = %s", got)
	}
	kp.destroy()
	if kp.private != nil || x.Sign() != 0 {
		t.Fatal("destroy left the private exponent in place")
	}
}

func TestDHAgreement(t *testing.T) {
	a, err := newDHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newDHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.public) != modpGroup2Bytes {
		t.Fatalf("public value is %d bytes, want %d", len(a.public), modpGroup2Bytes)
	}
	ka, err := a.sessionKey(b.public)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := b.sessionKey(a.public)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ka, kb) || len(ka) != sessionKeyBytes {
		t.Fatalf("the two sides derived different keys: %x vs %x", ka, kb)
	}
}

func TestSessionKeyRejectsWeakPeers(t *testing.T) {
	kp, err := newDHKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	p := modpGroup2Prime()
	tests := []struct {
		name string
		peer []byte
	}{
		{"empty", nil},
		{"zero", []byte{0}},
		{"one", []byte{1}},
		{"p-1", new(big.Int).Sub(p, big.NewInt(1)).Bytes()},
		{"p", p.Bytes()},
		{"too long", append([]byte{1}, make([]byte, modpGroup2Bytes)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := kp.sessionKey(tt.peer); err == nil {
				t.Fatal("accepted a degenerate public value")
			}
		})
	}
}

func TestEncryptDecrypt(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	for _, n := range []int{0, 1, 15, 16, 17, 1000} {
		plain := bytes.Repeat([]byte{'s'}, n)
		iv, ct, err := encryptSecret(key, plain)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct)%16 != 0 || len(ct) <= n || len(iv) != 16 {
			t.Fatalf("n=%d: iv %d bytes, ciphertext %d bytes", n, len(iv), len(ct))
		}
		if n >= 4 && bytes.Contains(ct, plain[:4]) {
			t.Fatalf("n=%d: ciphertext contains plaintext", n)
		}
		got, err := decryptSecret(key, iv, ct)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("n=%d: round trip gave %q", n, got)
		}
	}
}

func TestDecryptRejectsGarbage(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	// A fixed IV makes the "wrong key" case deterministic: a wrong key
	// yields random padding, which would pass about 1 time in 200.
	iv := make([]byte, 16)
	ct := cbcEncryptForTest(t, key, iv, []byte("hello\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"))
	if got, err := decryptSecret(key, iv, ct); err != nil || string(got) != "hello" {
		t.Fatalf("the fixture does not decrypt with the right key: %q %v", got, err)
	}
	otherKey := bytes.Repeat([]byte{8}, 16)
	tests := []struct {
		name        string
		key, iv, ct []byte
	}{
		{"wrong key", otherKey, iv, ct},
		{"short iv", key, iv[:8], ct},
		{"empty ciphertext", key, iv, nil},
		{"partial block", key, iv, ct[:len(ct)-1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := decryptSecret(tt.key, tt.iv, tt.ct); err == nil {
				t.Fatalf("accepted, gave %q", got)
			}
		})
	}
}

func cbcEncryptForTest(t *testing.T, key, iv, padded []byte) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, padded)
	return out
}

func FuzzDecryptSecret(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 16)
	iv, ct, _ := encryptSecret(key, []byte(`{"claudeAiOauth":{}}`))
	f.Add(iv, ct)
	f.Add(make([]byte, 16), make([]byte, 16))
	f.Add([]byte{}, []byte{})
	f.Add(make([]byte, 16), make([]byte, 33))
	f.Fuzz(func(t *testing.T, iv, ct []byte) {
		plain, err := decryptSecret(key, iv, ct)
		if err != nil {
			if plain != nil {
				t.Fatal("error with a plaintext")
			}
			if err != errBadCiphertext {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// Whatever decrypts must re-encrypt and decrypt to itself.
		iv2, ct2, err := encryptSecret(key, plain)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decryptSecret(key, iv2, ct2)
		if err != nil || !bytes.Equal(again, plain) {
			t.Fatalf("round trip of %q failed: %v", plain, err)
		}
	})
}
