package keyring

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Expected suffixes computed independently:
// printf %s "$dir" | sha256sum | cut -c1-8 (NFC input).
func TestClaudeCodeService(t *testing.T) {
	tests := []struct {
		name, dir, want string
	}{
		{"unset", "", "Claude Code-credentials"},
		{"absolute", "/Users/me/.claude-work", "Claude Code-credentials-1e91dd84"},
		{"tilde is hashed as written", "~/.claude-work", "Claude Code-credentials-250d1b22"},
		{"NFC input", "/home/zo\u00eb/.claude", "Claude Code-credentials-482d1a8d"},
		{"NFD input is normalised first", "/home/zoe\u0308/.claude", "Claude Code-credentials-482d1a8d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClaudeCodeService(tt.dir); got != tt.want {
				t.Errorf("ClaudeCodeService(%q) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}

func TestUserAccount(t *testing.T) {
	lookupOK := func(name string) func() (string, error) {
		return func() (string, error) { return name, nil }
	}
	lookupFails := func() (string, error) { return "", errors.New("no passwd entry") }
	tests := []struct {
		name   string
		user   string
		lookup func() (string, error)
		want   string
	}{
		{"USER wins", "alice", lookupOK("bob"), "alice"},
		{"user database when USER is empty", "", lookupOK("bob"), "bob"},
		{"dots dashes underscores", "a.b-c_d", lookupFails, "a.b-c_d"},
		{"e-mail user names are replaced", "me@example.com", lookupFails, "claude-code-user"},
		{"spaces are replaced", "John Smith", lookupFails, "claude-code-user"},
		{"nothing known", "", lookupFails, "claude-code-user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "USER" {
					return tt.user
				}
				return ""
			}
			if got := userAccount(getenv, tt.lookup); got != tt.want {
				t.Errorf("userAccount = %q, want %q", got, tt.want)
			}
		})
	}
	if UserAccount() == "" {
		t.Error("UserAccount is empty")
	}
}

func TestStashService(t *testing.T) {
	if got := StashService("0b8c5d1e-3c1a-4c53-9d7e-2f4f8e6a1b22"); got != "aimonitor-0b8c5d1e-3c1a-4c53-9d7e-2f4f8e6a1b22" {
		t.Errorf("StashService = %q", got)
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.Logger == nil || o.CallTimeout != DefaultCallTimeout || o.PromptTimeout != DefaultPromptTimeout {
		t.Errorf("defaults not applied: %+v", o)
	}
	o = Options{CallTimeout: time.Second, PromptTimeout: 2 * time.Second}.withDefaults()
	if o.CallTimeout != time.Second || o.PromptTimeout != 2*time.Second {
		t.Errorf("explicit values overridden: %+v", o)
	}
}

func TestSentinelMessages(t *testing.T) {
	if !strings.Contains(ErrLocked.Error(), "unlock") {
		t.Errorf("ErrLocked does not tell the user to unlock: %q", ErrLocked)
	}
	if !strings.Contains(ErrUnavailable.Error(), unavailableHint) {
		t.Errorf("ErrUnavailable lacks the platform hint: %q", ErrUnavailable)
	}
}

// Another process's USER gets Claude Code's rule too; without one, ours.
func TestAccountFor(t *testing.T) {
	for user, want := range map[string]string{
		"ada":             "ada",
		"a.b_c-1":         "a.b_c-1",
		"ada@example.com": "claude-code-user",
		"two words":       "claude-code-user",
		"":                UserAccount(),
	} {
		if got := AccountFor(user); got != want {
			t.Errorf("AccountFor(%q) = %q, want %q", user, got, want)
		}
	}
}
