// Package e2etest holds the end-to-end tests of account switching: the
// account commands run in-process against a temporary HOME, a real
// gnome-keyring on a private D-Bus, the Anthropic simulator on loopback,
// and the real Claude Code CLI (`claude auth status --json`) as the judge
// of what Claude Code sees.
//
// The Claude Code CLI comes from npm:
//
//	npm install --prefix .cache/claude-code @anthropic-ai/claude-code
//
// (run at the repository root; AIMONITOR_CLAUDE_BIN may point elsewhere).
// Without it the tests that need it skip, unless AIMONITOR_REQUIRE_CLAUDE
// is set, in which case they fail.
package e2etest
