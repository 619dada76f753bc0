package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/aimonitor/aimonitor/backend/view"
)

// SetMode turns the window into the mini widget ("mini": frameless, small,
// always on top if configured) or the panel ("panel": decorated, resizable).
func (a *App) SetMode(mode view.WindowMode) (view.WindowMode, error) {
	ctx := a.wailsCtx()
	if ctx == nil {
		return "", fmt.Errorf("the window is not ready yet")
	}
	if mode != view.ModeMini && mode != view.ModePanel {
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

// windowPos is the mini widget's top-left corner in root (whole-desktop)
// coordinates.
type windowPos struct{ X, Y int }

type rect struct{ X, Y, W, H int }

// screenGeometry is the window's area and the monitors' areas, in root
// coordinates, as GTK reports them.
type screenGeometry struct {
	HaveWindow bool
	Window     rect
	Monitors   []rect
	Primary    int
}

// overlap is the area two rectangles share.
func overlap(a, b rect) int {
	w := min(a.X+a.W, b.X+b.W) - max(a.X, b.X)
	h := min(a.Y+a.H, b.Y+b.H) - max(a.Y, b.Y)
	if w <= 0 || h <= 0 {
		return 0
	}
	return w * h
}

// placeWidget is where a w×h widget last seen at p goes now: wholly on the
// monitor that shows most of it, or on the primary monitor when none shows
// any of it (the monitor it was on is gone).
func placeWidget(p windowPos, w, h int, monitors []rect, primary int) windowPos {
	if len(monitors) == 0 {
		return p
	}
	best, area := -1, 0
	for i, m := range monitors {
		if a := overlap(rect{p.X, p.Y, w, h}, m); a > area {
			best, area = i, a
		}
	}
	if best < 0 {
		best = primary
		if best < 0 || best >= len(monitors) {
			best = 0
		}
	}
	m := monitors[best]
	clamp := func(v, lo, hi int) int { return max(lo, min(v, hi)) }
	return windowPos{clamp(p.X, m.X, max(m.X, m.X+m.W-w)), clamp(p.Y, m.Y, max(m.Y, m.Y+m.H-h))}
}

// savePosition remembers where the mini widget is, for the next start.
func (a *App) savePosition() {
	ctx := a.wailsCtx()
	if ctx == nil {
		return
	}
	var p windowPos
	if haveGeometry {
		g, ok := readGeometry()
		if !ok || !g.HaveWindow {
			return
		}
		p = windowPos{g.Window.X, g.Window.Y}
	} else {
		p.X, p.Y = runtime.WindowGetPosition(ctx)
	}
	a.storePosition(ctx, p)
}

// storePosition saves p while the window is the mini widget (the panel is
// centred and never remembered).
func (a *App) storePosition(ctx context.Context, p windowPos) {
	a.mu.Lock()
	mini := a.mode == "mini"
	a.mu.Unlock()
	if !mini {
		return
	}
	data, _ := json.Marshal(p)
	db, err := a.svc.Store(ctx)
	if err == nil {
		err = db.SetSetting(context.WithoutCancel(ctx), positionKey, string(data))
	}
	if err != nil {
		a.svc.Log.Debug("could not remember the widget position", "err", err)
	}
}

// moveCheckEvery spaces the looks at where the mini widget is: a move is
// saved within this long. (GTK's configure-event would tell at once, but a
// handler on it upset Wails' own resizing of the window into the panel.)
const moveCheckEvery = time.Second

// followMoves saves the mini widget's position whenever it has moved,
// until ctx ends.
func (a *App) followMoves(ctx context.Context) {
	if !haveGeometry {
		return
	}
	t := time.NewTicker(moveCheckEvery)
	defer t.Stop()
	var last windowPos
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		mini := a.mode == view.ModeMini
		a.mu.Unlock()
		if !mini {
			last = windowPos{}
			continue
		}
		g, ok := readGeometry()
		if !ok || !g.HaveWindow {
			continue
		}
		if p := (windowPos{g.Window.X, g.Window.Y}); p != last {
			if last != (windowPos{}) {
				a.storePosition(ctx, p)
			}
			last = p
		}
	}
}

// miniHeightNow is the mini widget's height as its content last asked for it.
func (a *App) miniHeightNow() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fitHeight > 0 {
		return a.fitHeight
	}
	return miniHeight
}

// restorePosition puts the widget where it was, moved wholly onto a monitor
// (onto the primary one if its monitor is gone).
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
	if haveGeometry {
		g, ok := readGeometry()
		if !ok {
			return
		}
		p = placeWidget(p, miniWidth, a.miniHeightNow(), g.Monitors, g.Primary)
		moveWindow(p.X, p.Y)
		return
	}
	// Wails measures from the current screen and knows no monitor origins.
	screens, err := runtime.ScreenGetAll(ctx)
	if err != nil {
		return
	}
	var mons []rect
	primary := 0
	for i, s := range screens {
		if s.IsPrimary {
			primary = i
		}
		mons = append(mons, rect{0, 0, s.Size.Width, s.Size.Height})
	}
	p = placeWidget(p, miniWidth, a.miniHeightNow(), mons, primary)
	runtime.WindowSetPosition(ctx, p.X, p.Y)
}
