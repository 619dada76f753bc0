// Package backup seals and opens aimonitor's export files. Settings and
// account metadata are plain JSON; logins, when included, are encrypted with
// AES-256-GCM under a key derived from a passphrase with Argon2id (random salt
// and nonce, parameters stored in the file; see backend/sealbox). The rest of
// the file is bound to the ciphertext as associated data, so any edit is
// detected on import.
package backup

import (
	"errors"
	"fmt"

	"github.com/aimonitor/aimonitor/backend/sealbox"
)

// ErrDecrypt covers a wrong passphrase and a tampered file alike: GCM cannot
// tell them apart, and saying which would help an attacker.
var ErrDecrypt = errors.New("the passphrase is wrong or the file was altered; nothing was imported")

// ErrWeakPassphrase is returned when the passphrase is too short to protect logins.
var ErrWeakPassphrase = sealbox.ErrWeakPassphrase

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

func (s *Sealed) params() sealbox.Params {
	return sealbox.Params{KDF: s.KDF, Time: s.Time, MemoryKiB: s.MemoryKiB, Threads: s.Threads, Salt: s.Salt}
}

// Seal encrypts plaintext under passphrase, authenticating aad too.
func Seal(passphrase, plaintext, aad []byte) (*Sealed, error) {
	if len(passphrase) < sealbox.MinPassphraseLen {
		return nil, ErrWeakPassphrase
	}
	p, err := sealbox.NewParams()
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	key, err := sealbox.DeriveKey(passphrase, p)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer key.Destroy()
	s := &Sealed{KDF: p.KDF, Time: p.Time, MemoryKiB: p.MemoryKiB, Threads: p.Threads, Salt: p.Salt, Cipher: sealbox.CipherName}
	if s.Nonce, s.Ciphertext, err = key.Seal(plaintext, aad); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return s, nil
}

// Open decrypts s. The caller owns (and should clear) the result.
func Open(passphrase []byte, s *Sealed, aad []byte) ([]byte, error) {
	if s == nil {
		return nil, errors.New("backup: this file holds no logins")
	}
	if s.KDF != sealbox.KDFName || s.Cipher != sealbox.CipherName {
		return nil, fmt.Errorf("backup: unsupported encryption %s/%s", s.KDF, s.Cipher)
	}
	if err := s.params().Check(); err != nil {
		return nil, errors.New("backup: the file's key-derivation parameters are out of bounds")
	}
	key, err := sealbox.DeriveKey(passphrase, s.params())
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer key.Destroy()
	pt, err := key.Open(s.Nonce, s.Ciphertext, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}
