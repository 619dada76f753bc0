package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/store"
)

// StateKey is the settings key the Engine keeps its memory under.
const StateKey = "notify_state"

// keepSent is how long a sent notice is remembered.
const keepSent = 8 * 24 * time.Hour

// rearmBelow: a usage warning fires again only after the window fell this
// many points below the warning level (or reset), so a reading that wobbles
// around the level does not notify twice.
const rearmBelow = 5.0

// Window names the Engine reports on.
const (
	FiveHour = "five_hour"
	SevenDay = "seven_day"
)

// Config is what the Engine needs from the configuration.
type Config struct {
	Enabled bool
	WarnPct float64
	CritPct float64
	// AutoSwap: usage warnings are only sent when auto-swap is off (swap
	// notices take their place).
	AutoSwap     bool
	DailySummary bool
	DailyHour    int
	// Location is where DailyHour is counted (time.Local when nil).
	Location *time.Location
}

// ConfigFrom picks the Engine's settings out of the configuration.
func ConfigFrom(c config.Config) Config {
	return Config{
		Enabled: c.Notify.Enabled, WarnPct: float64(c.Notify.WarnPct), CritPct: float64(c.Notify.CritPct),
		AutoSwap: c.AutoSwap.Enabled, DailySummary: c.DailySummary.Enabled, DailyHour: c.DailySummary.Hour,
	}
}

// Window is one usage window as the Engine words it.
type Window struct {
	Utilization float64
	ResetsAt    *time.Time
	ExhaustsAt  *time.Time
}

// Account is one account as the Engine sees it.
type Account struct {
	ID            int64
	Label         string
	Active        bool
	NeedsRelogin  bool
	ReloginReason string
	// Windows holds the five_hour and seven_day windows when known.
	Windows map[string]Window
}

// Swap describes an automatic swap. Key identifies it across its pending,
// done and cancelled notices (the daemon uses from, to and arming time).
type Swap struct {
	Key     string
	From    string
	To      string
	FiresAt time.Time
	Reason  string
}

// StateStore keeps the Engine's memory.
type StateStore interface {
	LoadState(ctx context.Context) ([]byte, error) // nil, nil when none
	SaveState(ctx context.Context, data []byte) error
}

// SettingsState keeps the memory in the settings table under StateKey.
type SettingsState struct{ DB *store.Store }

func (s SettingsState) LoadState(ctx context.Context) ([]byte, error) {
	v, ok, err := s.DB.GetSetting(ctx, StateKey)
	if err != nil || !ok {
		return nil, err
	}
	return []byte(v), nil
}

func (s SettingsState) SaveState(ctx context.Context, data []byte) error {
	return s.DB.SetSetting(ctx, StateKey, string(data))
}

// mark is the highest usage level announced for one window instance.
type mark struct {
	Level    string     `json:"level"` // "warn" or "crit"
	ResetsAt *time.Time `json:"resets_at,omitempty"`
}

type memory struct {
	// Sent: notice key -> when it was sent (or would have been, while
	// notifications were off).
	Sent map[string]time.Time `json:"sent"`
	// IDs of notices that a later one replaces (pending swap -> done).
	IDs map[string]uint32 `json:"ids,omitempty"`
	// Marks per "<account id>/<window>".
	Marks map[string]mark `json:"marks"`
}

// Engine decides which notices to show and shows each once.
type Engine struct {
	sender Sender
	state  StateStore
	log    *slog.Logger

	mu     sync.Mutex
	mem    memory
	loaded bool
}

// NewEngine returns an Engine; state may be nil (memory only, for tests).
func NewEngine(sender Sender, state StateStore, log *slog.Logger) *Engine {
	if log == nil {
		log = logging.Discard()
	}
	return &Engine{sender: sender, state: state, log: log}
}

func (e *Engine) loadLocked(ctx context.Context) {
	if e.loaded {
		return
	}
	e.loaded = true
	e.mem = memory{Sent: map[string]time.Time{}, IDs: map[string]uint32{}, Marks: map[string]mark{}}
	if e.state == nil {
		return
	}
	data, err := e.state.LoadState(ctx)
	if err != nil || data == nil {
		if err != nil {
			e.log.Warn("notify: could not read what was already notified", "err", err)
		}
		return
	}
	var m memory
	if err := json.Unmarshal(data, &m); err != nil {
		e.log.Warn("notify: the stored notification memory is unreadable; starting afresh", "err", err)
		return
	}
	if m.Sent != nil {
		e.mem.Sent = m.Sent
	}
	if m.IDs != nil {
		e.mem.IDs = m.IDs
	}
	if m.Marks != nil {
		e.mem.Marks = m.Marks
	}
}

