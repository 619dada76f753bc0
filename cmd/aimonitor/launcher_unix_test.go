//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/aimonitor/aimonitor/backend/statusline"
)

type ran struct {
	stdout, stderr string
	code           int
}

func runIn(t *testing.T, bin string, env []string, stdin string, args ...string) ran {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running %s: %v", bin, err)
	}
	return ran{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

func sandbox(t *testing.T) []string {
	root := t.TempDir()
	return []string{"HOME=" + filepath.Join(root, "home"), "XDG_CONFIG_HOME=" + filepath.Join(root, "config"),
		"XDG_DATA_HOME=" + filepath.Join(root, "data"), "XDG_STATE_HOME=" + filepath.Join(root, "state"), "PATH=/usr/bin:/bin"}
}

// The launcher answers `version` itself, byte for byte what aimonitor-core
// prints, and without core installed.
func TestVersionIsCores(t *testing.T) {
	env := sandbox(t)
	alone := filepath.Join(t.TempDir(), "aimonitor")
	copyFile(t, binary(t), alone)
	for _, arg := range []string{"version", "--version"} {
		want := runIn(t, core(t), env, "", arg)
		if want.code != 0 || !strings.HasPrefix(want.stdout, "aimonitor ") || want.stderr != "" {
			t.Fatalf("aimonitor-core %s: %+v", arg, want)
		}
		for _, bin := range []string{binary(t), alone} {
			if got := runIn(t, bin, env, "", arg); got != want {
				t.Errorf("%s %s: %+v, want %+v", bin, arg, got, want)
			}
		}
	}
	// What the launcher leaves to core still works through it.
	if r := runIn(t, binary(t), env, "", "version", "--json"); r.code != 0 || !json.Valid([]byte(r.stdout)) {
		t.Errorf("version --json: %+v", r)
	}
	if r := runIn(t, binary(t), env, "", "version", "extra"); r.code != 2 {
		t.Errorf("version extra: %+v, want exit 2 from core", r)
	}
}

// Everything else becomes aimonitor-core found beside the launcher's real
// file: the same process, argv (argv[0] as typed), environment, stdin and
// exit status. The stand-in core is this test binary (fakeCore).
func TestExecsCore(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, binary(t), filepath.Join(dir, "aimonitor"))
	copyFile(t, os.Args[0], filepath.Join(dir, "aimonitor-core"))
	// A symlink elsewhere, as ~/bin/aimonitor → an unpacked tarball.
	links := t.TempDir()
	if err := os.Symlink(filepath.Join(dir, "aimonitor"), filepath.Join(links, "aimonitor")); err != nil {
		t.Fatal(err)
	}
	for _, bin := range []string{filepath.Join(dir, "aimonitor"), filepath.Join(links, "aimonitor")} {
		for _, args := range [][]string{{}, {"list", "--json"}, {"--debug", "switch", "two words"}, {"--help"}, {"nosuch"},
			{"statusline"}, {"tokens", "--json"}, {"version", "--json"}, {"--version", "x"}} {
			cmd := exec.Command(bin, args...)
			cmd.Args[0] = "as-typed"
			cmd.Env = []string{"PATH=/usr/bin:/bin", "AIMONITOR_WIDGET_THEME=dark", fakeCoreEnv + "=1"}
			cmd.Stdin = strings.NewReader("hello")
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 7 {
				t.Fatalf("%s %q: %v, want core's exit status 7\n%s%s", bin, args, err, out.String(), errb.String())
			}
			var got fakeCoreReport
			if err := json.Unmarshal(out.Bytes(), &got); err != nil || errb.Len() != 0 {
				t.Fatalf("%s %q: %v: %s%s", bin, args, err, out.String(), errb.String())
			}
			want := fakeCoreReport{Pid: cmd.Process.Pid, Args: append([]string{"as-typed"}, args...), Theme: "dark", Stdin: "hello",
				Exe: filepath.Join(dir, "aimonitor-core")}
			if got.Pid != want.Pid || !slices.Equal(got.Args, want.Args) || got.Theme != want.Theme || got.Stdin != want.Stdin || got.Exe != want.Exe {
				t.Errorf("%s %q: core saw %+v, want %+v", bin, args, got, want)
			}
		}
	}
}

