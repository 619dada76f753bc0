//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/internal/testbus"
)

// `make demo` opens the widget on the simulator: frameless, always on top,
// 340 px wide, one row per demo account; its expand button turns it into a
// decorated 900×640 panel.
func TestMakeDemoOpensWidget(t *testing.T) {
	display := startX(t)
	env := sandbox(t, display)
	g := startGroup(t, env, repoRoot(t), "make", "demo")
	wid := findWindow(t, display, g, 120*time.Second)
	defer func() {
		if t.Failed() {
			t.Log(g.out.String())
		}
	}()
	// The window fits its four demo accounts once their usage arrives.
	waitFor(t, 30*time.Second, "the widget to grow to its accounts", func() bool {
		_, h := geometry(t, display, wid)
		return h != 420 && h > 300
	})
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
	if w, h := geometry(t, display, wid); w != 340 || h > 560 {
		t.Errorf("widget geometry %dx%d, want 340 wide and at most 560 high", w, h)
	}
	screenshot(t, display, "widget-mini.png")
	checkWebKitRunsWithoutJIT(t, display, wid)

	// Click the expand button (top-right of the header).
	if out, err := x(display, "xdotool", "mousemove", "--window", wid, "290", "21", "click", "1"); err != nil {
		t.Fatalf("click: %v %s", err, out)
	}
	defer func() {
		if t.Failed() {
			screenshot(t, display, "failure.png")
		}
	}()
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

// The same widget in the dark theme (set through the environment override).
func TestDemoWidgetDark(t *testing.T) {
	display := startX(t)
	env := append(sandbox(t, display), "AIMONITOR_WIDGET_THEME=dark")
	g := startGroup(t, env, repoRoot(t), "make", "demo")
	wid := findWindow(t, display, g, 120*time.Second)
	defer func() {
		if t.Failed() {
			screenshot(t, display, "failure-dark.png")
			t.Log(g.out.String())
		}
	}()
	waitFor(t, 30*time.Second, "the widget to grow to its accounts", func() bool {
		_, h := geometry(t, display, wid)
		return h != 420 && h > 300
	})
	time.Sleep(1500 * time.Millisecond)
	props := xprop(t, display, wid, "_NET_WM_STATE")
	if !strings.Contains(props, "_NET_WM_STATE_ABOVE") {
		t.Errorf("dark widget is not always on top:\n%s", props)
	}
	screenshot(t, display, "widget-mini-dark.png")
}

// The widget turns JavaScriptCore's JIT off to stay small (app_memory.go);
// this proves the setting reaches the WebKit web process that runs our page.
func checkWebKitRunsWithoutJIT(t *testing.T, display, wid string) {
	t.Helper()
	fields := strings.Fields(xprop(t, display, wid, "_NET_WM_PID"))
	if len(fields) == 0 {
		t.Fatal("the window has no _NET_WM_PID")
	}
	pid := fields[len(fields)-1]
	web := ""
	for _, child := range descendants(pid) {
		if comm, _ := os.ReadFile("/proc/" + child + "/comm"); strings.HasPrefix(string(comm), "WebKitWebProces") {
			web = child
		}
	}
	if web == "" {
		t.Fatalf("no WebKit web process under the window's process %s", pid)
	}
	environ, err := os.ReadFile("/proc/" + web + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(strings.Split(string(environ), "\x00"), "JSC_useJIT=false") {
		t.Errorf("the WebKit web process (pid %s) runs without JSC_useJIT=false", web)
	}
}

// descendants lists every process below pid.
func descendants(pid string) []string {
	var out []string
	queue := []string{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		tasks, _ := os.ReadDir("/proc/" + p + "/task")
		for _, task := range tasks {
			b, _ := os.ReadFile("/proc/" + p + "/task/" + task.Name() + "/children")
			for _, c := range strings.Fields(string(b)) {
				out = append(out, c)
				queue = append(queue, c)
			}
		}
	}
	return out
}

// The mini widget opens where it was left: moved, then restarted, it comes
// back at the same spot instead of the centre of the screen.
func TestWidgetRemembersItsPosition(t *testing.T) {
	display := startX(t)
	env := sandbox(t, display)
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+testbus.NewKeyring(t).Address, "AIMONITOR_AUTO_UPDATE_ENABLED=false")
	bin := filepath.Join(repoRoot(t), "build", "bin", "aimonitor")

	g := startGroup(t, env, repoRoot(t), bin)
	wid := findWindow(t, display, g, 60*time.Second)
	time.Sleep(2 * time.Second) // the page is up and the position restore has run
	if out, err := x(display, "xdotool", "windowmove", wid, "613", "271"); err != nil {
		t.Fatalf("xdotool windowmove: %v %s", err, out)
	}
	waitFor(t, 10*time.Second, "the widget to move", func() bool { return position(t, display, wid) == "613,271" })
	time.Sleep(2 * time.Second) // the move settles and is saved
	g.stop()

	g = startGroup(t, env, repoRoot(t), bin)
	wid = findWindow(t, display, g, 60*time.Second)
	defer func() {
		if t.Failed() {
			screenshot(t, display, "failure-position.png")
			t.Log(g.out.String())
		}
	}()
	waitFor(t, 20*time.Second, "the widget to open where it was left", func() bool { return position(t, display, wid) == "613,271" })
}

// position is the window's top-left corner on the screen, as "x,y".
func position(t *testing.T, display, wid string) string {
	t.Helper()
	out, _ := x(display, "xdotool", "getwindowgeometry", wid)
	for _, line := range strings.Split(out, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "Position: "); ok {
			return strings.Fields(s)[0]
		}
	}
	return ""
}

