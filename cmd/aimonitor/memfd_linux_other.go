//go:build linux && !(amd64 || arm64 || riscv64 || loong64)

package main

// Not looked up for this architecture: stdinBuffer uses a temporary file.
const sysMemfdCreate = -1
