// Package e2etest runs `aimonitor statusline` under the real Claude Code:
// an interactive session in tmux, its model requests answered by a
// stand-in Messages API on loopback, the status line installed with
// `statusline --install`, and the pane read with `tmux capture-pane`.
// Accounts live in a real gnome-keyring on a private D-Bus; the Anthropic
// simulator answers the usage endpoint.
//
// Needs the Claude Code CLI (see internal/claudetest), tmux, dbus-daemon and
// gnome-keyring; without them the test skips, unless AIMONITOR_REQUIRE_CLAUDE
// is set (as `make test` does), in which case it fails.
package e2etest
