package cli

import (
	"strings"
	"testing"
	"time"
)

// remove --purge asks on a terminal: "no" removes nothing and does not
// print the no-terminal hint; "yes" deletes the saved login.
func TestRemovePurgeAsksOnATerminal(t *testing.T) {
	m, _ := simMachine(t)
	uuid := mustUUID(t, m, "home")
	tm := newTerminal(t)
	done, _ := tm.run(m.env, "remove", "home", "--purge")
	tm.Answer("Type yes to continue:", 1, "no", 10*time.Second)
	if r := <-done; r.code != ExitFailure || !tm.WaitFor("aimonitor: nothing was removed\r\n", 5*time.Second) || strings.Contains(tm.Shown(), "--yes") {
		t.Fatalf("answering no: exit %d, screen %q", r.code, tm.Shown())
	}
	if _, err := m.stash(uuid); err != nil {
		t.Fatalf("answering no deleted the login: %v", err)
	}
	done, out := tm.run(m.env, "remove", "home", "--purge")
	tm.Answer("Type yes to continue:", 2, "yes", 10*time.Second)
	if r := <-done; r.code != 0 || !strings.Contains(out.String(), `Removed "home" and deleted its saved login`) {
		t.Fatalf("answering yes: exit %d, %s, screen %q", r.code, out.String(), tm.Shown())
	}
	if _, err := m.stash(uuid); err == nil {
		t.Fatal("the saved login is still in the keyring")
	}
}