const fakeCoreEnv = "AIMONITOR_TEST_FAKE_CORE"

// The test binary stands in for core, or for a launcher handing stdin
// back, when a test starts it so.
func init() {
	if os.Getenv(restoreChildEnv) != "" {
		restoreChild()
	}
	if os.Getenv(fakeCoreEnv) != "" {
		fakeCore()
	}
}

type fakeCoreReport struct {
	Pid   int
	Args  []string
	Theme string
	Stdin string
	Exe   string
}

// fakeCore reports what it was started with and exits 7.
func fakeCore() {
	in, _ := io.ReadAll(os.Stdin)
	exe, _ := os.Executable()
	json.NewEncoder(os.Stdout).Encode(fakeCoreReport{os.Getpid(), os.Args, os.Getenv("AIMONITOR_WIDGET_THEME"), string(in), exe})
	os.Exit(7)
}

// Without aimonitor-core beside it the launcher says so in one line, naming
// what is missing and where it looked, exits non-zero, and runs nothing:
// not an aimonitor-core on PATH either.
func TestCoreMissing(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, binary(t), filepath.Join(dir, "aimonitor"))
	decoy := t.TempDir()
	if err := os.WriteFile(filepath.Join(decoy, "aimonitor-core"), []byte("#!/bin/sh\necho decoy\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Present but not executable counts as missing.
	if err := os.WriteFile(filepath.Join(dir, "aimonitor-core"), []byte("#!/bin/sh\necho no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(sandbox(t), "PATH="+decoy+":/usr/bin:/bin")
	for _, args := range [][]string{{}, {"list"}, {"statusline"}, {"--help"}} {
		r := runIn(t, filepath.Join(dir, "aimonitor"), env, "", args...)
		want := filepath.Join(dir, "aimonitor-core")
		if r.code == 0 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) ||
			!strings.HasPrefix(r.stderr, "aimonitor: cannot run aimonitor-core") {
			t.Errorf("%q without core: %+v", args, r)
		}
	}
}

// The hand-back of what a fast path read from stdin: core reads those bytes
// first, then the rest, from a pipe or a file.
const restoreChildEnv = "AIMONITOR_TEST_RESTORE_STDIN"

// restoreChild reads 5 bytes of stdin, hands them back and becomes cat.
func restoreChild() {
	buf := make([]byte, 5)
	n, _ := os.Stdin.Read(buf)
	if err := restoreStdin(buf[:n]); err != nil {
		os.Stderr.WriteString(err.Error())
		os.Exit(3)
	}
	cat, _ := exec.LookPath("cat")
	syscall.Exec(cat, []string{"cat"}, os.Environ())
	os.Exit(4)
}

func TestRestoreStdin(t *testing.T) {
	want := strings.Repeat("0123456789", 20000) // more than a pipe holds
	file := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(file, []byte(want), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, viaFile := range []bool{false, true} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), restoreChildEnv+"=1")
		if viaFile {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cmd.Stdin = f
		} else {
			cmd.Stdin = strings.NewReader(want)
		}
		out, err := cmd.Output()
		if err != nil || string(out) != want {
			t.Errorf("from a file %v: %v, core read %d bytes, want the %d sent", viaFile, err, len(out), len(want))
		}
	}
}

// What core writes for later names the launcher, where the fast paths
// live: the status line's command, whether the launcher or core ran.
func TestStatuslineInstallNamesTheLauncher(t *testing.T) {
	want := statusline.Command(binary(t))
	for _, bin := range []string{binary(t), core(t)} {
		env := sandbox(t)
		r := runIn(t, bin, env, "", "statusline", "--install")
		if r.code != 0 {
			t.Fatalf("%s statusline --install: %+v", bin, r)
		}
		home := strings.TrimPrefix(env[0], "HOME=")
		data, err := os.ReadFile(filepath.Join(home, ".claude", "settings.json"))
		var v struct {
			StatusLine struct{ Command string } `json:"statusLine"`
		}
		if err != nil || json.Unmarshal(data, &v) != nil || v.StatusLine.Command != want {
			t.Errorf("after %s statusline --install: %v %s; want the command %q", filepath.Base(bin), err, data, want)
		}
	}
}
