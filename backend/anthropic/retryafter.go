package anthropic

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date, relative to now. ok is false when the value is absent, zero,
// negative, in the past or unreadable: the caller must then pick its own
// wait, never "retry now". A few servers send fractional seconds; those are
// accepted too.
func ParseRetryAfter(value string, now time.Time) (d time.Duration, ok bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if c := value[0]; c >= '0' && c <= '9' || c == '.' {
		secs, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || secs <= 0 {
			return 0, false
		}
		if secs >= MaxRetryAfter.Seconds() {
			return MaxRetryAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	d = at.Sub(now)
	if d <= 0 {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}

// effectiveRetryAfter applies the floor and cap (see MinRetryAfter).
func effectiveRetryAfter(value string, now time.Time) (effective, server time.Duration) {
	server, ok := ParseRetryAfter(value, now)
	if !ok {
		return MinRetryAfter, 0
	}
	return min(max(server, MinRetryAfter), MaxRetryAfter), server
}
