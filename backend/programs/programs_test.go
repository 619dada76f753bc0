package programs

import (
	"os"
	"path/filepath"
	"testing"
)

func touch(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
}

func TestCommandLine(t *testing.T) {
	both := t.TempDir()
	touch(t, filepath.Join(both, CommandLineName), 0o755)
	touch(t, filepath.Join(both, CoreName), 0o755)
	touch(t, filepath.Join(both, WidgetName), 0o755)
	widgetOnly := t.TempDir()
	touch(t, filepath.Join(widgetOnly, WidgetName), 0o755)
	coreOnly := t.TempDir()
	touch(t, filepath.Join(coreOnly, CoreName), 0o755)
	linkDir := t.TempDir()
	if err := os.Symlink(filepath.Join(both, WidgetName), filepath.Join(linkDir, "my-widget")); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ self, want string }{
		// The widget names the command line beside it.
		{filepath.Join(both, WidgetName), filepath.Join(both, CommandLineName)},
		// aimonitor-core names the launcher, which holds the fast paths.
		{filepath.Join(both, CoreName), filepath.Join(both, CommandLineName)},
		// aimonitor-core without a launcher (go install of it alone) names
		// itself: it answers every command.
		{filepath.Join(coreOnly, CoreName), filepath.Join(coreOnly, CoreName)},
		// The command line names itself.
		{filepath.Join(both, CommandLineName), filepath.Join(both, CommandLineName)},
		// A widget installed alone names itself: it is a complete aimonitor.
		{filepath.Join(widgetOnly, WidgetName), filepath.Join(widgetOnly, WidgetName)},
		// Through a symlink: the real file's directory counts.
		{filepath.Join(linkDir, "my-widget"), filepath.Join(both, CommandLineName)},
	}
	for _, c := range cases {
		got, err := CommandLine(func() (string, error) { return c.self, nil }, func(string) string { return "" })()
		if err != nil || got != c.want {
			t.Errorf("running %s: %q, %v; want %q", c.self, got, err, c.want)
		}
	}
}

func TestBesideNeedsAnExecutable(t *testing.T) {
	dir := t.TempDir()
	touch(t, filepath.Join(dir, WidgetName), 0o644)
	if _, ok := Beside(filepath.Join(dir, CommandLineName), WidgetName); ok {
		t.Fatal("a file that cannot run counts as the widget")
	}
	if err := os.Chmod(filepath.Join(dir, WidgetName), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, ok := Beside(filepath.Join(dir, CommandLineName), WidgetName); !ok || p != filepath.Join(dir, WidgetName) {
		t.Fatalf("Beside: %q %v", p, ok)
	}
}

// Run from an AppImage, the programs live on a mount that disappears when it
// exits: what is written for later must name the AppImage file itself.
func TestCommandLineInsideAnAppImage(t *testing.T) {
	mount := t.TempDir() // stands in for /tmp/.mount_aimoXXXX
	bin := filepath.Join(mount, "usr", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	touch(t, filepath.Join(bin, CommandLineName), 0o755)
	touch(t, filepath.Join(bin, CoreName), 0o755)
	image := filepath.Join(t.TempDir(), "aimonitor-x86_64.AppImage")
	touch(t, image, 0o755)
	other := t.TempDir()
	touch(t, filepath.Join(other, CommandLineName), 0o755)
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	inside := env(map[string]string{"APPIMAGE": image, "APPDIR": mount})
	cases := []struct {
		name, self string
		getenv     func(string) string
		want       string
	}{
		{"core in the image", filepath.Join(bin, CoreName), inside, image},
		{"launcher in the image", filepath.Join(bin, CommandLineName), inside, image},
		// A program started from another AppImage's process inherits its
		// APPIMAGE and APPDIR: only a program inside APPDIR is the image's.
		{"installed copy with an inherited APPIMAGE", filepath.Join(other, CommandLineName), inside, filepath.Join(other, CommandLineName)},
		{"APPIMAGE without APPDIR", filepath.Join(bin, CoreName), env(map[string]string{"APPIMAGE": image}), filepath.Join(bin, CommandLineName)},
		{"relative APPIMAGE", filepath.Join(bin, CoreName), env(map[string]string{"APPIMAGE": "x.AppImage", "APPDIR": mount}), filepath.Join(bin, CommandLineName)},
	}
	for _, c := range cases {
		got, err := CommandLine(func() (string, error) { return c.self, nil }, c.getenv)()
		if err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}
