//go:build linux

package headless

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/hardening/internal/world"
)

// TestServiceInstall: the unit `service install` writes passes systemd's
// own check, and its command line and environment, run as systemd would
// run them, give a daemon that opens the file keyring with the passphrase
// file and swaps accounts; uninstall removes it.
func TestServiceInstall(t *testing.T) {
	m := newMachine(t, world.Options{Headless: true, FilePassphrase: passphrase})
	labels, creds := m.w.NewAccounts(2)
	m.must("config", "set", "keyring.backend", "file")
	passFile := filepath.Join(t.TempDir(), "keyring pass")
	if err := os.WriteFile(passFile, []byte(passphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.extra = []string{"AIMONITOR_KEYRING_PASSPHRASE_FILE=" + passFile}
	for i, c := range creds {
		m.w.Login(c)
		m.must("add", "--adopt-current", "--label", labels[i])
	}
	m.extra = nil

	r := m.run("service", "install", "--passphrase-file", passFile)
	unitPath := filepath.Join(m.w.Home, ".config", "systemd", "user", "aimonitor.service")
	// No user systemd here: the unit is written, and the note says how to enable it.
	if r.code != 0 || !strings.Contains(r.stdout, "Wrote "+unitPath) || !strings.Contains(r.stderr, "systemctl --user enable --now aimonitor.service") {
		t.Fatalf("service install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	prog, env := parseUnit(t, string(data))
	want := os.Getenv(BinaryEnv)
	if want == "" {
		want = os.Args[0]
	}
	if a, _ := filepath.EvalSymlinks(want); a != prog {
		if b, _ := filepath.Abs(want); b != prog {
			t.Fatalf("the unit runs %s, want %s", prog, want)
		}
	}
	if !contains(env, "AIMONITOR_KEYRING_BACKEND=file") || !contains(env, "AIMONITOR_KEYRING_PASSPHRASE_FILE="+passFile) {
		t.Fatalf("the unit's environment: %q", env)
	}
	if strings.Contains(string(data), passphrase) {
		t.Fatal("the passphrase is in the unit")
	}

	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		cmd := exec.Command("systemd-analyze", "--user", "verify", unitPath)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "" {
			t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
		}
	} else {
		t.Log("systemd-analyze is not installed: the unit was not verified by systemd")
	}

	// Run the unit's command line with the unit's environment (and no
	// passphrase of the test's own): the active account is over the
	// threshold, so the daemon must read the other's saved login from the
	// file keyring to swap.
	resets := time.Now().Add(3 * time.Hour)
	if err := m.w.Sim.SetUsage(creds[1].Identity.AccountUUID, "five_hour", 97, &resets); err != nil {
		t.Fatal(err)
	}
	cmd := m.w.Command(t.Context(), "daemon")
	cmd.Path, cmd.Args[0] = prog, prog
	var kept []string
	for _, kv := range cmd.Env {
		if !strings.HasPrefix(kv, "AIMONITOR_KEYRING_") {
			kept = append(kept, kv)
		}
	}
	cmd.Env = append(kept, env...)
	var errOut syncBuffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); m.email() != creds[0].Identity.Email; time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
			t.Fatalf("the unit's daemon did not swap within 2 minutes; it said:\n%s", errOut.String())
		}
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the daemon: %v\n%s", err, errOut.String())
	}
	m.w.Record([]string{"daemon (from the unit)"}, "", errOut.String())

	if st := m.must("service", "status"); !strings.Contains(st, "installed: "+unitPath) {
		t.Fatalf("service status:\n%s", st)
	}
	if out := m.must("service", "uninstall"); !strings.Contains(out, "removed "+unitPath) {
		t.Fatalf("service uninstall said:\n%s", out)
	}
	if _, err := os.Stat(unitPath); !os.IsNotExist(err) {
		t.Fatal("the unit is still there")
	}
	if st := m.must("service", "status"); !strings.Contains(st, "not installed") {
		t.Fatalf("service status after uninstall:\n%s", st)
	}
	m.checkNoLeaks()
}

// parseUnit reads the program of ExecStart= and the Environment= pairs,
// undoing the quoting systemd would undo (enough for what install writes).
func parseUnit(t *testing.T, unit string) (string, []string) {
	t.Helper()
	unq := func(s string) string {
		if strings.HasPrefix(s, `"`) && strings.HasSuffix(s, `"`) {
			s = s[1 : len(s)-1]
			s = strings.ReplaceAll(s, `\"`, `"`)
			s = strings.ReplaceAll(s, `\\`, `\`)
		}
		return strings.ReplaceAll(s, "%%", "%")
	}
	var prog string
	var env []string
	for _, line := range strings.Split(unit, "\n") {
		switch {
		case strings.HasPrefix(line, "ExecStart="):
			v := strings.TrimPrefix(line, "ExecStart=")
			if !strings.HasSuffix(v, " daemon") {
				t.Fatalf("ExecStart does not run the daemon: %s", line)
			}
			prog = unq(strings.TrimSuffix(v, " daemon"))
		case strings.HasPrefix(line, "Environment="):
			env = append(env, unq(strings.TrimPrefix(line, "Environment=")))
		}
	}
	if prog == "" {
		t.Fatalf("no ExecStart in:\n%s", unit)
	}
	return prog, env
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
