package view

import (
	"time"

	"github.com/aimonitor/aimonitor/backend/usage"
)

// HistoryPoint is one usage sample for the charts.
type HistoryPoint struct {
	TS       time.Time `json:"ts"`
	FiveHour *float64  `json:"five_hour"`
	SevenDay *float64  `json:"seven_day"`
}

// HistoryHours bounds a history request to 1 hour … 35 days (what is kept);
// anything else asks for the last day.
func HistoryHours(hours int) int {
	if hours <= 0 || hours > 24*35 {
		return 24
	}
	return hours
}

// History turns stored samples into chart points (never nil).
func History(samples []usage.Sample) []HistoryPoint {
	out := make([]HistoryPoint, 0, len(samples))
	for _, s := range samples {
		p := HistoryPoint{TS: s.FetchedAt}
		if w := s.Window(usage.FiveHour); w != nil {
			v := w.Utilization
			p.FiveHour = &v
		}
		if w := s.Window(usage.SevenDay); w != nil {
			v := w.Utilization
			p.SevenDay = &v
		}
		out = append(out, p)
	}
	return out
}
