//go:build !bindings

package main

// needDisplay: the window needs a display (runGUI checks for one first).
const needDisplay = true
