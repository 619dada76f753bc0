package autostart

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLinuxDesktopEntryAppearsAndDisappears(t *testing.T) {
	root := t.TempDir()
	e := Entry{GOOS: "linux", Home: root, ConfigHome: filepath.Join(root, "cfg"), Exe: "/opt/ai monitor/aimonitor"}
	p, _ := e.Path()
	if p != filepath.Join(root, "cfg", "autostart", "aimonitor.desktop") {
		t.Fatalf("path %s", p)
	}
	if ok, _, _ := e.Installed(); ok {
		t.Fatal("installed before Enable")
	}
	if err := e.Enable(RunDaemon); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[Desktop Entry]", "Type=Application", `Exec="/opt/ai monitor/aimonitor" daemon`, "X-GNOME-Autostart-enabled=true"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("missing %q in\n%s", want, data)
		}
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
	if ok, run, _ := e.Installed(); !ok || run != RunDaemon {
		t.Fatalf("installed %v %s", ok, run)
	}
	if err := e.Apply(true, RunWidget); err != nil {
		t.Fatal(err)
	}
	if ok, run, _ := e.Installed(); !ok || run != RunWidget {
		t.Fatalf("after switch to widget: %v %s", ok, run)
	}
	if err := e.Apply(false, RunWidget); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("entry still there: %v", err)
	}
	if err := e.Disable(); err != nil {
		t.Fatalf("second Disable: %v", err)
	}
}

func TestDefaultConfigHomeAndAppImage(t *testing.T) {
	env := map[string]string{"HOME": "/home/u", "APPIMAGE": "/home/u/Apps/aimonitor.AppImage", "APPDIR": "/tmp/.mount_x"}
	e, err := ForEnv("linux", func(k string) string { return env[k] }, func() (string, error) { return "/tmp/.mount_x/usr/bin/aimonitor", nil })
	if err != nil {
		t.Fatal(err)
	}
	if e.Exe != "/home/u/Apps/aimonitor.AppImage" {
		t.Fatalf("exe %s", e.Exe)
	}
	// An installed copy started from another AppImage's process inherits
	// its APPIMAGE and APPDIR, and must name itself.
	e, err = ForEnv("linux", func(k string) string { return env[k] }, func() (string, error) { return "/usr/bin/aimonitor", nil })
	if err != nil || e.Exe != "/usr/bin/aimonitor" {
		t.Fatalf("exe %s, %v", e.Exe, err)
	}
	if p, _ := e.Path(); p != "/home/u/.config/autostart/aimonitor.desktop" {
		t.Fatalf("path %s", p)
	}
}

func TestQuoteExec(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/aimonitor": "/usr/bin/aimonitor",
		"/a b/c":             `"/a b/c"`,
		`/we"ird/$x`:         `"/we\\"ird/\\$x"`,
		"/100%/x":            `"/100%%/x"`,
		`/back\slash`:        `"/back\\\\slash"`,
	} {
		if got := quoteExec(in); got != want {
			t.Errorf("quoteExec(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLaunchAgentIsValidPlist(t *testing.T) {
	root := t.TempDir()
	e := Entry{GOOS: "darwin", Home: root, Exe: "/Applications/aimonitor.app/Contents/MacOS/aimonitor & <x>"}
	if err := e.Enable(RunWidget); err != nil {
		t.Fatal(err)
	}
	p, _ := e.Path()
	if p != filepath.Join(root, "Library", "LaunchAgents", "dev.aimonitor.app.plist") {
		t.Fatalf("path %s", p)
	}
	data, _ := os.ReadFile(p)
	var v struct {
		Dict struct {
			Keys    []string `xml:"key"`
			Strings []string `xml:"string"`
			Arrays  []struct {
				Strings []string `xml:"string"`
			} `xml:"array"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(data, &v); err != nil {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	if len(v.Dict.Arrays) != 1 || v.Dict.Arrays[0].Strings[0] != e.Exe || v.Dict.Arrays[0].Strings[1] != "widget" {
		t.Fatalf("program arguments: %+v", v.Dict.Arrays)
	}
	if strings.Contains(string(data), "KeepAlive") {
		t.Fatal("the widget must not be kept alive")
	}
	e.Enable(RunDaemon)
	data, _ = os.ReadFile(p)
	if !strings.Contains(string(data), "KeepAlive") {
		t.Fatal("the daemon should be restarted after a crash")
	}
	if ok, run, _ := e.Installed(); !ok || run != RunDaemon {
		t.Fatalf("installed %v %s", ok, run)
	}
}

func TestRejects(t *testing.T) {
	e := Entry{GOOS: "linux", Home: t.TempDir(), Exe: "relative/aimonitor"}
	if err := e.Enable(RunWidget); err == nil {
		t.Fatal("accepted a relative program path")
	}
	e.Exe = "/x"
	if err := e.Enable("tray"); err == nil {
		t.Fatal("accepted an unknown target")
	}
	if _, err := (Entry{GOOS: "plan9", Home: "/h"}).Path(); err == nil {
		t.Fatal("plan9 should be unsupported")
	}
}
