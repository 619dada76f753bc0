package main

import (
	"runtime"

	"github.com/aimonitor/aimonitor/backend/statusline"
)

// StatusLineState says whether Claude Code's status line runs aimonitor's,
// for the switch in the settings pane.
func (a *App) StatusLineState() (statusline.State, error) {
	in, err := statusline.NewInstaller(a.svc.Environ(), runtime.GOOS)
	if err != nil {
		return statusline.State{}, err
	}
	return in.State()
}

// SetStatusLine installs (on) or removes aimonitor's status line in Claude
// Code's settings.json, as `aimonitor statusline --install/--uninstall`
// does; force replaces another command (kept for the removal to restore).
func (a *App) SetStatusLine(on, force bool) (statusline.State, error) {
	in, err := statusline.NewInstaller(a.svc.Environ(), runtime.GOOS)
	if err != nil {
		return statusline.State{}, err
	}
	var st statusline.State
	if on {
		st, err = in.Install(force)
	} else {
		st, err = in.Uninstall()
	}
	if err != nil {
		return statusline.State{}, err
	}
	// --force keeps the old command in config.yaml: show the new config.
	_, _ = a.svc.ReloadConfig()
	return st, nil
}
