//go:build unix && !linux

package main

import (
	"os"
	"syscall"
)

func memfd() (*os.File, error) { return nil, syscall.ENOSYS }

func dup2(from, to int) error { return syscall.Dup2(from, to) }
