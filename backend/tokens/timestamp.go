package tokens

import "time"

// badTime marks a timestamp that does not parse.
const badTime = int64(-1 << 63)

// time parses the span as a transcript timestamp.
func (p *lineParser) time(s span) int64 {
	if !s.set {
		return badTime
	}
	if s.escaped {
		return parseTimestamp([]byte(p.str(s)))
	}
	return parseTimestamp(p.b[s.start:s.end])
}

// parseTimestamp reads the one form ccusage accepts, checked against its
// binary: YYYY-MM-DDTHH:MM:SS, optionally .mmm (exactly three digits), then
// Z or ±HH:MM. It returns unix milliseconds, or badTime.
func parseTimestamp(b []byte) int64 {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return badTime
	}
	num := func(at, n int) int {
		v := 0
		for _, c := range b[at : at+n] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return badTime
	}
	if day > daysIn(year, time.Month(month)) {
		return badTime
	}
	rest := b[19:]
	ms := 0
	if rest[0] == '.' {
		if len(rest) < 5 {
			return badTime
		}
		if ms = num(20, 3); ms < 0 {
			return badTime
		}
		rest = rest[4:]
	}
	offset := 0
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		at := len(b) - 5
		oh, om := num(at, 2), num(at+3, 2)
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return badTime
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return badTime
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, time.UTC)
	return t.UnixMilli() - int64(offset)*1000
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
