package main

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The Linux command line is one static executable: no program interpreter
// (dynamic loader), no shared library.
func TestStaticallyLinked(t *testing.T) {
	f, err := elf.Open(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("has a %v program header: dynamically linked", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("needs shared libraries %q", libs)
	}
}

// It runs in a root holding nothing but itself and an empty HOME: no libc,
// no GTK, no WebKit, no /etc, no D-Bus. The root is a chroot in a new mount
// namespace (and, for an ordinary user, a new user namespace).
func TestRunsInAnEmptyRoot(t *testing.T) {
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, binary(t), filepath.Join(root, "aimonitor"))
	for _, d := range []string{"home", "tmp"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 3 {
		t.Fatalf("the root holds %d entries, want aimonitor, home and tmp", len(entries))
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

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
