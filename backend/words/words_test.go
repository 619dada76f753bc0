package words

import (
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.Local)
	for _, tc := range []struct {
		before time.Duration
		want   string
	}{
		{0, "just now"},
		{-5 * time.Second, "just now"}, // a clock a little ahead
		{400 * time.Millisecond, "just now"},
		{12 * time.Second, "12 s ago"},
		{59 * time.Second, "59 s ago"},
		{3*time.Minute + 20*time.Second, "3 min ago"},
		{2 * time.Hour, "Dec 7 13:00"},
	} {
		if got := Ago(now, now.Add(-tc.before)); got != tc.want {
			t.Errorf("Ago(-%v) = %q, want %q", tc.before, got, tc.want)
		}
	}
}
