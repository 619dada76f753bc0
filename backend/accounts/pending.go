package accounts

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/paths"
)

// A refresh answer spends the old refresh token: if the keyring then
// refuses the new login even after retries, the login must still outlive
// the process, and never in plaintext. It is sealed into a "pending save"
// file with AES-256-GCM under a key derived (HKDF-SHA256, random salt) from
// the refresh token the stash still holds — the one the renewal spent. So
// the file opens only for someone who can read that keyring item (who could
// read the saved logins anyway), and only while the stash is unchanged: once
// a newer login is saved there, the file no longer opens and is dropped. The
// next process to take the account lock opens it and saves it to the
// keyring (settlePending).

const pendingInfo = "aimonitor pending login v1"

type pendingFile struct {
	Ref   string `json:"keyring_ref"`
	Salt  []byte `json:"salt"`
	Nonce []byte `json:"nonce"`
	Box   []byte `json:"sealed"`
}

// pendingPath is the pending-save file of a stash (keyring refs are
// "aimonitor-<uuid>[.<org uuid>]": safe as file names).
func (m *Manager) pendingPath(ref string) string {
	return filepath.Join(m.pendingDir, ref+".sealed")
}

func pendingAEAD(oldRefresh, salt []byte, ref string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, oldRefresh, salt, pendingInfo+"\x00"+ref, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealPending keeps next (a's renewed login) until the keyring takes it.
// stash is what a's keyring item holds now.
func (m *Manager) sealPending(a *Account, stash, next []byte) (string, error) {
	c, err := claudecode.ParseCredentials(stash)
	if err != nil {
		return "", err
	}
	defer c.Zero()
	if len(c.RefreshToken) == 0 {
		return "", errors.New("the saved login has no refresh token to seal with")
	}
	p := pendingFile{Ref: a.KeyringRef, Salt: make([]byte, 16)}
	if _, err := rand.Read(p.Salt); err != nil {
		return "", err
	}
	aead, err := pendingAEAD(c.RefreshToken, p.Salt, a.KeyringRef)
	if err != nil {
		return "", err
	}
	p.Nonce = make([]byte, aead.NonceSize())
	if _, err := rand.Read(p.Nonce); err != nil {
		return "", err
	}
	p.Box = aead.Seal(nil, p.Nonce, next, []byte(a.KeyringRef))
	data, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	if err := paths.EnsureDir(m.pendingDir); err != nil {
		return "", err
	}
	path := m.pendingPath(a.KeyringRef)
	if err := paths.WriteFileAtomic(path, data); err != nil {
		return "", err
	}
	return path, nil
}

// openPending returns the sealed login of ref if it still belongs to the
// login in stash (nil, nil when it is obsolete).
func openPending(data, stash []byte, ref string) ([]byte, error) {
	var p pendingFile
	if err := json.Unmarshal(data, &p); err != nil || p.Ref != ref {
		return nil, nil
	}
	c, err := claudecode.ParseCredentials(stash)
	if err != nil {
		return nil, nil
	}
	defer c.Zero()
	aead, err := pendingAEAD(c.RefreshToken, p.Salt, ref)
	if err != nil || len(p.Nonce) != aead.NonceSize() {
		return nil, nil
	}
	next, err := aead.Open(nil, p.Nonce, p.Box, []byte(ref))
	if err != nil {
		return nil, nil // the stash changed since: a newer login is saved
	}
	return next, nil
}

// hasPending reports whether any pending save waits.
func (m *Manager) hasPending() bool {
	entries, err := os.ReadDir(m.pendingDir)
	return err == nil && len(entries) > 0
}

// settlePending saves every pending login the keyring now takes. The caller
// holds the account lock.
func (m *Manager) settlePending(ctx context.Context) {
	entries, err := os.ReadDir(m.pendingDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		ref, ok := strings.CutSuffix(e.Name(), ".sealed")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(m.pendingDir, e.Name())
		if err := m.settleOne(ctx, ref, path); err != nil {
			m.log.Warn("a renewed login is still waiting for the keyring", "file", path, "err", err)
		}
	}
}

func (m *Manager) settleOne(ctx context.Context, ref, path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	rows, err := m.query(ctx, "WHERE keyring_ref = ?", ref)
	if err != nil {
		return err
	}
	stash, err := m.kr.Get(ctx, ref, m.krAcct)
	if len(rows) == 0 || errors.Is(err, keyring.ErrNotFound) {
		return os.Remove(path) // the account or its login is gone
	}
	if err != nil {
		return err
	}
	defer clear(stash)
	next, err := openPending(data, stash, ref)
	if err != nil {
		return err
	}
	if next == nil {
		m.log.Info("dropped a kept login: a newer one is saved", "account", rows[0].Label)
		return os.Remove(path)
	}
	defer clear(next)
	if err := m.kr.Set(ctx, ref, m.krAcct, stashLabel(rows[0].Email, rows[0].OrgName), next); err != nil {
		return err
	}
	m.log.Warn("saved to the keyring the renewed login it had refused before", "account", rows[0].Label)
	return os.Remove(path)
}
