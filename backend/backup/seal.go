// Package backup seals and opens aimonitor's export files. Settings and
// account metadata are plain JSON; logins, when included, are encrypted with
// AES-256-GCM under a key derived from a passphrase with Argon2id (random salt
// and nonce, parameters stored in the file). The rest of the file is bound to
// the ciphertext as associated data, so any edit is detected on import.
package backup

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// KDF parameters: RFC 9106's second recommended option (64 MiB, 3 passes).
const (
	kdfName     = "argon2id"
	cipherName  = "aes-256-gcm"
	defaultTime = 3
	defaultMem  = 64 * 1024 // KiB
	defaultPar  = 4
	keyLen      = 32
	saltLen     = 16
	minPassLen  = 8
)

// Upper bounds on parameters read from a file, so a hostile file cannot make
// import allocate gigabytes or spin for minutes.
const (
	maxTime = 10
	maxMem  = 1024 * 1024 // 1 GiB in KiB
	maxPar  = 16
)

// ErrDecrypt covers a wrong passphrase and a tampered file alike: GCM cannot
// tell them apart, and saying which would help an attacker.
var ErrDecrypt = errors.New("the passphrase is wrong or the file was altered; nothing was imported")

// ErrWeakPassphrase is returned when the passphrase is too short to protect logins.
var ErrWeakPassphrase = fmt.Errorf("the passphrase must be at least %d characters", minPassLen)

// Sealed is the encrypted part of a backup.
type Sealed struct {
	KDF        string `json:"kdf"`
	Time       uint32 `json:"time"`
	MemoryKiB  uint32 `json:"memory_kib"`
	Threads    uint8  `json:"threads"`
	Salt       []byte `json:"salt"`
	Cipher     string `json:"cipher"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// Seal encrypts plaintext under passphrase, authenticating aad too.
func Seal(passphrase, plaintext, aad []byte) (*Sealed, error) {
	if len(passphrase) < minPassLen {
		return nil, ErrWeakPassphrase
	}
	s := &Sealed{KDF: kdfName, Time: defaultTime, MemoryKiB: defaultMem, Threads: defaultPar, Cipher: cipherName,
		Salt: make([]byte, saltLen)}
	if _, err := rand.Read(s.Salt); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	gcm, key, err := s.aead(passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	s.Nonce = make([]byte, gcm.NonceSize())
	if _, err := rand.Read(s.Nonce); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	s.Ciphertext = gcm.Seal(nil, s.Nonce, plaintext, aad)
	return s, nil
}

// Open decrypts s. The caller owns (and should clear) the result.
func Open(passphrase []byte, s *Sealed, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errors.New("backup: this file holds no logins")
	}
	if s.KDF != kdfName || s.Cipher != cipherName {
		return nil, fmt.Errorf("backup: unsupported encryption %s/%s", s.KDF, s.Cipher)
	}
	if s.Time == 0 || s.Time > maxTime || s.MemoryKiB < 8*uint32(s.Threads) || s.MemoryKiB > maxMem ||
		s.Threads == 0 || s.Threads > maxPar || len(s.Salt) < 8 {
		return nil, errors.New("backup: the file's key-derivation parameters are out of bounds")
	}
	gcm, key, err := s.aead(passphrase)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	if len(s.Nonce) != gcm.NonceSize() {
		return nil, ErrDecrypt
	}
	pt, err := gcm.Open(nil, s.Nonce, s.Ciphertext, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

func (s *Sealed) aead(passphrase []byte) (cipher.AEAD, []byte, error) {
	key := argon2.IDKey(passphrase, s.Salt, s.Time, s.MemoryKiB, s.Threads, keyLen)
	block, err := aes.NewCipher(key)
	if err != nil {
		clear(key)
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		clear(key)
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	return gcm, key, nil
}
