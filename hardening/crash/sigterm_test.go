//go:build unix

package crash

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
)

// SIGTERM (or Ctrl-C) while Anthropic is answering a refresh: the answer has
// already spent the old refresh token, so the process must read it and save
// the new login before it stops. The answer arrives slowly (the simulator
// trickles it), so the signal lands inside it every time.
func TestSIGTERMDuringARefreshKeepsTheLogin(t *testing.T) {
	h := newHarness(t, 2)
	target, other := h.labels[0], h.labels[1] // a1 was adopted last: it is live
	h.w.ExpireStash(h.uuidOf[target])
	if err := h.w.Sim.SetFault(sim.Fault{Kind: sim.FaultSlowBody, Endpoint: sim.EndpointToken, Times: 1, Delay: 25 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	creds, _ := os.ReadFile(h.w.CredsPath())
	cfg, _ := os.ReadFile(h.w.ConfigPath())
	r := h.start("switch", target)
	deadline := time.After(30 * time.Second)
	for waiting := true; waiting; {
		select {
		case s := <-r.sawCh:
			waiting = s != "refresh=running"
		case <-deadline:
			r.cmd.Process.Kill()
			t.Fatalf("no refresh step:\n%s", r.output())
		}
	}
	time.Sleep(50 * time.Millisecond) // inside the trickled answer
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := h.wait(r, time.Minute); err == nil {
		t.Logf("the switch finished before the signal took effect:\n%s", r.output())
	}
	if c, _ := os.ReadFile(h.w.CredsPath()); string(c) != string(creds) {
		if g, _ := os.ReadFile(h.w.ConfigPath()); string(g) == string(cfg) {
			t.Fatalf("half a switch after SIGTERM:\n%s", r.output())
		}
	}
	if ok, _ := h.tokenCalls(target); ok != 1 {
		t.Fatalf("%d refreshes answered, want 1", ok)
	}
	// The renewed login reached the keyring: switching works, without
	// another refresh and without a new login.
	if res := h.w.Run(context.Background(), "switch", target); res.Code != 0 {
		t.Fatalf("the login of %s was lost to SIGTERM: %s%s\nfirst process:\n%s", target, res.Stdout, res.Stderr, r.output())
	}
	h.w.MustRun("switch", other)
	h.w.CheckNoLeaks(r.output())
}

func (h *harness) tokenCalls(label string) (ok, failed int) {
	for _, r := range h.w.Sim.Log().Requests {
		if r.Endpoint == sim.EndpointToken && r.Account == h.uuidOf[label] {
			if r.Status == 200 {
				ok++
			} else {
				failed++
			}
		}
	}
	return ok, failed
}
