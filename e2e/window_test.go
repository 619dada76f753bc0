//go:build e2e

package e2e

import (
	"os"
	"strings"
	"testing"
	"time"
)

// `make demo` opens the widget: frameless, always on top, ~340 px wide; its
// expand button turns it into a decorated 900×640 panel.
func TestMakeDemoOpensWidget(t *testing.T) {
	display := startX(t)
	env := sandbox(t, display)
	g := startGroup(t, env, repoRoot(t), "make", "demo")
	wid := findWindow(t, display, g, 120*time.Second)
	time.Sleep(1500 * time.Millisecond) // let WebKit paint before the screenshot

	props := xprop(t, display, wid, "_NET_WM_STATE", "_MOTIF_WM_HINTS", "_NET_FRAME_EXTENTS", "WM_CLASS")
	if !strings.Contains(props, "_NET_WM_STATE_ABOVE") {
		t.Errorf("widget is not always on top:\n%s", props)
	}
	if !strings.Contains(props, "_MOTIF_WM_HINTS(_MOTIF_WM_HINTS) = 0x2, 0x0") {
		t.Errorf("widget is not frameless (decorations not 0):\n%s", props)
	}
	if !strings.Contains(props, "_NET_FRAME_EXTENTS(CARDINAL) = 0, 0, 0, 0") {
		t.Errorf("widget has a frame:\n%s", props)
	}
	if w, h := geometry(t, display, wid); w != 340 || h < 140 {
		t.Errorf("widget geometry %dx%d, want 340 wide", w, h)
	}
	screenshot(t, display, "widget-mini.png")

	// Click the expand button (top-right of the header).
	if out, err := x(display, "xdotool", "mousemove", "--window", wid, "290", "21", "click", "1"); err != nil {
		t.Fatalf("click: %v %s", err, out)
	}
	waitFor(t, 15*time.Second, "the panel to open", func() bool {
		w, h := geometry(t, display, wid)
		return w == 900 && h == 640
	})
	waitFor(t, 10*time.Second, "the panel to get a frame", func() bool {
		p := xprop(t, display, wid, "_NET_FRAME_EXTENTS", "_NET_WM_STATE")
		return !strings.Contains(p, "= 0, 0, 0, 0") && !strings.Contains(p, "_NET_WM_STATE_ABOVE")
	})
	x(display, "xdotool", "mousemove", "0", "0") // no tooltip in the picture
	time.Sleep(800 * time.Millisecond)
	screenshot(t, display, "panel.png")
	if os.Getenv("E2E_VERBOSE") != "" {
		t.Log(g.out.String())
	}
}
