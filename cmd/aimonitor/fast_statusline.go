package main

// statuslineFast answers `aimonitor statusline ARGS` without aimonitor-core
// when it can; see the contract in main.go.
func statuslineFast(args []string) (handled bool) { return false }
