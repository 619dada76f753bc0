package usage

import (
	"context"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
)

// ListWindow is one window in `list --json`.
type ListWindow struct {
	Utilization float64    `json:"utilization"`
	ResetsAt    *time.Time `json:"resets_at"`
}

// ListUsage is the "usage" member `aimonitor list --json` shows for each
// account: the newest sample's windows (null when the endpoint sent none),
// when it was fetched, and when the 5-hour or 7-day window will be full at
// the current pace (null when neither will be before it resets).
type ListUsage struct {
	FiveHour             *ListWindow           `json:"five_hour"`
	SevenDay             *ListWindow           `json:"seven_day"`
	SevenDayOpus         *ListWindow           `json:"seven_day_opus"`
	SevenDaySonnet       *ListWindow           `json:"seven_day_sonnet"`
	ExtraUsage           *anthropic.ExtraUsage `json:"extra_usage"`
	FetchedAt            time.Time             `json:"fetched_at"`
	PredictedExhaustedAt *time.Time            `json:"predicted_exhausted_at"`
}

func listWindow(w *anthropic.Window) *ListWindow {
	if w == nil {
		return nil
	}
	return &ListWindow{Utilization: w.Utilization, ResetsAt: w.ResetsAt}
}

// NewListUsage builds the object from one account's recent samples, oldest
// first (nil when there are none).
func NewListUsage(samples []Sample) *ListUsage {
	if len(samples) == 0 || samples[len(samples)-1].Usage == nil {
		return nil
	}
	last := samples[len(samples)-1]
	u := last.Usage
	return &ListUsage{
		FiveHour:             listWindow(u.FiveHour),
		SevenDay:             listWindow(u.SevenDay),
		SevenDayOpus:         listWindow(u.SevenDayOpus),
		SevenDaySonnet:       listWindow(u.SevenDaySonnet),
		ExtraUsage:           u.ExtraUsage,
		FetchedAt:            last.FetchedAt,
		PredictedExhaustedAt: EarliestExhaustion(PredictAll(samples)),
	}
}

// Recent returns the samples Predict needs for an account: those within
// DisplayLookback of its newest one.
func (h *History) Recent(ctx context.Context, accountID int64) ([]Sample, error) {
	last, found, err := h.LatestFor(ctx, accountID)
	if err != nil || !found {
		return nil, err
	}
	return h.Since(ctx, accountID, last.FetchedAt.Add(-DisplayLookback))
}

// ListUsageFor builds the `list --json` usage object of one account from
// the database; nil (JSON null) when it was never fetched.
func ListUsageFor(ctx context.Context, h *History, accountID int64) (*ListUsage, error) {
	samples, err := h.Recent(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return NewListUsage(samples), nil
}
