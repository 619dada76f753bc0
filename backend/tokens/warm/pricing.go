package warm

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
)

// PricingDate and PricingSource say where the table below comes from. Update
// all three together, and nothing else, when Anthropic changes its prices.
const (
	PricingDate   = "2026-11-28"
	PricingSource = "https://platform.claude.com/docs/en/about-claude/pricing (model pricing, long context and prompt caching tables)"
)

// Price is US dollars per million tokens.
type Price struct {
	Input        float64
	Output       float64
	CacheWrite   float64 // 5-minute cache writes
	CacheWrite1h float64 // 1-hour cache writes
	CacheRead    float64 // cache hits and refreshes
}

// ModelPrice is one model's rates. When Above is set, a response whose
// prompt (input + cache writes + cache reads) exceeds Threshold tokens is
// billed at Above for all its tokens, output included.
type ModelPrice struct {
	Base      Price
	Threshold int64
	Above     *Price
}

// pricing is keyed by model id without its date suffix (see priceKey).
// Opus 5.5 and Sonnet 5.5 cache rates are the published multipliers of their
// input price (0.05× for hits since 2026-10-07); every other row is read off
// the pricing page on PricingDate.
var pricing = map[string]ModelPrice{
	"claude-fable-5-1":  {Base: Price{10, 50, 12.5, 20, 0.25}},
	"claude-mythos-5-1": {Base: Price{10, 50, 12.5, 20, 0.25}},
	"claude-fable-5":    {Base: Price{10, 50, 12.5, 20, 1}},
	"claude-mythos-5":   {Base: Price{10, 50, 12.5, 20, 1}},
	"claude-opus-5-5":   {Base: Price{4, 20, 5, 8, 0.20}},
	"claude-opus-5":     {Base: Price{5, 25, 6.25, 10, 0.50}},
	"claude-opus-4-8":   {Base: Price{5, 25, 6.25, 10, 0.50}},
	"claude-opus-4-7":   {Base: Price{5, 25, 6.25, 10, 0.50}},
	"claude-opus-4-6":   {Base: Price{5, 25, 6.25, 10, 0.50}},
	"claude-opus-4-5":   {Base: Price{5, 25, 6.25, 10, 0.50}},
	"claude-opus-4-1":   {Base: Price{15, 75, 18.75, 30, 1.50}},
	"claude-opus-4":     {Base: Price{15, 75, 18.75, 30, 1.50}},
	"claude-3-opus":     {Base: Price{15, 75, 18.75, 30, 1.50}},
	"claude-sonnet-5-5": {Base: Price{2, 10, 2.5, 4, 0.10}},
	"claude-sonnet-5":   {Base: Price{2, 10, 2.5, 4, 0.20}},
	"claude-sonnet-4-6": {Base: Price{3, 15, 3.75, 6, 0.30}},
	"claude-sonnet-4-5": {Base: Price{3, 15, 3.75, 6, 0.30}, Threshold: 200_000, Above: &Price{6, 22.5, 7.5, 12, 0.60}},
	"claude-sonnet-4":   {Base: Price{3, 15, 3.75, 6, 0.30}, Threshold: 200_000, Above: &Price{6, 22.5, 7.5, 12, 0.60}},
	"claude-3-7-sonnet": {Base: Price{3, 15, 3.75, 6, 0.30}},
	"claude-3-5-sonnet": {Base: Price{3, 15, 3.75, 6, 0.30}},
	"claude-haiku-5-5":  {Base: Price{0.10, 0.50, 0.125, 0.20, 0.01}, Threshold: 100_000, Above: &Price{0.50, 2.50, 0.625, 1.00, 0.05}},
	"claude-haiku-4-5":  {Base: Price{1, 5, 1.25, 2, 0.10}},
	"claude-3-5-haiku":  {Base: Price{0.80, 4, 1, 1.6, 0.08}},
	"claude-3-haiku":    {Base: Price{0.25, 1.25, 0.30, 0.50, 0.03}},
}

// Prompt size classes, stored with every response so a report can price it
// without re-reading it. ClassRecorded is a response whose transcript line
// carried its own costUSD, which is used as is (as ccusage does).
const (
	ClassUpTo100k = 0
	ClassUpTo200k = 1
	ClassAbove    = 2
	ClassRecorded = 3
)

// LookupPrice finds a model's rates. Dated ids (claude-sonnet-4-5-20250929),
// Bedrock and Vertex ids (us.anthropic.claude-…-v1:0, claude-…@20250929) and
// fast mode (-fast, billed here at the standard rate, like ccusage) map to the
// table's key. Unknown models are not priced: ok is false.
func LookupPrice(model string) (ModelPrice, bool) {
	p, ok := pricing[priceKey(model)]
	return p, ok
}

func priceKey(model string) string {
	m := strings.ToLower(model)
	if i := strings.LastIndex(m, "anthropic."); i >= 0 {
		m = m[i+len("anthropic."):]
	}
	if i := strings.IndexByte(m, '@'); i >= 0 {
		m = m[:i]
	}
	if i := strings.IndexByte(m, '['); i >= 0 { // claude-sonnet-4-5[1m]
		m = m[:i]
	}
	m = strings.TrimSuffix(m, "-fast")
	if i := strings.LastIndex(m, "-v"); i >= 0 && strings.Contains(m[i:], ":") { // -v1:0
		m = m[:i]
	}
	if i := strings.LastIndexByte(m, '-'); i >= 0 && len(m)-i-1 == 8 && allDigits(m[i+1:]) {
		m = m[:i]
	}
	return m
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// rate picks the rates for a prompt size class.
func (mp ModelPrice) rate(class int) Price {
	if mp.Above == nil {
		return mp.Base
	}
	switch {
	case mp.Threshold <= 100_000 && class >= ClassUpTo200k,
		mp.Threshold <= 200_000 && class == ClassAbove:
		return *mp.Above
	}
	return mp.Base
}

// Cost prices usage at rates p.
func (p Price) Cost(u Usage) float64 {
	return (float64(u.Input)*p.Input + float64(u.Output)*p.Output +
		float64(u.CacheCreation-u.CacheCreate1h)*p.CacheWrite + float64(u.CacheCreate1h)*p.CacheWrite1h +
		float64(u.CacheRead)*p.CacheRead) / 1e6
}

// CostOf prices usage of one model in one class; ok is false when the model
// is not in the table (recorded costs are always priced).
func CostOf(model string, class int, u Usage, recorded float64) (float64, bool) {
	if class == ClassRecorded {
		return recorded, true
	}
	mp, ok := LookupPrice(model)
	if !ok {
		return 0, false
	}
	return mp.rate(class).Cost(u), true
}

// PricingFingerprint identifies the pricing table compiled in.
func PricingFingerprint() string {
	keys := make([]string, 0, len(pricing))
	for k := range pricing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		p := pricing[k]
		fmt.Fprintf(h, "%s=%v/%d", k, p.Base, p.Threshold)
		if p.Above != nil {
			fmt.Fprintf(h, "/%v", *p.Above)
		}
		h.Write([]byte{';'})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}
