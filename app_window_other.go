//go:build !(linux && cgo && (dev || production || desktop))

package main

// setDecorated is a no-op where we cannot reach the toolkit (tests, and
// macOS, where the panel keeps the hidden-inset title bar).
func setDecorated(bool) {}
