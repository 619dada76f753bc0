package main

import (
	"errors"
	"os"
)

// replaceProcess runs path as a child with this process's standard streams
// and exits with its status: Windows has no exec.
func replaceProcess(path string, argv, env []string) error {
	p, err := os.StartProcess(path, argv, &os.ProcAttr{Env: env, Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		return err
	}
	state, err := p.Wait()
	if err != nil {
		return err
	}
	os.Exit(state.ExitCode())
	return nil
}

func restoreStdin([]byte) error {
	return errors.New("handing read input back is not supported on Windows")
}
