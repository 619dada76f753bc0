package main

// tokensFast answers `aimonitor tokens ARGS` without aimonitor-core when it
// can; see the contract in main.go.
func tokensFast(args []string) (handled bool) { return false }
