package service

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// The launcher's tokens path runs only with the AIMONITOR_* variables that
// locate files set: none of them may be a setting the command line reads.
func TestWarmPathRunsWithNoSettingInTheEnvironment(t *testing.T) {
	cfg, err := config.Load(filepath.Join(t.TempDir(), "none.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	fields := cfg.Fields()
	if len(fields) == 0 {
		t.Fatal("no settings listed")
	}
	for _, f := range fields {
		if f.EnvVar == "" || warm.EnvAllowed(f.EnvVar) {
			t.Errorf("%s (%s) is allowed on the launcher's tokens path", f.EnvVar, f.Key)
		}
	}
	for _, v := range []string{"AIMONITOR_API_BASE", "AIMONITOR_TOKEN_URL", "AIMONITOR_RELEASES_URL", "AIMONITOR_SANDBOX"} {
		if warm.EnvAllowed(v) {
			t.Errorf("%s is allowed on the launcher's tokens path", v)
		}
	}
}

// VerifiedConfigStamp names the configuration file only while it loads.
func TestVerifiedConfigStamp(t *testing.T) {
	home := t.TempDir()
	s, err := New(Options{Environ: []string{"HOME=" + home, "AIMONITOR_DATA_DIR=" + t.TempDir()}, GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.VerifiedConfigStamp(); got != "-" {
		t.Fatalf("no file: %q, want -", got)
	}
	if err := os.MkdirAll(filepath.Dir(s.Paths.ConfigFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Paths.ConfigFile, []byte("poll:\n  interval_sec: 600\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := s.VerifiedConfigStamp(); got == "" || got != warm.FileStamp(s.Paths.ConfigFile) {
		t.Fatalf("a valid file: %q", got)
	}
	if err := os.WriteFile(s.Paths.ConfigFile, []byte("poll:\n  interval_sec: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := s.VerifiedConfigStamp(); got != "" {
		t.Fatalf("a file that does not load: %q", got)
	}
}
