package line

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

func fullEntry() *Entry {
	at := func(s string) *time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		t = t.UTC()
		return &t
	}
	cost := 12.345
	return &Entry{Key: "v3 dev|/db=1,2,3", Written: *at("2026-12-07T10:00:00.123456789Z"),
		Style:     Style{Format: "{account} · {tokens} — ünïcode", Color: true, WarnPct: 80, CritPct: 95},
		BadConfig: true, ConfigEnv: []string{"AIMONITOR_A", "AIMONITOR_B"},
		Stored: &Stored{Accounts: 5, LoggedOut: true, LiveEmail: "a@example.com", HasStatus: true,
			Heartbeat: *at("2026-12-07T09:59:55Z"), AliveUntil: *at("2026-12-07T10:00:10Z"),
			Pending: &Pending{From: "work", Target: "bob", FiresAt: *at("2026-12-07T10:00:40Z")},
			Account: &Account{ID: -7, Label: "work", NeedsRelogin: true, CooldownUntil: at("2026-12-07T10:12:00Z"),
				FiveHour: &Window{Utilization: 42.5, ResetsAt: at("2026-12-07T11:20:00Z")}, SevenDay: &Window{Utilization: 99.999},
				FetchedAt: *at("2026-12-07T09:58:00Z"), RunsOutAt: at("2026-12-07T10:35:00Z"), LastError: "HTTP 429"},
			Predicted: at("2026-12-07T10:35:00Z"), Today: &Today{Tokens: 1 << 40, CostUSD: &cost}}}
}

func TestCodecRoundTrip(t *testing.T) {
	for name, e := range map[string]*Entry{"full": fullEntry(), "empty": {}, "stored empty": {Stored: &Stored{}},
		"today without cost": {Stored: &Stored{Today: &Today{Tokens: 3}, Account: &Account{}}}} {
		got, err := decode(encode(e))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, e)
		}
	}
	data := encode(fullEntry())
	for i := range data { // every cut is refused, never half read
		if _, err := decode(data[:i]); err == nil {
			t.Fatalf("a file cut at %d of %d bytes decoded", i, len(data))
		}
	}
	if _, err := decode(append(data, 0)); err == nil {
		t.Fatal("trailing bytes decoded")
	}
}

// Whatever is in the file, decoding returns (no panic, no huge
// allocation), and what decodes encodes back to the same bytes.
func FuzzDecodeCache(f *testing.F) {
	f.Add(encode(fullEntry()))
	f.Add(encode(&Entry{}))
	f.Add([]byte("{\"key\":\"v2\"}"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decode(data)
		if err != nil {
			return
		}
		if again := encode(e); !bytes.Equal(again, data) {
			// Varints have one shortest form; a longer one decodes too.
			if e2, err := decode(again); err != nil || !reflect.DeepEqual(e, e2) {
				t.Fatalf("%x decodes to %+v, which does not survive a round trip", data, e)
			}
		}
	})
}
