package main

import (
	"os"
	"runtime"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// tokensFast answers `aimonitor tokens ARGS` without aimonitor-core when no
// transcript changed since core's last scan: warm.Fast renders the report
// from the snapshot that scan left, with the code core renders with. Any
// doubt (a changed tree, another build, a flag it does not handle) and it
// has written nothing: core runs the command (see the contract in main.go).
func tokensFast(args []string) (handled bool) {
	handled, err := warm.Fast(args, warm.FastEnv{Environ: os.Environ(), GOOS: runtime.GOOS, Build: warm.BuildID(), Stdout: os.Stdout})
	if err != nil {
		// As core reports a failed write: one line, exit 1.
		os.Stderr.WriteString("aimonitor: " + err.Error() + "\n")
		os.Exit(1)
	}
	return handled
}
