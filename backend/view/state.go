package view

import (
	"github.com/aimonitor/aimonitor/backend/backup"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/paths"
)

// WindowMode is the window's shape: the mini widget or the panel.
type WindowMode string

// The window modes.
const (
	ModeMini  WindowMode = "mini"
	ModePanel WindowMode = "panel"
)

// AppState is what the window shows before any account exists.
type AppState struct {
	Version  string         `json:"version"`
	Mode     WindowMode     `json:"mode"`
	Demo     bool           `json:"demo"`
	Paths    paths.Paths    `json:"paths"`
	Settings []config.Field `json:"settings"`
	Accounts []any          `json:"accounts"`
	// Translucent is false where no compositor draws the screen: the page
	// must then paint an opaque background with square corners.
	Translucent bool `json:"translucent"`
}

// NewAppState is everything the first paint needs.
func NewAppState(version string, mode WindowMode, demo bool, p paths.Paths, cfg *config.Loaded) AppState {
	return AppState{Version: version, Mode: mode, Demo: demo, Paths: p, Settings: cfg.Fields(), Accounts: []any{}}
}

// BackupResult says what an export or import did, for the settings pane.
type BackupResult struct {
	Path   string               `json:"path"`
	Export *backup.ExportReport `json:"export,omitempty"`
	Import *backup.ImportReport `json:"import,omitempty"`
}
