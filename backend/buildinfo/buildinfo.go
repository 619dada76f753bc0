// Package buildinfo holds facts fixed at build time: the version (set by
// ldflags from git tags) and the release repository the update check asks.
// The launcher (cmd/aimonitor) prints Line itself, so this package stays
// light: the standard library's runtime packages and nothing else.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set with -ldflags "-X github.com/aimonitor/aimonitor/backend/buildinfo.Version=v1.2.3".
var (
	Version = "dev"
	// ReleasesRepo is the GitHub owner/name whose releases the update check reads.
	ReleasesRepo = "aimonitor/aimonitor"
	// Stamp identifies the build: make sets it (-X …/buildinfo.Stamp=…) to
	// the commit, followed for a work tree with local changes by the time of
	// the make run (the same for every binary of that run). See
	// warm.BuildID.
	Stamp = ""
)

// Line is what `aimonitor version` and `aimonitor --version` print, without
// the newline: one source for the launcher and aimonitor-core.
func Line() string {
	return "aimonitor " + Version + " (" + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")"
}

// UserAgent names aimonitor and its version in every outbound request.
func UserAgent() string { return "aimonitor/" + Version }

// Commit returns the VCS revision embedded by the Go toolchain, if any.
func Commit() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}