// Under openbox alone no compositor draws the screen. A see-through page
// there leaves stale paint behind (faint copies of earlier rows between the
// real ones): the widget must paint an opaque background edge to edge,
// its corners included. Twenty accounts (`demo --extra 16`) make the list
// scroll; the screenshot shows them.
func TestDemoTwentyAccountsWithoutCompositor(t *testing.T) {
	display := startX(t)
	env := sandbox(t, display)
	root := repoRoot(t)
	g := startGroup(t, env, root, filepath.Join(root, "scripts", "sandbox"), filepath.Join(root, "build", "bin", "aimonitor"), "demo", "--extra", "16")
	wid := findWindow(t, display, g, 120*time.Second)
	defer func() {
		if t.Failed() {
			screenshot(t, display, "failure-20.png")
			t.Log(g.out.String())
		}
	}()
	waitFor(t, 60*time.Second, "the widget to grow to its accounts", func() bool {
		_, h := geometry(t, display, wid)
		return h >= 500
	})
	// Scroll the list down and back, as a user would, then look.
	x(display, "xdotool", "mousemove", "--window", wid, "170", "300")
	for _, button := range []string{"5", "5", "5", "4"} {
		x(display, "xdotool", "click", button)
		time.Sleep(300 * time.Millisecond)
	}
	x(display, "xdotool", "mousemove", "0", "0")
	time.Sleep(1500 * time.Millisecond)
	screenshot(t, display, "widget-20-accounts.png")

	// The top-left corner pixel is the page's opaque background (app.css
	// --bg-solid, light or dark), not what lay under a rounded corner.
	px, py := origin(t, display, wid)
	if c := pixel(t, display, px+1, py+1); c != "#F7F7F9" && c != "#18181B" {
		t.Errorf("the widget's corner is %s, not the opaque background (#F7F7F9 or #18181B)", c)
	}
}

// origin is the window's top-left corner on the screen.
func origin(t *testing.T, display, wid string) (int, int) {
	t.Helper()
	var px, py int
	if _, err := fmt.Sscanf(position(t, display, wid), "%d,%d", &px, &py); err != nil {
		t.Fatalf("window position: %v", err)
	}
	return px, py
}

// pixel is the colour on the screen at x, y as "#RRGGBB".
func pixel(t *testing.T, display string, px, py int) string {
	t.Helper()
	out, err := x(display, "import", "-window", "root", "-crop", fmt.Sprintf("1x1+%d+%d", px, py), "-depth", "8", "txt:-")
	if err != nil {
		t.Fatalf("import: %v %s", err, out)
	}
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "#") && len(f) >= 7 {
			return strings.ToUpper(f[:7])
		}
	}
	t.Fatalf("no colour in %q", out)
	return ""
}
