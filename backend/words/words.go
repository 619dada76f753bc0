// Package words puts times in the words every face of aimonitor shows
// them in (the CLI's tables, doctor's findings), so one rule reads the same
// everywhere.
package words

import (
	"fmt"
	"time"
)

// Ago is how long before now t was: "just now", "12 s ago", "3 min ago",
// and from an hour on the local date and time ("Jan 2 15:04").
func Ago(now, t time.Time) string {
	d := now.Sub(t).Round(time.Second)
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	}
	return t.Local().Format("Jan 2 15:04")
}
