// Package line is what a status line needs when nothing changed since the
// last run: the session object Claude Code sends on stdin, the cache of
// what the last run read (cache.go) and the renderer. aimonitor-core's
// `statusline` (backend/statusline, which reads the database on a miss and
// writes the cache) and the launcher's fast path (cmd/aimonitor, which
// answers a cache hit without starting aimonitor-core) both render through
// it, so they print the same line. It links no SQLite, TLS, D-Bus or YAML
// (deps_test.go): the launcher starts in a few milliseconds only without
// them.
package line

// badConfigNote ends the line when the configuration did not load.
const badConfigNote = " (config.yaml has an error: aimonitor config list)"

// Compose is the whole line for snap and input (the session object as
// read, ReadInput): rendered in st, with a note when the configuration did
// not load (st is then the defaults). input is parsed only when the format
// shows a field of it.
func Compose(snap *Snapshot, input []byte, st Style, badConfig bool) string {
	var sess Session
	if st.showsSession() {
		sess = ParseSession(input)
	}
	line := Render(snap, sess, st)
	if badConfig {
		line += badConfigNote
	}
	return line
}

// NoColor reports whether colours are off for this run: --no-color (flag),
// or NO_COLOR set and not empty.
func NoColor(env func(string) (string, bool), flag bool) bool {
	v, ok := env("NO_COLOR")
	return flag || (ok && v != "")
}
