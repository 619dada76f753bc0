// Package view owns every shape the widget's frontend receives — the results
// of the bound methods, the event payloads and the status document — and the
// functions that build them from the backend's own types. It never imports
// Wails: the top-level app*.go files call these builders and only emit or
// return what they produce. The TypeScript side of these shapes is generated
// from them (tools/tsgen writes frontend/src/lib/contract.gen.ts), so a field
// renamed here fails svelte-check until the frontend follows.
package view
