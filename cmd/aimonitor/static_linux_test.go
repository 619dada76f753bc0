package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The Linux command line is two static executables (the launcher and
// aimonitor-core): no program interpreter (dynamic loader), no shared
// library.
func TestStaticallyLinked(t *testing.T) {
	for _, bin := range []string{binary(t), core(t)} {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("%s has a %v program header: dynamically linked", filepath.Base(bin), p.Type)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("%s needs shared libraries %q", filepath.Base(bin), libs)
		}
		f.Close()
	}
}

// It runs in a root holding nothing but the two binaries and an empty
// HOME: no libc, no GTK, no WebKit, no /etc, no /proc, no D-Bus. The root
// is a chroot in a new mount namespace (and, for an ordinary user, a new
// user namespace). Every command goes through the launcher, as a user's
// does; `config list` and `list` reach aimonitor-core.
func TestRunsInAnEmptyRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, binary(t), filepath.Join(root, "aimonitor"))
	copyFile(t, core(t), filepath.Join(root, "aimonitor-core"))
	for _, d := range []string{"home", "tmp"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 4 {
		t.Fatalf("the root holds %d entries, want aimonitor, aimonitor-core, home and tmp", len(entries))
	}
	inRoot := func(args ...string) (string, string, error) {
		cmd := exec.Command("/aimonitor", args...)
		cmd.Path = "/aimonitor" // resolved inside the root, after chroot
		cmd.Env = []string{"HOME=/home", "USER=tester", "TMPDIR=/tmp"}
		cmd.Dir = "/"
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Cloneflags: syscall.CLONE_NEWNS}
		if os.Getuid() != 0 {
			cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
			cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
			cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	out, stderr, err := inRoot("version")
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) {
		t.Skipf("cannot make a chroot in a new namespace here: %v", err)
	}
	if err != nil || !strings.HasPrefix(out, "aimonitor ") {
		t.Fatalf("version: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = inRoot("config", "list")
	if err != nil || !strings.Contains(out, "auto_swap.enabled") || !strings.Contains(out, "default") {
		t.Fatalf("config list: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = inRoot("list", "--json")
	var doc struct {
		Accounts []any `json:"accounts"`
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil || doc.Accounts == nil || len(doc.Accounts) != 0 {
		t.Fatalf("list --json: %v\n%s%s", err, out, stderr)
	}
	// It kept to the temporary HOME.
	if _, err := os.Stat(filepath.Join(root, "home", ".local", "share", "aimonitor")); err != nil {
		t.Errorf("no data directory under the temporary HOME: %v", err)
	}
}
