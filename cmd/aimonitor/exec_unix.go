//go:build unix

package main

import (
	"io"
	"os"
	"syscall"
)

// replaceProcess execs path: same PID, so signals, the exit status and a
// terminal's job control are aimonitor-core's own.
func replaceProcess(path string, argv, env []string) error {
	return syscall.Exec(path, argv, env)
}

// restoreStdin makes fd 0 a file that holds prefix followed by the rest of
// stdin (read here to EOF), read from its start: an exec'd aimonitor-core
// reads what this process would have.
func restoreStdin(prefix []byte) error {
	f, err := stdinBuffer()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(prefix); err != nil {
		return err
	}
	if _, err := io.Copy(f, os.Stdin); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	// The descriptor on fd 0 has no close-on-exec flag; f's own does.
	return dup2(int(f.Fd()), 0)
}

// stdinBuffer is a memory file where the system has one, else a temporary
// file removed as soon as it is open: only its descriptors keep it.
func stdinBuffer() (*os.File, error) {
	if f, err := memfd(); err == nil {
		return f, nil
	}
	f, err := os.CreateTemp("", "aimonitor-stdin-")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return f, nil
}
