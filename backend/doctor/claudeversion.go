package doctor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/aimonitor/aimonitor/backend/claudecode"
)

// checkClaudeVersion names the Claude Code on the PATH and warns when it is
// newer than the newest release aimonitor's switch tests were run against:
// Claude Code updates itself, and a release may add files or locks.
func (d *run) checkClaudeVersion(ctx context.Context) {
	bin := lookPathIn("claude", d.svc.Getenv("PATH"))
	if bin == "" {
		d.r.add(AreaClaudeCode, Warn, "no `claude` on the PATH, so its version is unknown",
			"install Claude Code (https://docs.anthropic.com/en/docs/claude-code), or put it on the PATH")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	// Its own environment, minus anything that would make it reach out.
	cmd.Env = []string{"PATH=" + d.svc.Getenv("PATH"), "HOME=" + d.svc.Getenv("HOME"),
		"DISABLE_AUTOUPDATER=1", "DISABLE_TELEMETRY=1", "DISABLE_ERROR_REPORTING=1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1"}
	out, err := cmd.Output()
	v, ok := claudecode.ParseVersion(string(out))
	if err != nil || !ok {
		d.r.add(AreaClaudeCode, Warn, fmt.Sprintf("`%s --version` did not say its version", bin), "check that Claude Code runs: claude --version")
		return
	}
	if claudecode.CompareVersions(v, claudecode.NewestVerified) > 0 {
		d.r.add(AreaClaudeCode, Warn,
			fmt.Sprintf("Claude Code %s (%s) is newer than the newest version aimonitor was verified with (%s): switching may miss files or locks it added", v, bin, claudecode.NewestVerified),
			"look for a newer aimonitor; if switching misbehaves meanwhile, install the verified version: npm install -g @anthropic-ai/claude-code@"+claudecode.NewestVerified)
		return
	}
	if claudecode.CompareVersions(v, claudecode.OldestSupported) < 0 {
		d.r.add(AreaClaudeCode, Warn,
			fmt.Sprintf("Claude Code %s (%s) is older than the oldest version aimonitor supports (%s): it writes its login file without the lock aimonitor waits for, so a switch can lose one of its writes", v, bin, claudecode.OldestSupported),
			"update Claude Code: claude update")
		return
	}
	d.r.add(AreaClaudeCode, OK, fmt.Sprintf("Claude Code %s (%s); verified from %s to %s", v, bin, claudecode.OldestSupported, claudecode.NewestVerified), "")
}

// lookPathIn is exec.LookPath over the given PATH (the environment doctor
// checks, which need not be this process's).
func lookPathIn(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
