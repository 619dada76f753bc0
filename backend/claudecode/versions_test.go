package claudecode

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestVersions(t *testing.T) {
	if v, ok := ParseVersion("2.1.197 (Claude Code)\n"); !ok || v != "2.1.197" {
		t.Fatalf("ParseVersion: %q %v", v, ok)
	}
	if _, ok := ParseVersion("command not found"); ok {
		t.Fatal("parsed a version out of nothing")
	}
	for _, c := range []struct {
		a, b string
		want int
	}{{"2.1.197", "2.1.332", -1}, {"2.1.332", "2.1.332", 0}, {"2.2.0", "2.1.332", 1}, {"10.0.0", "9.9.9", 1}, {"junk", "0.0.1", -1}} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// The Makefile's pinned versions are the ones this package names.
func TestMakefileNamesTheVerifiedVersions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) string {
		m := regexp.MustCompile(`(?m)^` + name + `\s*:?=\s*(.+)$`).FindSubmatch(data)
		if m == nil {
			t.Fatalf("the Makefile sets no %s", name)
		}
		return strings.TrimSpace(string(m[1]))
	}
	if got := get("CLAUDE_VERSION"); got != TestPinned {
		t.Errorf("Makefile CLAUDE_VERSION %s, claudecode.TestPinned %s", got, TestPinned)
	}
	if got, want := get("COMPAT_VERSIONS"), strings.Join(VerifiedVersions, " "); got != want {
		t.Errorf("Makefile COMPAT_VERSIONS %q, claudecode.VerifiedVersions %q", got, want)
	}
}
