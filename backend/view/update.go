package view

import (
	"time"

	"github.com/aimonitor/aimonitor/backend/update"
)

// UpdateInfo is the release check as the settings pane and badge show it.
type UpdateInfo struct {
	update.Result
	CheckedAt *time.Time `json:"checked_at,omitempty"`
	Error     string     `json:"error,omitempty"`
	Enabled   bool       `json:"enabled"`
}

// NewUpdateInfo is the remembered release check of any aimonitor process,
// seen from this build (version) with checks on or off.
func NewUpdateInfo(rem update.Remembered, version string, enabled bool) UpdateInfo {
	info := UpdateInfo{Result: rem.Result, Error: rem.Error, Enabled: enabled}
	info.Current = version
	if !rem.CheckedAt.IsZero() {
		at := rem.CheckedAt
		info.CheckedAt = &at
	}
	return info
}
