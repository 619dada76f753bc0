// Package sealbox holds the passphrase encryption aimonitor uses wherever a
// secret rests outside the OS keyring: backups and the file keyring. A key
// is derived from a passphrase with Argon2id (random salt, parameters kept
// next to the data), and data is sealed with AES-256-GCM, each piece bound
// to what it is (its associated data), so nothing can be swapped or edited
// unnoticed. It does no I/O.
package sealbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/crypto/argon2"
)

// Algorithm names, as stored in files.
const (
	KDFName    = "argon2id"
	CipherName = "aes-256-gcm"
)

// KDF parameters: RFC 9106's second recommended option (64 MiB, 3 passes).
const (
	defaultTime = 3
	defaultMem  = 64 * 1024 // KiB
	defaultPar  = 4
	// KeyLen is the length of a derived key.
	KeyLen  = 32
	saltLen = 16
	// MinPassphraseLen is the shortest passphrase that may protect logins.
	MinPassphraseLen = 8
)

// Upper bounds on parameters read from a file, so a hostile file cannot make
// a reader allocate gigabytes or spin for minutes.
const (
	maxTime = 10
	maxMem  = 4 * defaultMem // 256 MiB in KiB: four times what we write
	maxPar  = 16
)

// ErrDecrypt covers a wrong key and altered data alike: GCM cannot tell
// them apart.
var ErrDecrypt = errors.New("sealbox: the key is wrong or the data was altered")

// ErrWeakPassphrase is returned when a passphrase is too short to protect logins.
var ErrWeakPassphrase = errors.New("the passphrase must be at least " + strconv.Itoa(MinPassphraseLen) + " characters")

// Params are the key-derivation parameters stored with sealed data.
type Params struct {
	KDF       string `json:"kdf"`
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
	Salt      []byte `json:"salt"`
}

// NewParams returns the default parameters with a fresh random salt.
func NewParams() (Params, error) {
	p := Params{KDF: KDFName, Time: defaultTime, MemoryKiB: defaultMem, Threads: defaultPar, Salt: make([]byte, saltLen)}
	if _, err := rand.Read(p.Salt); err != nil {
		return Params{}, fmt.Errorf("sealbox: %w", err)
	}
	return p, nil
}

// Check rejects unknown algorithms and parameters out of bounds.
func (p Params) Check() error {
	if p.KDF != KDFName {
		return fmt.Errorf("sealbox: unsupported key derivation %q", p.KDF)
	}
	if p.Time == 0 || p.Time > maxTime || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxMem ||
		p.Threads == 0 || p.Threads > maxPar || len(p.Salt) < 8 {
		return errors.New("sealbox: the key-derivation parameters are out of bounds")
	}
	return nil
}

// Key is a derived AES-256-GCM key. Destroy it when done.
type Key struct {
	raw  []byte
	aead cipher.AEAD
}

// DeriveKey runs Argon2id over passphrase with p (checked first).
func DeriveKey(passphrase []byte, p Params) (*Key, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	raw := argon2.IDKey(passphrase, p.Salt, p.Time, p.MemoryKiB, p.Threads, KeyLen)
	k, err := KeyFromBytes(raw)
	clear(raw)
	return k, err
}

// KeyFromBytes builds a Key from raw key bytes (copied), such as a key kept
// in the kernel keyring.
func KeyFromBytes(raw []byte) (*Key, error) {
	if len(raw) != KeyLen {
		return nil, fmt.Errorf("sealbox: a key is %d bytes, not %d", KeyLen, len(raw))
	}
	k := &Key{raw: append([]byte(nil), raw...)}
	block, err := aes.NewCipher(k.raw)
	if err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("sealbox: %w", err)
	}
	return k, nil
}

// Bytes returns a copy of the raw key (to hand to a key cache). The caller
// clears it.
func (k *Key) Bytes() []byte { return append([]byte(nil), k.raw...) }

// Seal encrypts plaintext with a fresh random nonce, authenticating aad.
func (k *Key) Seal(plaintext, aad []byte) (nonce, ciphertext []byte, err error) {
	nonce = make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("sealbox: %w", err)
	}
	return nonce, k.aead.Seal(nil, nonce, plaintext, aad), nil
}

// Open decrypts ciphertext; any mismatch (key, nonce, data, aad) is
// ErrDecrypt. The caller owns (and should clear) the result.
func (k *Key) Open(nonce, ciphertext, aad []byte) ([]byte, error) {
	if len(nonce) != k.aead.NonceSize() {
		return nil, ErrDecrypt
	}
	pt, err := k.aead.Open(nil, nonce, ciphertext, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// Destroy clears the raw key bytes. (The expanded AES schedule inside the
// cipher cannot be reached from Go; it goes with the Key.)
func (k *Key) Destroy() {
	if k != nil {
		clear(k.raw)
	}
}
