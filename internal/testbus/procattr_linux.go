package testbus

import "syscall"

// daemonProcAttr puts a daemon in its own process group (so cleanup can kill
// whatever it forks) and has the kernel kill it if the test binary dies
// before cleanup runs.
func daemonProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
