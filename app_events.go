package main

// Event names the backend emits to the frontend. Mirrored, name for name, in
// frontend/src/lib/events.ts (a test checks the two lists match).
const (
	EventConfigChanged  = "config:changed"  // payload: []config.Field
	EventWindowMode     = "window:mode"     // payload: "mini" | "panel"
	EventStatus         = "status"          // no payload: the view.Status changed; read it from StatusPath
	EventSwitchProgress = "switch:progress" // payload: view.SwitchProgress
	EventAddProgress    = "add:progress"    // payload: view.AddProgress
	EventTokensChanged  = "tokens:changed"  // payload: number of responses added
	EventTokensProgress = "tokens:progress" // payload: view.TokensScan (large scans only)
	EventUpdate         = "update:checked"  // payload: view.UpdateInfo
)
