//go:build unix && !linux

package testbus

import "syscall"

func daemonProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
