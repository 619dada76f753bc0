package world

import "syscall"

// procAttr puts a daemon in its own process group and has the kernel kill
// it if the test binary dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
