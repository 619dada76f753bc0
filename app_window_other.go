//go:build !(linux && cgo && (dev || production || desktop))

package main

// setFrame cannot reach the toolkit here (tests, and macOS, where the panel
// keeps the hidden-inset title bar); callers size through Wails instead.
func setFrame(bool, int, int, int, int) {}

const haveSetFrame = false

// Without GTK the widget is placed through Wails (see placeThroughWails).
func readGeometry() (screenGeometry, bool) { return screenGeometry{}, false }
func moveWindow(int, int)                  {}

const haveGeometry = false

// Elsewhere (macOS) the window server always composites.
func screenComposited() bool { return true }
