package main

import (
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// backend/ must never depend on Wails: it is shared by the CLI and the daemon,
// and keeping the UI toolkit out keeps it testable without a display.
func TestBackendDoesNotImportWails(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-deps", "-test", "./backend/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "github.com/aimonitor/aimonitor/backend/store") {
		t.Fatalf("go list did not list backend packages:\n%s", out)
	}
	var bad []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "github.com/wailsapp/") {
			bad = append(bad, line)
		}
	}
	if len(bad) > 0 {
		t.Fatalf("backend/ pulls in Wails packages: %v", bad)
	}
}

// Only app*.go and main.go may import the Wails runtime.
func TestOnlyAppFilesImportWailsRuntime(t *testing.T) {
	out, err := exec.Command("git", "grep", "-l", "wailsapp/wails/v2/pkg/runtime", "--", "*.go", ":!*_test.go").CombinedOutput()
	if err != nil && len(out) > 0 && !strings.Contains(string(out), "app") {
		t.Fatalf("git grep: %v\n%s", err, out)
	}
	for _, f := range strings.Fields(string(out)) {
		if strings.Contains(f, "/") || !(strings.HasPrefix(f, "app") || f == "main.go") {
			t.Errorf("%s imports the Wails runtime; keep Wails in app*.go", f)
		}
	}
}

// The event names in app_events.go and frontend/src/lib/events.ts must match.
func TestEventNamesMirrored(t *testing.T) {
	goSrc, err := os.ReadFile("app_events.go")
	if err != nil {
		t.Fatal(err)
	}
	tsSrc, err := os.ReadFile("frontend/src/lib/events.ts")
	if err != nil {
		t.Fatal(err)
	}
	goNames := names(regexp.MustCompile(`Event\w+\s*=\s*"([^"]+)"`), string(goSrc))
	tsNames := names(regexp.MustCompile(`\w+:\s*'([^']+)'`), string(tsSrc))
	if strings.Join(goNames, ",") != strings.Join(tsNames, ",") {
		t.Fatalf("event names differ:\n go: %v\n ts: %v", goNames, tsNames)
	}
	if len(goNames) == 0 {
		t.Fatal("no event names found")
	}
}

func names(re *regexp.Regexp, src string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}
