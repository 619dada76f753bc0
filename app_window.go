package main

import (
	"fmt"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// SetMode turns the window into the mini widget ("mini": frameless, small,
// always on top if configured) or the panel ("panel": decorated, resizable).
func (a *App) SetMode(mode string) (string, error) {
	ctx := a.wailsCtx()
	if ctx == nil {
		return "", fmt.Errorf("the window is not ready yet")
	}
	switch mode {
	case "mini":
		setDecorated(false)
		runtime.WindowSetMinSize(ctx, 300, 140)
		runtime.WindowSetSize(ctx, miniWidth, miniHeight)
	case "panel":
		setDecorated(true)
		runtime.WindowSetMinSize(ctx, 640, 480)
		runtime.WindowSetSize(ctx, panelWidth, panelHeight)
		a.centerOnScreen(panelWidth, panelHeight)
	default:
		return "", fmt.Errorf("unknown window mode %q (use mini or panel)", mode)
	}
	a.mu.Lock()
	a.mode = mode
	a.mu.Unlock()
	a.applyAlwaysOnTop()
	runtime.EventsEmit(ctx, EventWindowMode, mode)
	return mode, nil
}

// applyAlwaysOnTop keeps the mini widget above other windows when the
// setting says so; the panel is an ordinary window.
func (a *App) applyAlwaysOnTop() {
	ctx := a.wailsCtx()
	if ctx == nil {
		return
	}
	a.mu.Lock()
	mini := a.mode == "mini"
	a.mu.Unlock()
	runtime.WindowSetAlwaysOnTop(ctx, mini && a.svc.Config().Widget.AlwaysOnTop)
}

// Hide hides the window (the tray/CLI brings it back).
func (a *App) Hide() error {
	if ctx := a.wailsCtx(); ctx != nil {
		runtime.WindowHide(ctx)
	}
	return nil
}

// Quit closes the app.
func (a *App) Quit() error {
	if ctx := a.wailsCtx(); ctx != nil {
		runtime.Quit(ctx)
	}
	return nil
}

// centerOnScreen places a w×h window in the middle of the current screen.
// WindowCenter would measure the window before GTK applies the new size.
func (a *App) centerOnScreen(w, h int) {
	ctx := a.wailsCtx()
	screens, err := runtime.ScreenGetAll(ctx)
	if err != nil {
		return
	}
	for _, s := range screens {
		if s.IsCurrent || s.IsPrimary {
			runtime.WindowSetPosition(ctx, max(0, (s.Size.Width-w)/2), max(0, (s.Size.Height-h)/2))
			return
		}
	}
}
