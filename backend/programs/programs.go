// Package programs names aimonitor's three executables — the command line
// users call (`aimonitor`, a small launcher that answers the instant
// commands itself), the rest of the command line and the daemon
// (`aimonitor-core`, which the launcher execs), and the widget
// (`aimonitor-widget`) — which are always installed in one directory, and
// finds one from another. Anything that writes a command for later (the
// status line, the login item, the user service) names the launcher: it
// starts in milliseconds, needs no display, and holds the fast paths, even
// when aimonitor-core or the widget's settings pane is what wrote it.
package programs

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Base names, without the ".exe" Windows adds.
const (
	CommandLineName = "aimonitor"
	CoreName        = "aimonitor-core"
	WidgetName      = "aimonitor-widget"
)

// File is name as this system names an executable.
func File(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// Beside returns the program name installed in the directory of self, if
// it is there and executable.
func Beside(self, name string) (string, bool) {
	path := filepath.Join(filepath.Dir(self), File(name))
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0) {
		return path, false
	}
	return path, true
}

// CommandLine wraps executable (os.Executable): run from aimonitor-core or
// the widget, it returns the launcher (`aimonitor`) installed beside it;
// otherwise, or when there is none, the running program (symlinks resolved
// in every case). Run from inside an AppImage it returns the AppImage file
// (AppImage), since the programs' own paths vanish with its mount.
func CommandLine(executable func() (string, error), getenv func(string) string) func() (string, error) {
	return func() (string, error) {
		self, err := executable()
		if err != nil {
			return "", err
		}
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		if image, ok := AppImage(self, getenv); ok {
			return image, nil
		}
		if base := filepath.Base(self); base != File(WidgetName) && base != File(CoreName) {
			return self, nil
		}
		if cli, ok := Beside(self, CommandLineName); ok {
			return cli, nil
		}
		return self, nil
	}
}

// AppImage returns the AppImage file the program at self runs from: the
// AppImage runtime sets APPIMAGE (the file) and APPDIR (where it mounted
// it) for the program it starts, and every process below inherits both, so
// the program counts as the image's only when it lives under APPDIR.
func AppImage(self string, getenv func(string) string) (string, bool) {
	image, dir := getenv("APPIMAGE"), getenv("APPDIR")
	if !filepath.IsAbs(image) || !filepath.IsAbs(dir) {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	rel, err := filepath.Rel(dir, self)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return image, true
}
