//go:build linux && race

package headless

const raceEnabled = true
