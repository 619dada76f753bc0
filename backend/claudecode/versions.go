package claudecode

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// The Claude Code versions `make compat` runs the switch end-to-end tests
// against (Makefile COMPAT_VERSIONS lists the same; a test keeps the two
// together). Claude Code updates itself every few days and a release may
// change its files or locks, so `aimonitor doctor` warns about a version
// newer than NewestVerified.
const (
	// OldestSupported is the first release that writes its credential file
	// only under a lock aimonitor takes too (.storage-write, read-modify-write
	// under the lock), so a switch never loses one of its writes; the end-to-end
	// tests pass with it. Older releases and why they are not supported:
	// docs/compat.md.
	OldestSupported = "2.1.136"
	// TestPinned is the release `make test` installs (Makefile CLAUDE_VERSION).
	TestPinned = "2.1.197"
	// NewestVerified is the newest release the tests passed with, when
	// this version of aimonitor was made.
	NewestVerified = "2.1.332"
)

// VerifiedVersions is what `make compat` runs against, oldest first, each
// once (two of them may be the same release).
var VerifiedVersions = dedupe(OldestSupported, TestPinned, NewestVerified)

func dedupe(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if len(out) == 0 || out[len(out)-1] != v {
			out = append(out, v)
		}
	}
	return out
}

// versionRE is compiled on first use, not at every start of the command line.
var versionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(\d+)\.(\d+)\.(\d+)\b`) })

// ParseVersion finds the version in `claude --version`'s output
// ("2.1.197 (Claude Code)").
func ParseVersion(out string) (string, bool) {
	m := versionRE().FindString(strings.TrimSpace(out))
	return m, m != ""
}

// CompareVersions orders two x.y.z versions (-1, 0, 1); a version that
// does not parse sorts first.
func CompareVersions(a, b string) int {
	pa, pb := versionParts(a), versionParts(b)
	for i := range 3 {
		switch {
		case pa[i] < pb[i]:
			return -1
		case pa[i] > pb[i]:
			return 1
		}
	}
	return 0
}

func versionParts(v string) [3]int {
	var out [3]int
	m := versionRE().FindStringSubmatch(v)
	if m == nil {
		return [3]int{-1, -1, -1}
	}
	for i := range 3 {
		out[i], _ = strconv.Atoi(m[i+1])
	}
	return out
}
