//go:build linux

package headless

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/aimonitor/aimonitor/hardening/internal/world"
)

// TestBadPassphraseOrStore: a wrong passphrase, none at all with no
// terminal, a truncated, tampered or newer store file — each is a clear
// one-line error, and nothing is lost: the store file and Claude Code's two
// files are byte for byte what they were. (The database is not compared: it
// records failed switches in the audit on purpose.)
func TestBadPassphraseOrStore(t *testing.T) {
	slowUnderRace(t)
	m := newMachine(t, world.Options{Headless: true, FilePassphrase: passphrase})
	labels, creds := m.w.NewAccounts(2)
	m.must("config", "set", "keyring.backend", "file")
	good := []string{"AIMONITOR_KEYRING_PASSPHRASE=" + passphrase}
	m.extra = good
	for i, c := range creds {
		m.w.Login(c)
		m.must("add", "--adopt-current", "--label", labels[i])
	}
	store := filepath.Join(m.w.Home, ".local", "share", "aimonitor", "keyring", "logins.json")
	original, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		env   []string
		store func([]byte) []byte // nil: the store as it is
		words []string
	}{
		{"wrong passphrase", []string{"AIMONITOR_KEYRING_PASSPHRASE=not the passphrase"}, nil,
			[]string{"passphrase of the file keyring is wrong", "nothing was read or written"}},
		{"no passphrase and no terminal", nil, nil,
			[]string{"locked", "aimonitor keyring unlock", "AIMONITOR_KEYRING_PASSPHRASE_FILE"}},
		{"truncated store", good, func(b []byte) []byte { return b[:len(b)*2/3] },
			[]string{store, "damaged or was altered", "truncated", "changed nothing"}},
		{"tampered store", good, tamper,
			[]string{store, "damaged or was altered", "do not match their seal"}},
		{"newer format", good, func(b []byte) []byte { return bytes.Replace(b, []byte(`"version": 1`), []byte(`"version": 2`), 1) },
			[]string{store, "written by a newer aimonitor", "update aimonitor"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m.t = t
			// Afterwards the good store goes back, whatever happened.
			t.Cleanup(func() { _ = os.WriteFile(store, original, 0o600) })
			if c.store != nil {
				if err := os.WriteFile(store, c.store(append([]byte(nil), original...)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			m.extra = c.env
			before := snapshot(t, store, m.w.CredsPath(), m.w.ConfigPath())
			m.fails(c.words, "switch", labels[0])
			m.fails(c.words, "add", "--adopt-current", "--label", "again")
			if after := snapshot(t, store, m.w.CredsPath(), m.w.ConfigPath()); !equal(before, after) {
				t.Fatalf("something changed:\n%s", diff(before, after))
			}
			if got := m.email(); got != creds[1].Identity.Email {
				t.Fatalf("Claude Code's login moved to %s", got)
			}
		})
	}
	m.t = t
	m.extra = good
	m.must("switch", labels[0])
	if got := m.email(); got != creds[0].Identity.Email {
		t.Fatalf("after the errors a switch did not work: %s", got)
	}
	m.checkNoLeaks()
}

// tamper flips one bit inside the first entry's ciphertext, keeping the
// file valid JSON.
func tamper(b []byte) []byte {
	i := bytes.Index(b, []byte(`"ciphertext": "`))
	i = bytes.Index(b[i+1:], []byte(`"ciphertext": "`)) + i + 1 // skip the check box's
	i = bytes.Index(b[i+1:], []byte(`"ciphertext": "`)) + i + 1 // the first entry
	start := i + len(`"ciphertext": "`)
	end := start + bytes.IndexByte(b[start:], '"')
	raw, err := base64.StdEncoding.DecodeString(string(b[start:end]))
	if err != nil {
		panic(err)
	}
	raw[len(raw)/2] ^= 0x40
	return append(append(append([]byte(nil), b[:start]...), base64.StdEncoding.EncodeToString(raw)...), b[end:]...)
}

func snapshot(t *testing.T, files ...string) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = data
	}
	return out
}

func equal(a, b map[string][]byte) bool {
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			return false
		}
	}
	return len(a) == len(b)
}

func diff(a, b map[string][]byte) string {
	s := ""
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			s += k + " changed\n"
		}
	}
	return s
}
