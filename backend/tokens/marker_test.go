package tokens

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestIndexMarker checks the marker search against bytes.Index: the marker
// at every position of buffers of every length up to 130 (so at every
// alignment of both the 32-byte and the 8-byte scan, and in the tail each
// leaves), alone, after a near miss sharing its first and last bytes, and
// absent with candidates all over; then random text.
func TestIndexMarker(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		want := bytes.Index(b, usageMarker)
		if got := indexMarker(b); got != want {
			t.Fatalf("indexMarker(%q) = %d, want %d", b, got, want)
		}
		if got := indexMarkerSWAR(b); got != want {
			t.Fatalf("indexMarkerSWAR(%q) = %d, want %d", b, got, want)
		}
	}
	nearMiss := []byte(`"usagE":{`) // same first and last bytes
	for n := 0; n <= 130; n++ {
		b := bytes.Repeat([]byte{'x'}, n)
		check(b)
		for at := 0; at+len(usageMarker) <= n; at++ {
			c := bytes.Clone(b)
			copy(c[at:], usageMarker)
			check(c)
			if at >= len(nearMiss) {
				copy(c[at-len(nearMiss):], nearMiss)
				check(c)
			}
			// Only a cut marker at the end.
			d := bytes.Clone(b)
			copy(d[at:], usageMarker[:min(len(usageMarker), n-at)-1])
			check(d)
		}
		// Candidate pairs everywhere, no marker.
		c := bytes.Clone(b)
		for i := 0; i+8 < n; i += 3 {
			c[i], c[i+8] = '"', '{'
		}
		check(c)
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(`"{usage:}x`)
	for range 2000 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if r.IntN(3) == 0 && len(b) >= len(usageMarker) {
			copy(b[r.IntN(len(b)-len(usageMarker)+1):], usageMarker)
		}
		check(b)
	}
}

// FuzzIndexMarker: the marker search agrees with bytes.Index on any input.
func FuzzIndexMarker(f *testing.F) {
	f.Add([]byte(`{"message":{"usage":{"input_tokens":1}}}`))
	f.Add(bytes.Repeat([]byte(`"xxxxxxx{`), 20))
	f.Add(append(bytes.Repeat([]byte{' '}, 31), usageMarker...))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := bytes.Index(b, usageMarker)
		if got := indexMarker(b); got != want {
			t.Fatalf("indexMarker(%q) = %d, want %d", b, got, want)
		}
	})
}

// BenchmarkIndexMarker searches 1 MB of tool-result-like text without the
// marker, with and without pairScan.
func BenchmarkIndexMarker(b *testing.B) {
	text := []byte(strings.Repeat(benchText, (1<<20)/len(benchText)))
	b.Run("best", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if indexMarker(text) >= 0 {
				b.Fatal("found a marker")
			}
		}
	})
	b.Run("swar", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			if indexMarkerSWAR(text) >= 0 {
				b.Fatal("found a marker")
			}
		}
	})
}
