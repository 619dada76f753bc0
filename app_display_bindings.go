//go:build bindings

package main

// Wails' binding generator (`wails generate module`) runs the app built with
// the bindings tag only to list its methods: no window, no display needed.
const needDisplay = false
