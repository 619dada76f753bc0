//go:build unix

package cli

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/clock"
)

func TestDoctorCommand(t *testing.T) {
	s := sim.New(clock.Real{})
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	work, err := s.AddAccount(sim.AccountSpec{Email: "alice@work.example"})
	if err != nil {
		t.Fatal(err)
	}
	m := newMachine(t, srv.URL)
	m.adopt(work, "work")

	r := run(t, m.env, "doctor")
	if r.code != 0 || !strings.Contains(r.stdout, "0 failures") || !strings.Contains(r.stdout, `OK    claude_code  Claude Code is logged in as alice@work.example`) {
		t.Fatalf("healthy: %+v", r)
	}
	var rep struct {
		Checks []struct{ Area, Status, Detail, Fix string }
	}
	r = run(t, m.env, "doctor", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || len(rep.Checks) < 8 {
		t.Fatalf("--json: %v %+v", err, r)
	}

	db := filepath.Join(m.get("XDG_DATA_HOME"), "aimonitor", "aimonitor.db")
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, m.env, "doctor")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL  database") || !strings.Contains(r.stdout, "fix: chmod 600 "+db) ||
		!strings.Contains(r.stderr, "doctor found 1 problem") {
		t.Fatalf("broken: %+v", r)
	}
	r = run(t, m.env, "doctor", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 {
		t.Fatalf("broken --json: %v %+v", err, r)
	}
}
