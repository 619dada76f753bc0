// Command aimonitor is the program users run: a small launcher that links
// none of SQLite, TLS, D-Bus or YAML, so the commands that must answer at
// once (`version`, the status line Claude Code runs at every prompt update,
// a warm `tokens`) start in a few milliseconds. It answers those itself when
// it can and execs aimonitor-core, installed beside it, for everything else
// (every other command, no command at all for the widget, global flags
// first, --help, typos): the same process, arguments (argv[0] as typed) and
// environment, so exit codes, signals and output are core's own.
//
// A test (budget_test.go) keeps this package's dependencies light; the fast
// paths' own code belongs in packages that keep to the same budget.
//
// The fast-path contract (fast_statusline.go, fast_tokens.go): main calls
// a hook when the first argument names its command, passing the arguments
// after it.
//   - true: the hook answered completely (its output written); the launcher
//     exits 0. A hook that must exit otherwise calls os.Exit itself.
//   - false: the hook wrote nothing (to stdout or stderr) and read nothing
//     from stdin; core runs the command as if the launcher were not there.
//   - A hook that has read stdin and then cannot answer must not return: it
//     calls execCore(consumed) with the bytes it read. execCore puts them
//     back in front of the rest of stdin (it reads the rest to EOF), so core
//     reads exactly the bytes it would have read.
package main

import (
	"os"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "version", "--version":
			// Only the plain forms: flags (--json) and mistakes are core's.
			if len(os.Args) == 2 {
				if _, err := os.Stdout.WriteString(buildinfo.Line() + "\n"); err != nil {
					os.Exit(1)
				}
				os.Exit(0)
			}
		case "statusline":
			if statuslineFast(os.Args[2:]) {
				os.Exit(0)
			}
		case "tokens":
			if tokensFast(os.Args[2:]) {
				os.Exit(0)
			}
		}
	}
	execCore(nil)
}
