package tokens

import (
	"math"
	"testing"
)

// The expected costs were produced by ccusage 20.0.24 for the same usage.
func TestCostsMatchCcusage(t *testing.T) {
	cases := []struct {
		model string
		u     Usage
		want  float64
	}{
		{"claude-sonnet-4-5-20250929", Usage{Input: 1, Output: 10}, 0.000153},
		{"claude-sonnet-4-5-20250929", Usage{Input: 1, Output: 1, CacheCreation: 120, CacheCreate1h: 20}, 0.000513},
		{"claude-opus-4-1-20250805", Usage{Input: 1, Output: 10}, 0.000765},
		{"claude-haiku-4-5-20251001", Usage{CacheRead: 100_000}, 0.01},
		{"claude-opus-4-5-20251101", Usage{Output: 100_000}, 2.5},
		{"claude-3-5-haiku-20241022", Usage{CacheCreation: 100_000}, 0.1},
	}
	for _, c := range cases {
		e := Entry{Usage: c.u}
		got, ok := costOf(c.model, classOf(&e), c.u, 0)
		if !ok || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s %+v: $%v, want $%v", c.model, c.u, got, c.want)
		}
	}
}

func TestLongContextAndPromptTiers(t *testing.T) {
	u := Usage{Input: 10_000, Output: 1_000, CacheRead: 195_000} // a 205k-token prompt
	e := Entry{Usage: u}
	class := classOf(&e)
	if class != classAbove {
		t.Fatalf("class %d", class)
	}
	sonnet, _ := costOf("claude-sonnet-4-5", class, u, 0)
	if want := (10_000*6 + 1_000*22.5 + 195_000*0.6) / 1e6; math.Abs(sonnet-want) > 1e-12 {
		t.Errorf("sonnet 4.5 over 200k: %v, want %v (all tokens at the long-context rate)", sonnet, want)
	}
	opus, _ := costOf("claude-opus-4-6", class, u, 0)
	if want := (10_000*5 + 1_000*25 + 195_000*0.5) / 1e6; math.Abs(opus-want) > 1e-12 {
		t.Errorf("opus 4.6 has no long-context rate: %v, want %v", opus, want)
	}
	small := Usage{Input: 150_000, Output: 10}
	se := Entry{Usage: small}
	haiku, _ := costOf("claude-haiku-5-5", classOf(&se), small, 0)
	if want := (150_000*0.5 + 10*2.5) / 1e6; math.Abs(haiku-want) > 1e-12 {
		t.Errorf("haiku 5.5 over 100k: %v, want %v", haiku, want)
	}
	recorded := Entry{Usage: small, HasCost: true, CostUSD: 1.25}
	if c, ok := costOf("anything", classOf(&recorded), small, 1.25); !ok || c != 1.25 {
		t.Errorf("recorded cost: %v %v", c, ok)
	}
}
