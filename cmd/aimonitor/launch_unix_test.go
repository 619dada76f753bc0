//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/internal/fakedisplay"
)

// `aimonitor [args]` asking for the window becomes, through aimonitor-core,
// the widget binary beside both: the same process (exec, twice, so the PID
// and signals stay), the same arguments and environment.
func TestBecomesTheWidget(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, binary(t), filepath.Join(dir, "aimonitor"))
	copyFile(t, core(t), filepath.Join(dir, "aimonitor-core"))
	// A stand-in widget that reports what it got.
	script := "#!/bin/sh\necho \"pid=$$\"\necho \"args=$*\"\necho \"theme=$AIMONITOR_WIDGET_THEME\"\n"
	if err := os.WriteFile(filepath.Join(dir, "aimonitor-widget"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	session := fakedisplay.Wayland(t)
	for _, args := range [][]string{{}, {"--expanded"}, {"widget", "--expanded"}} {
		cmd := exec.Command(filepath.Join(dir, "aimonitor"), args...)
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin", "AIMONITOR_WIDGET_THEME=dark"}
		cmd.Env = append(cmd.Env, session...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%q: %v\n%s%s", args, err, out.String(), errb.String())
		}
		want := "pid=" + strconv.Itoa(cmd.Process.Pid) + "\nargs=" + strings.Join(args, " ") + "\ntheme=dark\n"
		if out.String() != want || errb.Len() != 0 {
			t.Errorf("%q: the widget printed %q (stderr %q), want %q", args, out.String(), errb.String(), want)
		}
	}
}
