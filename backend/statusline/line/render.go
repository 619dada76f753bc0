package line

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Style is how the line looks.
type Style struct {
	Format  string // statusline.format; DefaultFormat when empty
	Color   bool
	WarnPct int // notify.warn_pct
	CritPct int // notify.crit_pct
}

// StaleAfter is how old numbers may get before the line shows their age
// even while a poller runs (a throttled account, a failing endpoint).
const StaleAfter = 30 * time.Minute

// ANSI SGR codes; Claude Code passes them through to the terminal.
const (
	sgrBold   = "1"
	sgrDim    = "2"
	sgrRed    = "31"
	sgrYellow = "33"
	sgrCyan   = "36"
)

// Render builds the line for snap and the session Claude Code sent.
func Render(snap *Snapshot, sess Session, st Style) string {
	format := st.Format
	if format == "" {
		format = DefaultFormat
	}
	prefix, parts, suffix, err := ParseFormat(format)
	if err != nil {
		prefix, parts, suffix, _ = ParseFormat(DefaultFormat)
	}
	r := renderer{snap: snap, sess: sess, st: st}
	if line, ok := r.special(); ok {
		return line
	}
	var b strings.Builder
	b.WriteString(prefix)
	wrote := false
	for _, p := range parts {
		v := r.field(p[1])
		if v == "" {
			continue
		}
		if wrote {
			b.WriteString(p[0])
		}
		b.WriteString(v)
		wrote = true
	}
	b.WriteString(suffix)
	return strings.TrimSpace(b.String())
}

type renderer struct {
	snap *Snapshot
	sess Session
	st   Style
}

func (r renderer) paint(code, s string) string {
	if !r.st.Color || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// special is the whole line for the states with nothing to measure.
func (r renderer) special() (string, bool) {
	s := r.snap
	switch {
	case s.NoDatabase:
		return "aimonitor: not set up yet (run aimonitor once)", true
	case s.Accounts == 0:
		return "aimonitor: no accounts saved (aimonitor add --adopt-current)", true
	}
	return "", false
}

func (r renderer) field(name string) string {
	s, a := r.snap, r.snap.Account
	switch name {
	case "account":
		switch {
		case a != nil:
			return r.paint(sgrBold, a.Label)
		case s.LoggedOut:
			return r.paint(sgrYellow, "not logged in")
		case s.LiveEmail != "":
			return r.paint(sgrYellow, s.LiveEmail+" (not saved)")
		}
		return r.paint(sgrYellow, "unknown login")
	case "5h":
		if a != nil {
			return r.window("5h", a.FiveHour)
		}
	case "7d":
		if a != nil {
			return r.window("7d", a.SevenDay)
		}
	case "runout":
		if a != nil && a.RunsOutAt != nil {
			return r.paint(sgrRed, "full in "+span(a.RunsOutAt.Sub(s.Now)))
		}
	case "swap":
		if p := s.Pending; p != nil {
			wait := p.FiresAt.Sub(s.Now)
			text := "→ " + p.Target + " now"
			if wait >= time.Second {
				text = "→ " + p.Target + " in " + span(wait)
			}
			return r.paint(sgrCyan, text)
		}
	case "marks":
		return r.marks()
	case "tokens":
		if t := s.Today; t != nil && t.Tokens > 0 {
			return count(t.Tokens) + " tok today"
		}
	case "cost":
		if t := s.Today; t != nil && t.CostUSD != nil && *t.CostUSD > 0 {
			return fmt.Sprintf("$%.2f today", *t.CostUSD)
		}
	case "model":
		if m := r.sess.Model.DisplayName; m != "" {
			return printable(m)
		}
		return printable(r.sess.Model.ID)
	case "session_cost":
		if c := r.sess.Cost.TotalCostUSD; c != nil {
			return fmt.Sprintf("$%.2f", *c)
		}
	}
	return ""
}

// window is "5h 42% (1h20m)": utilisation and the time to its reset,
// coloured by the notification thresholds.
func (r renderer) window(name string, w *Window) string {
	if w == nil {
		return ""
	}
	now := r.snap.Now
	if w.ResetsAt != nil && !w.ResetsAt.After(now) {
		return name + " reset"
	}
	pct := w.Utilization
	text := fmt.Sprintf("%.0f%%", math.Floor(pct))
	switch {
	case r.st.CritPct > 0 && pct >= float64(r.st.CritPct):
		text = r.paint(sgrRed, text)
	case r.st.WarnPct > 0 && pct >= float64(r.st.WarnPct):
		text = r.paint(sgrYellow, text)
	}
	out := name + " " + text
	if w.ResetsAt != nil {
		out += " (" + span(w.ResetsAt.Sub(now)) + ")"
	}
	return out
}

// marks are the short warnings: stale numbers, a login to renew, Anthropic
// asking us to wait.
func (r renderer) marks() string {
	s, a := r.snap, r.snap.Account
	var out []string
	if a != nil {
		if a.NeedsRelogin {
			out = append(out, r.paint(sgrRed, "re-login"))
		}
		if a.CooldownUntil != nil && a.CooldownUntil.After(s.Now) {
			out = append(out, r.paint(sgrYellow, "wait "+span(a.CooldownUntil.Sub(s.Now))))
		}
		switch {
		case a.FetchedAt.IsZero():
			out = append(out, r.paint(sgrDim, "no data yet"))
		case !s.Polled || s.Now.Sub(a.FetchedAt) > StaleAfter:
			out = append(out, r.paint(sgrDim, span(s.Now.Sub(a.FetchedAt))+" old"))
		}
	}
	return strings.Join(out, ", ")
}

// span is a short duration: 40s, 12m, 1h20m, 3d4h.
func span(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%dh%02dm", h, m)
		}
		return fmt.Sprintf("%dh", h)
	}
	days := int(d.Hours()) / 24
	if h := int(d.Hours()) % 24; h != 0 {
		return fmt.Sprintf("%dd%dh", days, h)
	}
	return fmt.Sprintf("%dd", days)
}

// count is 950, 12.3k, 4.5M, 1.2B.
func count(n int64) string {
	f := float64(n)
	switch {
	case f >= 1e9:
		return trim(f/1e9) + "B"
	case f >= 1e6:
		return trim(f/1e6) + "M"
	case f >= 1e3:
		return trim(f/1e3) + "k"
	}
	return fmt.Sprint(n)
}

func trim(f float64) string {
	if f >= 100 {
		return fmt.Sprintf("%.0f", math.Floor(f))
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", math.Floor(f*10)/10), ".0")
}

// printable drops control characters from text that comes from outside (the
// session object): a line break would end the line, an escape would reach
// the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
