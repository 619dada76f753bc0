package autoswap

import (
	"testing"
	"time"
)

// FuzzDecide feeds arbitrary account sets and states to Decide and checks
// the rules that must hold whatever happens: a target is never the active
// account, never needs a new login, is never cooling down and never has an
// exhausted window; a swap only fires or arms when the active account is
// over a threshold; disabled means no swap.
func FuzzDecide(f *testing.F) {
	f.Add([]byte{1, 85, 10, 0, 0, 5, 5, 0, 0}, true, uint8(60), uint8(0))
	f.Add([]byte{1, 100, 10, 0, 0, 100, 5, 1, 0, 3, 3, 2, 0}, true, uint8(0), uint8(1))
	f.Add([]byte{1, 79, 79, 0, 0, 1, 1, 0, 0}, false, uint8(0), uint8(2))
	f.Add([]byte{1, 90, 99, 0, 0, 90, 10, 0, 1, 10, 90, 0, 2}, true, uint8(10), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, enabled bool, grace uint8, stateKind uint8) {
		// Four bytes per account: 5-hour, 7-day, flags, minutes since fetch.
		var accounts []Account
		for i := 0; i+3 < len(data) && len(accounts) < 6; i += 4 {
			a := Account{ID: int64(len(accounts) + 1), Label: string(rune('a' + len(accounts))),
				FetchedAt: t0.Add(-time.Duration(data[i+3]%30) * time.Minute),
				Windows:   map[string]float64{FiveHour: float64(data[i] % 101), SevenDay: float64(data[i+1] % 101)}}
			flags := data[i+2]
			a.Active = len(accounts) == 0
			a.NeedsRelogin = flags&1 != 0
			if flags&2 != 0 {
				a.CooldownUntil = ptr(t0.Add(time.Minute))
			}
			if flags&4 != 0 {
				a.Windows["seven_day_opus"] = 100
			}
			if flags&8 != 0 {
				a.FetchedAt, a.Windows = time.Time{}, nil
			}
			accounts = append(accounts, a)
		}
		if len(accounts) == 0 {
			return
		}
		cfg := Config{Enabled: enabled, Threshold5h: 80, Threshold7d: 80, Grace: time.Duration(grace) * time.Second}
		var st State
		switch stateKind % 4 {
		case 1:
			st = State{ActiveID: 1, LastSwapAt: t0.Add(-time.Minute), AwaitFresh: true}
		case 2:
			st = State{ActiveID: 2}
		case 3:
			st = State{ActiveID: 1, Pending: &Pending{FromID: 1, ToID: 2, ToLabel: "b", ArmedAt: t0.Add(-time.Minute), FiresAt: t0.Add(time.Duration(grace) * time.Second)}}
		}
		d, next := Decide(cfg, st, t0, accounts)
		if d.Action == Fire || d.Action == Arm || d.Action == Rearm {
			if !enabled {
				t.Fatalf("%s while disabled", d.Action)
			}
			tg := d.Target
			if tg == nil || tg.Active || tg.NeedsRelogin || (tg.CooldownUntil != nil && t0.Before(*tg.CooldownUntil)) || tg.exhaustedWindow() != "" || !tg.known() {
				t.Fatalf("%s to an unfit target %+v", d.Action, tg)
			}
			act := accounts[0]
			if act.util(FiveHour) < 80 && act.util(SevenDay) < 80 {
				t.Fatalf("%s although the active account is below both thresholds: %+v", d.Action, act)
			}
			if next.Pending == nil && d.Action != Fire {
				t.Fatalf("%s without a pending swap in the state", d.Action)
			}
		}
		if d.Action == Fire && d.Pending == nil {
			t.Fatal("fire without the pending swap it carries out")
		}
		if next.Pending != nil && next.Pending.ToID == next.ActiveID {
			t.Fatal("a swap to the active account is pending")
		}
	})
}
