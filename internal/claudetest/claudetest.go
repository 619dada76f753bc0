// Package claudetest finds the real Claude Code CLI for tests that prove a
// switch with `claude auth status --json`: AIMONITOR_CLAUDE_BIN, else the npm
// install that `make setup` puts under .cache/claude-code at the repository
// root. Missing, the test skips — or fails when AIMONITOR_REQUIRE_CLAUDE is
// set, as `make test` does.
package claudetest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireEnv makes a missing CLI a failure instead of a skip.
const RequireEnv = "AIMONITOR_REQUIRE_CLAUDE"

const installHint = "npm install --prefix .cache/claude-code @anthropic-ai/claude-code (at the repository root), or set AIMONITOR_CLAUDE_BIN"

// Bin returns the path of the claude binary.
func Bin(t testing.TB) string {
	t.Helper()
	candidates := []string{os.Getenv("AIMONITOR_CLAUDE_BIN")}
	if root := repoRoot(); root != "" {
		modules := filepath.Join(root, ".cache", "claude-code", "node_modules")
		arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
		// The native binary of the platform package, which npm installs even
		// when it skips the wrapper's install script; then the wrapper.
		candidates = append(candidates,
			filepath.Join(modules, "@anthropic-ai", "claude-code-"+runtime.GOOS+"-"+arch, "claude"),
			filepath.Join(modules, ".bin", "claude"))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c
		}
	}
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("the Claude Code CLI is not installed and %s is set: %s", RequireEnv, installHint)
	}
	t.Skipf("the Claude Code CLI is not installed: %s", installHint)
	return ""
}

// repoRoot walks up from the working directory (a test's package dir) to go.mod.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
