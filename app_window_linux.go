//go:build linux && cgo && (dev || production || desktop)

package main

/*
#cgo pkg-config: gtk+-3.0
#include <gtk/gtk.h>

static gboolean aim_apply_decorated(gpointer data) {
	gboolean decorated = GPOINTER_TO_INT(data);
	GList *wins = gtk_window_list_toplevels();
	for (GList *l = wins; l != NULL; l = l->next) {
		GtkWindow *w = GTK_WINDOW(l->data);
		if (gtk_window_get_window_type(w) == GTK_WINDOW_TOPLEVEL && gtk_widget_get_visible(GTK_WIDGET(w))) {
			gtk_window_set_decorated(w, decorated);
		}
	}
	g_list_free(wins);
	return G_SOURCE_REMOVE;
}

static void aim_set_decorated(int decorated) {
	g_idle_add(aim_apply_decorated, GINT_TO_POINTER(decorated));
}
*/
import "C"

// setDecorated toggles the window frame. Wails v2 has no runtime call for it,
// so we ask GTK directly, on its main loop.
func setDecorated(on bool) {
	v := 0
	if on {
		v = 1
	}
	C.aim_set_decorated(C.int(v))
}
