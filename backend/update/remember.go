package update

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
)

// Settings is the part of the store the remembered check needs (the
// settings table: one JSON value under one key).
type Settings interface {
	GetSetting(ctx context.Context, key string) (string, bool, error)
	SetSetting(ctx context.Context, key, value string) error
}

// settingKey holds the last answer, its ETag and when it was fetched, shared by
// every aimonitor process so a CLI check and the widget agree.
const settingKey = "update_check"

// Remembered is the last check, as stored.
type Remembered struct {
	Cache     Cache     `json:"cache"`
	Result    Result    `json:"result"`
	CheckedAt time.Time `json:"checked_at"`
	Error     string    `json:"error,omitempty"`
}

// Load returns the last remembered check (zero value if none).
func Load(ctx context.Context, st Settings) (Remembered, error) {
	var r Remembered
	v, ok, err := st.GetSetting(ctx, settingKey)
	if err != nil || !ok {
		return r, err
	}
	if json.Unmarshal([]byte(v), &r) != nil {
		return Remembered{}, nil // a damaged record is only a lost cache
	}
	return r, nil
}

// CheckAndRemember asks for the releases list (with the remembered ETag) and
// stores the outcome, errors included, for the UI's badge.
func CheckAndRemember(ctx context.Context, c *Checker, st Settings, current string, now time.Time) (Result, error) {
	prev, err := Load(ctx, st)
	if err != nil {
		return Result{}, err
	}
	res, cache, checkErr := c.Check(ctx, current, prev.Cache)
	rec := Remembered{Cache: cache, Result: res, CheckedAt: now}
	if checkErr != nil {
		rec.Result = prev.Result
		rec.Error = checkErr.Error()
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return Result{}, fmt.Errorf("update: %w", err)
	}
	if err := st.SetSetting(ctx, settingKey, string(data)); err != nil {
		return Result{}, err
	}
	return res, checkErr
}

// Interval between automatic checks.
const Interval = 24 * time.Hour

// RunDaily checks on start and then once a day, asking enabled() before each
// check so that turning auto_update off stops requests at once. It returns
// when ctx ends. check's errors are reported through onErr and do not stop
// the loop. A process that starts within a day of the last check (by any
// process) waits for the remainder instead of asking again.
func RunDaily(ctx context.Context, clk clock.Clock, lastCheck func() time.Time, enabled func() bool, check func(context.Context) error, onErr func(error)) {
	for {
		wait := time.Duration(0)
		if last := lastCheck(); !last.IsZero() {
			wait = last.Add(Interval).Sub(clk.Now())
		}
		if wait > 0 {
			t := clk.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			continue // re-read lastCheck: another process may have checked meanwhile
		}
		if enabled() {
			if err := check(ctx); err != nil && onErr != nil {
				onErr(err)
			}
		}
		// Checked (or skipped because off): look again in a day, or sooner
		// if the setting is turned on meanwhile (the next loop re-reads it).
		t := clk.NewTimer(checkRecheck(enabled()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// While off, look at the setting every few minutes so turning it on takes
// effect without a restart. While on, the stored check time normally puts
// the next check a day away; if storing failed, retry in an hour.
func checkRecheck(on bool) time.Duration {
	if on {
		return time.Hour
	}
	return 5 * time.Minute
}
