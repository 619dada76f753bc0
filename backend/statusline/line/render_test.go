package line

import (
	"testing"
	"time"
)

func TestSpanAndCount(t *testing.T) {
	for d, want := range map[time.Duration]string{-time.Second: "0s", 40 * time.Second: "40s", 12 * time.Minute: "12m",
		time.Hour: "1h", 80 * time.Minute: "1h20m", 76 * time.Hour: "3d4h", 48 * time.Hour: "2d"} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{950: "950", 12_345: "12.3k", 1_200_000: "1.2M", 4_000_000: "4M", 1_500_000_000: "1.5B", 250_000: "250k"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
