package main

import (
	"os"
	"syscall"
	"unsafe"
)

// memfd is an anonymous memory file (memfd_create): nothing on disk, gone
// with the last descriptor. The raw system call keeps golang.org/x/sys out
// of the launcher; the frozen syscall package has no number for it.
func memfd() (*os.File, error) {
	nr := sysMemfdCreate
	if nr < 0 {
		return nil, syscall.ENOSYS
	}
	name := []byte("aimonitor-stdin\x00")
	const mfdCloexec = 0x1
	fd, _, errno := syscall.Syscall(uintptr(nr), uintptr(unsafe.Pointer(&name[0])), mfdCloexec, 0)
	if errno != 0 {
		return nil, os.NewSyscallError("memfd_create", errno)
	}
	return os.NewFile(fd, "aimonitor-stdin"), nil
}

func dup2(from, to int) error { return syscall.Dup3(from, to, 0) }
