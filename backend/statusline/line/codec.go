package line

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// The cache file's encoding: the fields of an Entry in a fixed order,
// integers as varints, strings with their length before them, times as
// Unix seconds and nanoseconds, an optional value after a presence byte.
// (Not JSON: decoding JSON by reflection faults in more of the binary than
// the rest of a cached line does; see docs/performance.md.) The format's
// version is in the key (cacheVersion), so a file of another format is a
// miss, as is anything that does not decode to the last byte.

var errCorrupt = errors.New("statusline cache: corrupt")

// encode is e as the cache file holds it.
func encode(e *Entry) []byte {
	var w encoder
	w.str(e.Key)
	w.time(e.Written)
	w.str(e.Style.Format)
	w.bool(e.Style.Color)
	w.int(int64(e.Style.WarnPct))
	w.int(int64(e.Style.CritPct))
	w.bool(e.BadConfig)
	w.int(int64(len(e.ConfigEnv)))
	for _, name := range e.ConfigEnv {
		w.str(name)
	}
	st := e.Stored
	if w.bool(st != nil) {
		w.int(int64(st.Accounts))
		w.bool(st.LoggedOut)
		w.str(st.LiveEmail)
		w.bool(st.HasStatus)
		w.time(st.Heartbeat)
		w.time(st.AliveUntil)
		if p := st.Pending; w.bool(p != nil) {
			w.str(p.From)
			w.str(p.Target)
			w.time(p.FiresAt)
		}
		if a := st.Account; w.bool(a != nil) {
			w.int(a.ID)
			w.str(a.Label)
			w.bool(a.NeedsRelogin)
			w.timePtr(a.CooldownUntil)
			w.window(a.FiveHour)
			w.window(a.SevenDay)
			w.time(a.FetchedAt)
			w.timePtr(a.RunsOutAt)
			w.str(a.LastError)
		}
		w.timePtr(st.Predicted)
		if t := st.Today; w.bool(t != nil) {
			w.int(t.Tokens)
			if w.bool(t.CostUSD != nil) {
				w.float(*t.CostUSD)
			}
		}
	}
	return w.b
}

// decode reads an Entry that encode wrote.
func decode(data []byte) (*Entry, error) {
	r := decoder{b: data}
	e := &Entry{Key: r.str(), Written: r.time()}
	e.Style = Style{Format: r.str(), Color: r.bool(), WarnPct: int(r.int()), CritPct: int(r.int())}
	e.BadConfig = r.bool()
	if n := r.int(); n >= 0 && n <= int64(len(r.b)) { // each name takes a byte at least
		for range n {
			e.ConfigEnv = append(e.ConfigEnv, r.str())
		}
	} else {
		r.err = errCorrupt
	}
	if r.bool() {
		st := &Stored{Accounts: int(r.int()), LoggedOut: r.bool(), LiveEmail: r.str(), HasStatus: r.bool(), Heartbeat: r.time(), AliveUntil: r.time()}
		if r.bool() {
			st.Pending = &Pending{From: r.str(), Target: r.str(), FiresAt: r.time()}
		}
		if r.bool() {
			st.Account = &Account{ID: r.int(), Label: r.str(), NeedsRelogin: r.bool(), CooldownUntil: r.timePtr(), FiveHour: r.window(),
				SevenDay: r.window(), FetchedAt: r.time(), RunsOutAt: r.timePtr(), LastError: r.str()}
		}
		st.Predicted = r.timePtr()
		if r.bool() {
			st.Today = &Today{Tokens: r.int()}
			if r.bool() {
				c := r.float()
				st.Today.CostUSD = &c
			}
		}
		e.Stored = st
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errCorrupt
	}
	if r.err != nil {
		return nil, r.err
	}
	return e, nil
}

type encoder struct{ b []byte }

func (w *encoder) int(v int64) { w.b = binary.AppendVarint(w.b, v) }

func (w *encoder) str(s string) {
	w.int(int64(len(s)))
	w.b = append(w.b, s...)
}

// bool writes v and returns it, to write what it announces.
func (w *encoder) bool(v bool) bool {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
	return v
}

func (w *encoder) float(f float64) { w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(f)) }

func (w *encoder) time(t time.Time) {
	w.int(t.Unix())
	w.int(int64(t.Nanosecond()))
}

func (w *encoder) timePtr(t *time.Time) {
	if w.bool(t != nil) {
		w.time(*t)
	}
}

func (w *encoder) window(win *Window) {
	if w.bool(win != nil) {
		w.float(win.Utilization)
		w.timePtr(win.ResetsAt)
	}
}

// decoder reads what encoder wrote; the first error sticks and every read
// after it gives zero values.
type decoder struct {
	b   []byte
	err error
}

func (r *decoder) int() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *decoder) str() string {
	n := r.int()
	if r.err != nil || n < 0 || n > int64(len(r.b)) {
		r.err = errCorrupt
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *decoder) bool() bool {
	if r.err != nil || len(r.b) == 0 || r.b[0] > 1 {
		r.err = errCorrupt
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *decoder) float() float64 {
	if r.err != nil || len(r.b) < 8 {
		r.err = errCorrupt
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return f
}

func (r *decoder) time() time.Time {
	sec, nsec := r.int(), r.int()
	if r.err != nil || nsec < 0 || nsec >= 1e9 {
		r.err = errCorrupt
		return time.Time{}
	}
	return time.Unix(sec, nsec).UTC()
}

func (r *decoder) timePtr() *time.Time {
	if !r.bool() {
		return nil
	}
	t := r.time()
	return &t
}

func (r *decoder) window() *Window {
	if !r.bool() {
		return nil
	}
	return &Window{Utilization: r.float(), ResetsAt: r.timePtr()}
}
