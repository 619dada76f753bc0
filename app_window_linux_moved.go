//go:build linux && cgo && (dev || production || desktop)

package main

import "C"

// aimWindowConfigured is GTK's configure-event, passed on to watchMoves'
// function. (An exported function needs a file whose C preamble holds no
// definitions, hence this file.)
//
//export aimWindowConfigured
func aimWindowConfigured(x, y C.int) {
	movedMu.Lock()
	fn := movedFn
	movedMu.Unlock()
	if fn != nil {
		fn(int(x), int(y))
	}
}
