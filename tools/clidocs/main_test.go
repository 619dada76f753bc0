package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/cli"
)

func TestWritesCompletionsAndManPages(t *testing.T) {
	dir := t.TempDir()
	if err := writeDocs(cli.CommandTree(), dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"completions/aimonitor", "completions/_aimonitor", "completions/aimonitor.fish", "man1/aimonitor.1", "man1/aimonitor-switch.1", "man1/aimonitor-config-set.1"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "man1", "aimonitor.1"))
	if !strings.Contains(string(page), "Exit status") {
		t.Error("the man page lacks the exit codes")
	}
}
