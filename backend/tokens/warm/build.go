package warm

import (
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
)

// BuildID identifies this binary's build, so that a snapshot is only ever
// read by the build that wrote it (or one built with it from the same
// sources: the launcher, the command line and the widget of one make run):
// another build may count, price or print differently. It is made of the
// snapshot format, the version, make's stamp (buildinfo.Stamp: the commit,
// and a time of its own for a work tree with local changes), the commit,
// its time and whether the tree was modified as the Go toolchain recorded
// them (when it does: -buildvcs), and the Go version. "" means this build
// cannot tell itself apart from another (no stamp and no commit recorded,
// or local changes without a stamp: go build or go test by hand), and then
// no snapshot is written or trusted.
func BuildID() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, at, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if buildinfo.Stamp == "" && (rev == "" || modified == "true") {
		return ""
	}
	return strings.Join([]string{strconv.Itoa(snapshotVersion), buildinfo.Version, buildinfo.Stamp, rev, at, modified, info.GoVersion}, "|")
}
