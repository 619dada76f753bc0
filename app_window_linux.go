//go:build linux && cgo && (dev || production || desktop)

package main

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>

typedef struct { gboolean decorated; int width, height, min_width, min_height; } aim_frame;

// Frame and size change together, in one step on GTK's main loop: done
// separately, the window manager can re-frame the window after the resize
// and keep the old size.
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
*/
import "C"

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
