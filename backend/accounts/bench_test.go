package accounts_test

import (
	"testing"

	"github.com/aimonitor/aimonitor/backend/accounts"
)

// BenchmarkSwitch measures one switch without a token refresh, with the
// in-memory keyring: Claude Code's locks taken, both files rewritten and
// read back, the audit row written.
func BenchmarkSwitch(b *testing.B) {
	h := newHarness(b)
	h.adopt(h.account("a@example.com"), "a")
	h.capture(h.account("b@example.com"), "b")
	labels := []string{"b", "a"}
	for i := 0; b.Loop(); i++ {
		if _, err := h.m.Switch(h.ctx, labels[i%2], accounts.TriggerManual, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkActive measures resolving the active account (the poller and
// `list` do it each time).
func BenchmarkActive(b *testing.B) {
	h := newHarness(b)
	h.adopt(h.account("a@example.com"), "a")
	h.capture(h.account("b@example.com"), "b")
	for b.Loop() {
		if _, err := h.m.Active(h.ctx); err != nil {
			b.Fatal(err)
		}
	}
}
