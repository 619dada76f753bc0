//go:build !unix

package cli

import (
	"errors"
	"os"
	"os/exec"
)

// stopSignal asks a child to finish (all Windows can deliver).
var stopSignal os.Signal = os.Kill

// replaceProcess runs path as a child with this process's streams and exits
// with its status: Windows cannot replace a running process.
func replaceProcess(path string, argv, env []string) error {
	cmd := exec.Command(path, argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	if err != nil {
		return err
	}
	os.Exit(0)
	return nil
}
