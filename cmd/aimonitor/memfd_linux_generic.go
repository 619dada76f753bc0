//go:build linux && (arm64 || riscv64 || loong64)

package main

// The number in the generic system call table these architectures share.
const sysMemfdCreate = 279