func (e *Engine) saveLocked(ctx context.Context, now time.Time) {
	for k, at := range e.mem.Sent {
		if now.Sub(at) > keepSent {
			delete(e.mem.Sent, k)
			delete(e.mem.IDs, k)
		}
	}
	if e.state == nil {
		return
	}
	data, err := json.Marshal(e.mem)
	if err == nil {
		err = e.state.SaveState(ctx, data)
	}
	if err != nil {
		e.log.Warn("notify: could not remember what was notified", "err", err)
	}
}

// sendLocked shows m once per key. With notifications off the key is still
// recorded, so turning them on later does not replay old news.
func (e *Engine) sendLocked(ctx context.Context, cfg Config, now time.Time, key string, m Message) bool {
	if _, done := e.mem.Sent[key]; done {
		return false
	}
	e.mem.Sent[key] = now
	if !cfg.Enabled {
		return true
	}
	id, err := e.sender.Send(ctx, m)
	switch {
	case errors.Is(err, ErrUnavailable):
		// The sender logged it once; nothing more to say.
	case err != nil:
		e.log.Info("notify: a notification was not shown", "summary", m.Summary, "err", err)
	default:
		e.mem.IDs[key] = id
	}
	return true
}

// Observe looks at the accounts after new numbers arrived (and on every
// tick): usage warnings for the active account when auto-swap is off,
// re-login needed, and the daily summary.
func (e *Engine) Observe(ctx context.Context, cfg Config, now time.Time, accounts []Account) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.loadLocked(ctx)
	changed := false
	for _, a := range accounts {
		if a.Active && !cfg.AutoSwap {
			changed = e.levelsLocked(ctx, cfg, now, a) || changed
		}
		key := fmt.Sprintf("relogin:%d", a.ID)
		if a.NeedsRelogin {
			urgency := Normal
			if a.Active {
				urgency = Critical
			}
			body := a.ReloginReason
			if body == "" {
				body = "The login has expired or was revoked."
			}
			changed = e.sendLocked(ctx, cfg, now, key, Message{
				Summary: a.Label + " needs a new login",
				Body:    body + "\nLog in with that account in Claude Code again (claude /login).",
				Urgency: urgency,
			}) || changed
		} else if _, ok := e.mem.Sent[key]; ok {
			delete(e.mem.Sent, key) // alive again: a later death is news
			changed = true
		}
	}
	if cfg.DailySummary {
		loc := cfg.Location
		if loc == nil {
			loc = time.Local
		}
		local := now.In(loc)
		if local.Hour() == cfg.DailyHour {
			key := "daily:" + local.Format("2006-01-02")
			changed = e.sendLocked(ctx, cfg, now, key, Message{Summary: "aimonitor: today's usage", Body: summaryBody(accounts, loc), Urgency: Low}) || changed
		}
	}
	if changed {
		e.saveLocked(ctx, now)
	}
}

func (e *Engine) levelsLocked(ctx context.Context, cfg Config, now time.Time, a Account) bool {
	changed := false
	for _, name := range []string{FiveHour, SevenDay} {
		w, ok := a.Windows[name]
		if !ok {
			continue
		}
		mk := fmt.Sprintf("%d/%s", a.ID, name)
		m, had := e.mem.Marks[mk]
		if had && (!sameInstance(m.ResetsAt, w.ResetsAt) || w.Utilization < cfg.WarnPct-rearmBelow) {
			delete(e.mem.Marks, mk)
			m, had, changed = mark{}, false, true
		}
		level := ""
		switch {
		case w.Utilization >= cfg.CritPct:
			level = "crit"
		case w.Utilization >= cfg.WarnPct:
			level = "warn"
		}
		if level == "" || (had && (m.Level == "crit" || m.Level == level)) {
			continue
		}
		e.mem.Marks[mk] = mark{Level: level, ResetsAt: w.ResetsAt}
		msg := Message{Summary: fmt.Sprintf("%s: %s at %s", a.Label, windowWords(name), pct(w.Utilization)), Body: windowBody(w, cfg.Location), Urgency: Normal}
		if level == "crit" {
			msg.Urgency = Critical
		}
		key := fmt.Sprintf("level:%d:%s:%s:%s", a.ID, name, level, instanceKey(w.ResetsAt, now))
		e.sendLocked(ctx, cfg, now, key, msg)
		changed = true
	}
	return changed
}

func sameInstance(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Sub(*b).Abs() <= 10*time.Minute
}

// instanceKey names a window instance by its reset time, to the hour.
func instanceKey(resets *time.Time, now time.Time) string {
	if resets == nil {
		return "open-" + now.UTC().Format("2006010215")
	}
	return resets.UTC().Round(time.Hour).Format("2006010215")
}

