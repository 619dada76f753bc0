package main

import (
	"encoding/json"
	"net/http"
)

// StatusPath is where the frontend reads the status document after each
// EventStatus. The event itself carries nothing: Wails delivers an event by
// evaluating a script with the payload inlined, so a payload that changes
// every time is a new script every time, and WebKit keeps compiled scripts
// in a cache of its own. With a constant event plus a plain GET the web
// process no longer climbs as updates stream in (bench/widget/run.sh).
//
// It is served by a middleware of Wails' in-process asset server (a custom
// URL scheme, no socket), so only our own page can ask for it; a middleware
// rather than a handler, because under `wails dev` the asset server hands
// unknown paths to Vite, which answers every path with index.html.
const StatusPath = "/aimonitor/status.json"

// statusFeed serves StatusPath. It is a separate type because every
// exported method of App becomes a frontend binding.
type statusFeed struct{ app *App }

// middleware answers StatusPath and passes every other request on.
func (f statusFeed) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == StatusPath {
			f.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f statusFeed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != StatusPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data, err := f.app.statusJSON()
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data)
}

// statusJSON is the document of the last EventStatus, or a fresh one when
// none was sent yet.
func (a *App) statusJSON() ([]byte, error) {
	a.mu.Lock()
	data := a.lastStatus
	a.mu.Unlock()
	if data != nil {
		return data, nil
	}
	v, err := a.GetStatus()
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
