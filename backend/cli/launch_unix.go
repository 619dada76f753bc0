//go:build unix

package cli

import (
	"os"
	"syscall"
)

// stopSignal asks a child to finish.
var stopSignal os.Signal = syscall.SIGTERM

// replaceProcess execs path in place of this process; it returns only on
// failure.
func replaceProcess(path string, argv, env []string) error {
	return syscall.Exec(path, argv, env)
}
