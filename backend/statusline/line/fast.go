package line

import (
	"io"
	"time"

	"github.com/aimonitor/aimonitor/backend/paths"
)

// FromCache is `aimonitor statusline ARGS` when the cache answers it: the
// line (without its newline) and true. It handles no arguments and
// --no-color; for any other argument, or when the cache has no valid entry
// for env, it returns false having read nothing from stdin (so that
// aimonitor-core, run next, reads the session object itself). stdin is read
// only after a hit, which always gives a line.
func FromCache(args []string, env paths.Env, goos string, now time.Time, stdin io.Reader) (string, bool) {
	noColor := false
	for _, a := range args {
		if a != "--no-color" {
			return "", false
		}
		noColor = true
	}
	in, err := Locate(env, goos)
	if err != nil {
		return "", false
	}
	e := ReadCache(in, now)
	if e == nil {
		return "", false
	}
	return e.Line(now, ReadInput(stdin, StdinWait), NoColor(env, noColor)), true
}
