package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestStatusFeedServesTheAnnouncedStatus(t *testing.T) {
	a := &App{lastStatus: []byte(`{"accounts":[]}`)}
	feed := statusFeed{a}

	rec := httptest.NewRecorder()
	feed.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, StatusPath, nil))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"accounts":[]}` {
		t.Fatalf("GET %s: %d %q", StatusPath, rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q: WebKit could serve a stale status", got)
	}

	// A later status replaces it.
	a.mu.Lock()
	a.lastStatus = []byte(`{"accounts":[{"id":1}]}`)
	a.mu.Unlock()
	rec = httptest.NewRecorder()
	feed.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, StatusPath, nil))
	if rec.Body.String() != `{"accounts":[{"id":1}]}` {
		t.Fatalf("second GET: %q", rec.Body)
	}
}

func TestStatusFeedAnswersNothingElse(t *testing.T) {
	feed := statusFeed{&App{lastStatus: []byte(`{}`)}}
	for _, tc := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/aimonitor/other", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodPost, StatusPath, http.StatusMethodNotAllowed},
		{http.MethodDelete, StatusPath, http.StatusMethodNotAllowed},
	} {
		rec := httptest.NewRecorder()
		feed.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, rec.Code, tc.want)
		}
	}
}

// Wrapped around the asset server, the feed takes its path and leaves every
// other request (the page, its scripts) to the assets.
func TestStatusFeedMiddlewarePassesTheRestOn(t *testing.T) {
	assets := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("asset " + r.URL.Path)) })
	h := statusFeed{&App{lastStatus: []byte(`{"accounts":[]}`)}}.middleware(assets)
	for path, want := range map[string]string{
		StatusPath:         `{"accounts":[]}`,
		"/":                "asset /",
		"/assets/index.js": "asset /assets/index.js",
		"/aimonitor/other": "asset /aimonitor/other",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Body.String() != want {
			t.Errorf("GET %s: %q, want %q", path, rec.Body, want)
		}
	}
}

// The frontend reads the status from the same path the backend serves.
func TestStatusPathMirrored(t *testing.T) {
	ts, err := os.ReadFile("frontend/src/lib/statusfeed.ts")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ts), "export const STATUS_PATH = '"+StatusPath+"';") {
		t.Fatalf("frontend/src/lib/statusfeed.ts does not read the status from %s", StatusPath)
	}
}
