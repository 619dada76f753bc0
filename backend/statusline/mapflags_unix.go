//go:build unix && !linux

package statusline

import "syscall"

const mapFlags = syscall.MAP_SHARED