func windowWords(w string) string {
	switch w {
	case FiveHour:
		return "5-hour window"
	case SevenDay:
		return "7-day window"
	}
	return strings.ReplaceAll(w, "_", " ")
}

func pct(v float64) string { return fmt.Sprintf("%.0f %%", math.Floor(v)) }

func clockTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("15:04")
}

func windowBody(w Window, loc *time.Location) string {
	var parts []string
	if w.ExhaustsAt != nil && w.Utilization < 100 {
		parts = append(parts, "Full at "+clockTime(*w.ExhaustsAt, loc)+" at the current pace.")
	}
	if w.ResetsAt != nil {
		parts = append(parts, "Resets at "+clockTime(*w.ResetsAt, loc)+".")
	}
	if len(parts) == 0 {
		return "Auto-swap is off."
	}
	return strings.Join(parts, " ")
}

func summaryBody(accounts []Account, loc *time.Location) string {
	sorted := slices.Clone(accounts)
	slices.SortStableFunc(sorted, func(a, b Account) int {
		if a.Active != b.Active {
			if a.Active {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label, b.Label)
	})
	var lines []string
	for _, a := range sorted {
		line := a.Label
		if a.Active {
			line += " (active)"
		}
		var ws []string
		for _, name := range []string{FiveHour, SevenDay} {
			if w, ok := a.Windows[name]; ok {
				short := "5h"
				if name == SevenDay {
					short = "7d"
				}
				ws = append(ws, short+" "+pct(w.Utilization))
			}
		}
		if len(ws) == 0 {
			ws = []string{"usage unknown"}
		}
		line += ": " + strings.Join(ws, ", ")
		if a.NeedsRelogin {
			line += " — needs a new login"
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return "No accounts yet."
	}
	return strings.Join(lines, "\n")
}

// SwapPending announces an armed swap, naming the target and the time.
func (e *Engine) SwapPending(ctx context.Context, cfg Config, now time.Time, s Swap) {
	e.swapNotice(ctx, cfg, now, "pending:"+s.Key, "", Message{
		Summary: fmt.Sprintf("Switching Claude Code to %s at %s", s.To, clockTime(s.FiresAt, cfg.Location)),
		Body:    s.Reason + "\nSwitch account yourself to cancel.",
		Urgency: Normal,
	})
}

// SwapDone tells that Claude Code now uses s.To, replacing the pending notice.
func (e *Engine) SwapDone(ctx context.Context, cfg Config, now time.Time, s Swap) {
	e.swapNotice(ctx, cfg, now, "done:"+s.Key, "pending:"+s.Key, Message{
		Summary: fmt.Sprintf("Claude Code now uses %s", s.To),
		Body:    s.Reason,
		Urgency: Normal,
	})
}

// SwapFailed tells that the switch to s.To did not work.
func (e *Engine) SwapFailed(ctx context.Context, cfg Config, now time.Time, s Swap, err error) {
	e.swapNotice(ctx, cfg, now, "failed:"+s.Key, "pending:"+s.Key, Message{
		Summary: fmt.Sprintf("Could not switch Claude Code to %s", s.To),
		Body:    logging.Redact(err.Error()),
		Urgency: Critical,
	})
}

// SwapCancelled withdraws a pending notice (only if one was shown).
func (e *Engine) SwapCancelled(ctx context.Context, cfg Config, now time.Time, s Swap) {
	e.mu.Lock()
	_, shown := e.mem.Sent["pending:"+s.Key]
	e.mu.Unlock()
	if !shown {
		return
	}
	e.swapNotice(ctx, cfg, now, "cancelled:"+s.Key, "pending:"+s.Key, Message{
		Summary: fmt.Sprintf("Not switching to %s", s.To),
		Body:    s.Reason,
		Urgency: Low,
	})
}

// NoCandidate warns that the active account needs relief and no account can
// give it; critical once it is exhausted. key identifies the crossing (the
// daemon uses the account and the window instances), so it is said once per
// crossing.
func (e *Engine) NoCandidate(ctx context.Context, cfg Config, now time.Time, key, active, reason string, exhausted bool) {
	m := Message{Summary: "No account to switch " + active + " to", Body: reason, Urgency: Normal}
	if exhausted {
		m.Summary, m.Urgency = active+" is used up and no account can take over", Critical
	}
	e.swapNotice(ctx, cfg, now, "nocandidate:"+key, "", m)
}

func (e *Engine) swapNotice(ctx context.Context, cfg Config, now time.Time, key, replaces string, m Message) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.loadLocked(ctx)
	if replaces != "" {
		m.Replaces = e.mem.IDs[replaces]
	}
	if e.sendLocked(ctx, cfg, now, key, m) {
		e.saveLocked(ctx, now)
	}
}
