//go:build linux && cgo && (dev || production || desktop)

package main

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>
#include <stdlib.h>

typedef struct { gboolean decorated; int width, height, min_width, min_height; } aim_frame;

// aim_main_window is the largest visible toplevel: GTK can own small helper
// windows besides the app's.
static GtkWindow *aim_main_window(void) {
	GtkWindow *found = NULL;
	int best = 0;
	GList *wins = gtk_window_list_toplevels();
	for (GList *l = wins; l != NULL; l = l->next) {
		GtkWindow *w = GTK_WINDOW(l->data);
		if (gtk_window_get_window_type(w) == GTK_WINDOW_TOPLEVEL && gtk_widget_get_visible(GTK_WIDGET(w))) {
			int ww = 0, wh = 0;
			gtk_window_get_size(w, &ww, &wh);
			if (ww * wh > best) {
				best = ww * wh;
				found = w;
			}
		}
	}
	g_list_free(wins);
	return found;
}

// aim_frame_gen counts frame changes (on GTK's main loop only), so a
// re-assertion of an older size stops once a newer one is asked for.
static guint aim_frame_gen;

typedef struct { guint gen; int width, height, tries; } aim_reassert;

// aim_reassert_size asks for the size again while the window is not at it:
// a busy window manager that re-frames the window (mini widget to panel)
// after our resize keeps the old size, clamped to the new minimum.
static gboolean aim_reassert_size(gpointer data) {
	aim_reassert *r = data;
	if (r->gen != aim_frame_gen) {
		g_free(r);
		return G_SOURCE_REMOVE;
	}
	GtkWindow *w = aim_main_window();
	if (w != NULL) {
		int ww = 0, wh = 0;
		gtk_window_get_size(w, &ww, &wh);
		if (ww != r->width || wh != r->height) gtk_window_resize(w, r->width, r->height);
	}
	if (--r->tries > 0) return G_SOURCE_CONTINUE;
	g_free(r);
	return G_SOURCE_REMOVE;
}

// Frame and size change together, in one step on GTK's main loop: done
// separately, the window manager can re-frame the window after the resize
// and keep the old size. Under load it can still do so, so the size is
// asked for again for a moment after (aim_reassert_size).
static gboolean aim_apply_frame(gpointer data) {
	aim_frame *f = data;
	GList *wins = gtk_window_list_toplevels();
	for (GList *l = wins; l != NULL; l = l->next) {
		GtkWindow *w = GTK_WINDOW(l->data);
		if (gtk_window_get_window_type(w) == GTK_WINDOW_TOPLEVEL && gtk_widget_get_visible(GTK_WIDGET(w))) {
			GdkGeometry g = {0};
			g.min_width = f->min_width;
			g.min_height = f->min_height;
			gtk_window_set_geometry_hints(w, NULL, &g, GDK_HINT_MIN_SIZE);
			gtk_window_set_decorated(w, f->decorated);
			gtk_window_resize(w, f->width, f->height);
		}
	}
	g_list_free(wins);
	aim_reassert *r = g_new(aim_reassert, 1);
	r->gen = ++aim_frame_gen;
	r->width = f->width;
	r->height = f->height;
	r->tries = 5;
	g_timeout_add(300, aim_reassert_size, r);
	g_free(f);
	return G_SOURCE_REMOVE;
}

static void aim_set_frame(int decorated, int width, int height, int min_width, int min_height) {
	aim_frame *f = g_new(aim_frame, 1);
	f->decorated = decorated;
	f->width = width;
	f->height = height;
	f->min_width = min_width;
	f->min_height = min_height;
	g_idle_add(aim_apply_frame, f);
}

#define AIM_MAX_MONITORS 16
typedef struct { int x, y, width, height; } aim_rect;
typedef struct {
	GMutex mu;
	GCond cond;
	gboolean done;
	gboolean have_window;
	aim_rect window;
	int n, primary;
	aim_rect mon[AIM_MAX_MONITORS];
} aim_geometry;

