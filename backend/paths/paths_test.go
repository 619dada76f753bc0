package paths

import (
	"os"
	"path/filepath"
	"testing"
)

func mapEnv(m map[string]string) Env {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		goos string
		want Paths
	}{
		{"linux defaults", map[string]string{"HOME": "/h"}, "linux", Paths{
			ConfigFile: "/h/.config/aimonitor/config.yaml", DataDir: "/h/.local/share/aimonitor",
			DBFile: "/h/.local/share/aimonitor/aimonitor.db", LogDir: "/h/.local/state/aimonitor",
			LogFile: "/h/.local/state/aimonitor/aimonitor.log"}},
		{"linux xdg", map[string]string{"HOME": "/h", "XDG_CONFIG_HOME": "/c", "XDG_DATA_HOME": "/d", "XDG_STATE_HOME": "/s"}, "linux", Paths{
			ConfigFile: "/c/aimonitor/config.yaml", DataDir: "/d/aimonitor", DBFile: "/d/aimonitor/aimonitor.db",
			LogDir: "/s/aimonitor", LogFile: "/s/aimonitor/aimonitor.log"}},
		{"relative xdg ignored per spec", map[string]string{"HOME": "/h", "XDG_CONFIG_HOME": "rel"}, "linux", Paths{
			ConfigFile: "/h/.config/aimonitor/config.yaml", DataDir: "/h/.local/share/aimonitor",
			DBFile: "/h/.local/share/aimonitor/aimonitor.db", LogDir: "/h/.local/state/aimonitor",
			LogFile: "/h/.local/state/aimonitor/aimonitor.log"}},
		{"darwin", map[string]string{"HOME": "/Users/u"}, "darwin", Paths{
			ConfigFile: "/Users/u/.config/aimonitor/config.yaml", DataDir: "/Users/u/Library/Application Support/aimonitor",
			DBFile: "/Users/u/Library/Application Support/aimonitor/aimonitor.db", LogDir: "/Users/u/Library/Logs/aimonitor",
			LogFile: "/Users/u/Library/Logs/aimonitor/aimonitor.log"}},
		{"overrides", map[string]string{"HOME": "/h", "AIMONITOR_CONFIG": "/x/c.yaml", "AIMONITOR_DATA_DIR": "/y"}, "linux", Paths{
			ConfigFile: "/x/c.yaml", DataDir: "/y", DBFile: "/y/aimonitor.db", LogDir: "/h/.local/state/aimonitor",
			LogFile: "/h/.local/state/aimonitor/aimonitor.log"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(mapEnv(tt.env), tt.goos)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := Resolve(mapEnv(nil), "linux"); err == nil {
		t.Fatal("missing HOME must be an error")
	}
}

func mode(t *testing.T, p string) os.FileMode {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestModes(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "a", "aimonitor")
	f := filepath.Join(dir, "x.db")
	if err := CreatePrivate(f); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Fatalf("dir mode %o", m)
	}
	if m := mode(t, f); m != 0o600 {
		t.Fatalf("file mode %o", m)
	}
	// An existing loose file is tightened.
	os.Chmod(f, 0o644)
	if err := CreatePrivate(f); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, f); m != 0o600 {
		t.Fatalf("file mode after tighten %o", m)
	}
	g := filepath.Join(dir, "cfg.yaml")
	if err := WriteFileAtomic(g, []byte("a: 1\n")); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, g); m != 0o600 {
		t.Fatalf("atomic file mode %o", m)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "x.db" && e.Name() != "cfg.yaml" {
			t.Fatalf("leftover temp file %s", e.Name())
		}
	}
}
