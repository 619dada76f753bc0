package main

import (
	"context"
	"encoding/json"
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
	if mode != "mini" && mode != "panel" {
		return "", fmt.Errorf("unknown window mode %q (use mini or panel)", mode)
	}
	if mode == "panel" {
		a.savePosition() // while still in mini mode
	}
	// Switch the mode first, so a FitHeight racing in from the old view is
	// ignored; winMu keeps the two resizes in order on GTK's queue.
	a.winMu.Lock()
	defer a.winMu.Unlock()
	a.mu.Lock()
	a.mode = mode
	h := a.fitHeight
	a.mu.Unlock()
	if mode == "mini" {
		if h == 0 {
			h = miniHeight
		}
		a.resize(ctx, false, miniWidth, h, 300, miniMinHeight)
		a.restorePosition(ctx)
	} else {
		a.resize(ctx, true, panelWidth, panelHeight, 640, 480)
		a.centerOnScreen(panelWidth, panelHeight)
	}
	a.applyAlwaysOnTop()
	a.emit(EventWindowMode, mode)
	return mode, nil
}

// resize sets the frame, minimum size and size in one step where we can.
func (a *App) resize(ctx context.Context, decorated bool, w, h, minW, minH int) {
	if haveSetFrame {
		setFrame(decorated, w, h, minW, minH)
		return
	}
	runtime.WindowSetMinSize(ctx, minW, minH)
	runtime.WindowSetSize(ctx, w, h)
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

// Hide minimises the widget (the window manager brings it back); the
// position is remembered first.
func (a *App) Hide() error {
	a.savePosition()
	if ctx := a.wailsCtx(); ctx != nil {
		runtime.WindowMinimise(ctx)
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

// Bounds of the mini widget's height: room for the header and one row, up to
// about six accounts (the list scrolls past that).
const (
	miniMinHeight = 140
	miniMaxHeight = 560
)

// FitHeight sizes the mini widget to the height its content asks for.
func (a *App) FitHeight(height int) error {
	ctx := a.wailsCtx()
	if ctx == nil {
		return nil
	}
	h := min(max(height, miniMinHeight), miniMaxHeight)
	a.winMu.Lock()
	defer a.winMu.Unlock()
	a.mu.Lock()
	mini := a.mode == "mini"
	same := a.fitHeight == h
	if mini {
		a.fitHeight = h
	}
	a.mu.Unlock()
	if !mini || same {
		return nil
	}
	a.resize(ctx, false, miniWidth, h, 300, miniMinHeight)
	return nil
}

// positionKey stores the mini widget's last position (settings table).
const positionKey = "widget.position"

type windowPos struct{ X, Y int }

// savePosition remembers where the mini widget was, for the next start.
func (a *App) savePosition() {
	ctx := a.wailsCtx()
	a.mu.Lock()
	mini := a.mode == "mini"
	a.mu.Unlock()
	if ctx == nil || !mini {
		return
	}
	x, y := runtime.WindowGetPosition(ctx)
	data, _ := json.Marshal(windowPos{x, y})
	db, err := a.svc.Store(ctx)
	if err == nil {
		err = db.SetSetting(context.WithoutCancel(ctx), positionKey, string(data))
	}
	if err != nil {
		a.svc.Log.Debug("could not remember the widget position", "err", err)
	}
}

// restorePosition puts the widget where it was, if that spot is still on a screen.
func (a *App) restorePosition(ctx context.Context) {
	db, err := a.svc.Store(ctx)
	if err != nil {
		return
	}
	v, ok, err := db.GetSetting(ctx, positionKey)
	if err != nil || !ok {
		return
	}
	var p windowPos
	if json.Unmarshal([]byte(v), &p) != nil {
		return
	}
	screens, err := runtime.ScreenGetAll(ctx)
	if err != nil {
		return
	}
	for _, s := range screens {
		// Wails reports positions relative to the current screen; keep the
		// widget only if it would still be visible there.
		if p.X >= 0 && p.Y >= 0 && p.X+80 <= s.Size.Width && p.Y+40 <= s.Size.Height {
			runtime.WindowSetPosition(ctx, p.X, p.Y)
			return
		}
	}
}
