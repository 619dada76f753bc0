package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/paths"
	"github.com/aimonitor/aimonitor/backend/view"
)

// GetState returns everything the first paint needs in one call.
func (a *App) GetState() (view.AppState, error) {
	a.mu.Lock()
	mode := a.mode
	a.mu.Unlock()
	st := view.NewAppState(buildinfo.Version, mode, a.opts.Demo, a.svc.Paths, a.svc.Config())
	st.Translucent = a.translucent
	return st, nil
}

// ListSettings returns every setting with its value, source and limits.
func (a *App) ListSettings() ([]config.Field, error) {
	return a.svc.Config().Fields(), nil
}

// SetSetting validates and saves one setting; a rejection's message names
// the key and the allowed values.
func (a *App) SetSetting(key, value string) ([]config.Field, error) {
	cfg, err := a.svc.SetConfig(key, value)
	if err != nil {
		return nil, err
	}
	if key == "widget.always_on_top" {
		a.applyAlwaysOnTop()
	}
	return cfg.Fields(), nil
}

// watchConfig reloads the config when another process (the CLI) writes it
// and tells the frontend, so both views agree without polling.
func (a *App) watchConfig(ctx context.Context) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		a.svc.Log.Warn("config watcher unavailable", "err", err)
		return
	}
	defer w.Close()
	dir := filepath.Dir(a.svc.Paths.ConfigFile)
	if err := paths.EnsureDir(dir); err != nil || w.Add(dir) != nil {
		a.svc.Log.Warn("config watcher unavailable", "dir", dir)
		return
	}
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.Events:
			if filepath.Clean(ev.Name) == filepath.Clean(a.svc.Paths.ConfigFile) {
				debounce = time.After(150 * time.Millisecond)
			}
		case <-w.Errors:
		case <-debounce:
			before := a.svc.Config()
			cfg, err := a.svc.ReloadConfig()
			if err != nil {
				a.svc.Log.Warn("config file changed but does not load; keeping the previous settings", "err", err)
				continue
			}
			if before.Widget.AlwaysOnTop != cfg.Widget.AlwaysOnTop {
				a.applyAlwaysOnTop()
			}
			a.emit(EventConfigChanged, cfg.Fields())
		}
	}
}
