package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/aimonitor/aimonitor/backend/programs"
)

// corePath returns aimonitor-core installed beside this launcher: the
// launcher's own file with symlinks resolved (a link on PATH to the .app or
// an unpacked tarball still finds its siblings), the same rule the widget
// is found by (build/bin, the .deb's /usr/bin, the AppImage's usr/bin, the
// .app's Contents/MacOS). PATH is never searched: another aimonitor-core
// there may be another version, or not aimonitor at all.
func corePath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		// No /proc (a bare chroot): argv[0], when it is a path.
		if !strings.ContainsRune(os.Args[0], filepath.Separator) && !strings.ContainsRune(os.Args[0], '/') {
			return "", &missingError{why: "cannot tell where aimonitor is installed (" + err.Error() + ")"}
		}
		if self, err = filepath.Abs(os.Args[0]); err != nil {
			return "", &missingError{why: "cannot tell where aimonitor is installed (" + err.Error() + ")"}
		}
	}
	if real, err := filepath.EvalSymlinks(self); err == nil {
		self = real
	}
	path, ok := programs.Beside(self, programs.CoreName)
	if !ok {
		return "", &missingError{why: "it is not installed beside aimonitor (no executable " + path + ")"}
	}
	return path, nil
}

type missingError struct{ why string }

func (e *missingError) Error() string {
	return "cannot run " + programs.File(programs.CoreName) + ", which runs every command but `version`: " + e.why +
		"; reinstall aimonitor (from source: make build, or go install ./cmd/...)"
}

// fail prints one line, as aimonitor-core prints an error, and exits 1.
func fail(msg string) {
	os.Stderr.WriteString("aimonitor: " + msg + "\n")
	os.Exit(1)
}

// execCore replaces this process with aimonitor-core, with the same
// arguments and environment; it does not return. stdinPrefix, when not
// nil, is what a fast path read from stdin: core reads it first, then the
// rest of stdin (see main.go).
func execCore(stdinPrefix []byte) {
	path, err := corePath()
	if err != nil {
		fail(err.Error())
	}
	if stdinPrefix != nil {
		if err := restoreStdin(stdinPrefix); err != nil {
			fail("cannot hand the status line's input to " + programs.File(programs.CoreName) + ": " + err.Error())
		}
	}
	err = replaceProcess(path, os.Args, os.Environ())
	fail("cannot run " + path + ": " + err.Error())
}
