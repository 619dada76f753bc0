// Package tokens is aimonitor's local token accounting: it reads Claude
// Code's transcripts (~/.claude/projects/**/*.jsonl and each
// $CLAUDE_CONFIG_DIR/projects), counts every API response once, keeps
// per-file offsets in SQLite so a re-scan reads only new bytes, and answers
// reports by day, model, project and account, with a cost estimate from one
// pricing table. Its counting rules follow ccusage's, so the two agree.
package tokens