// aim_fill_geometry reads the window's root position and size and every
// monitor's area, in root coordinates; it runs on GTK's main loop.
static void aim_fill_geometry(aim_geometry *g) {
	GtkWindow *w = aim_main_window();
	if (w != NULL) {
		g->have_window = TRUE;
		gtk_window_get_position(w, &g->window.x, &g->window.y);
		gtk_window_get_size(w, &g->window.width, &g->window.height);
	}
	GdkDisplay *d = gdk_display_get_default();
	if (d == NULL) return;
	GdkMonitor *primary = gdk_display_get_primary_monitor(d);
	int n = gdk_display_get_n_monitors(d);
	if (n > AIM_MAX_MONITORS) n = AIM_MAX_MONITORS;
	g->n = n;
	for (int i = 0; i < n; i++) {
		GdkMonitor *m = gdk_display_get_monitor(d, i);
		GdkRectangle r;
		gdk_monitor_get_geometry(m, &r);
		g->mon[i] = (aim_rect){r.x, r.y, r.width, r.height};
		if (m == primary) g->primary = i;
	}
}

static gboolean aim_geometry_idle(gpointer data) {
	aim_geometry *g = data;
	aim_fill_geometry(g);
	g_mutex_lock(&g->mu);
	g->done = TRUE;
	g_cond_signal(&g->cond);
	g_mutex_unlock(&g->mu);
	return G_SOURCE_REMOVE;
}

// aim_read_geometry fills g on GTK's main loop (directly when called from
// it) and returns FALSE if the loop did not answer within two seconds; g
// must then be left allocated, as the loop may still write to it.
static gboolean aim_read_geometry(aim_geometry *g) {
	if (g_main_context_is_owner(g_main_context_default())) {
		aim_fill_geometry(g);
		return TRUE;
	}
	g_mutex_init(&g->mu);
	g_cond_init(&g->cond);
	g_idle_add(aim_geometry_idle, g);
	gint64 until = g_get_monotonic_time() + 2 * G_TIME_SPAN_SECOND;
	g_mutex_lock(&g->mu);
	while (!g->done) {
		if (!g_cond_wait_until(&g->cond, &g->mu, until)) break;
	}
	gboolean done = g->done;
	g_mutex_unlock(&g->mu);
	return done;
}

typedef struct { int x, y; } aim_point;

static gboolean aim_move_idle(gpointer data) {
	aim_point *p = data;
	GtkWindow *w = aim_main_window();
	if (w != NULL) gtk_window_move(w, p->x, p->y);
	g_free(p);
	return G_SOURCE_REMOVE;
}

// aim_move places the window at root coordinates x, y.
static void aim_move(int x, int y) {
	aim_point *p = g_new(aim_point, 1);
	p->x = x;
	p->y = y;
	g_idle_add(aim_move_idle, p);
}

// aim_composited initialises GTK (again, harmlessly, for Wails) and asks
// whether a compositing manager draws the screen.
static gboolean aim_composited(void) {
	if (!gtk_init_check(NULL, NULL)) return FALSE;
	GdkScreen *s = gdk_screen_get_default();
	return s != NULL && gdk_screen_is_composited(s);
}
*/
import "C"

import "unsafe"

// setFrame sets the window frame, minimum size and size in one step. Wails
// v2 has no runtime call for the frame, and its own size calls can land on
// GTK's main loop after ours, so all three go to GTK directly together.
func setFrame(decorated bool, width, height, minWidth, minHeight int) {
	v := 0
	if decorated {
		v = 1
	}
	C.aim_set_frame(C.int(v), C.int(width), C.int(height), C.int(minWidth), C.int(minHeight))
}

const haveSetFrame = true

// readGeometry returns the window's position and size and the monitors'
// areas, all in root coordinates.
func readGeometry() (screenGeometry, bool) {
	g := (*C.aim_geometry)(C.calloc(1, C.sizeof_aim_geometry))
	if C.aim_read_geometry(g) == 0 {
		return screenGeometry{}, false // g stays allocated: the loop may still fill it
	}
	defer C.free(unsafe.Pointer(g))
	out := screenGeometry{
		HaveWindow: g.have_window != 0,
		Window:     rect{int(g.window.x), int(g.window.y), int(g.window.width), int(g.window.height)},
		Primary:    int(g.primary),
	}
	for i := 0; i < int(g.n); i++ {
		m := g.mon[i]
		out.Monitors = append(out.Monitors, rect{int(m.x), int(m.y), int(m.width), int(m.height)})
	}
	return out, true
}

// moveWindow places the window at root coordinates.
func moveWindow(x, y int) { C.aim_move(C.int(x), C.int(y)) }

const haveGeometry = true

// screenComposited reports whether a compositing manager draws the screen:
// only there can a window be translucent. Without one (i3, openbox and other
// plain window managers) a translucent window keeps stale paint behind.
// Call it on the main thread before the window opens.
func screenComposited() bool { return C.aim_composited() != 0 }
