package warm

import "testing"

func TestLookupPrice(t *testing.T) {
	for model, want := range map[string]string{
		"claude-sonnet-4-5-20250929":                     "claude-sonnet-4-5",
		"claude-sonnet-4-5":                              "claude-sonnet-4-5",
		"us.anthropic.claude-sonnet-4-5-20250929-v1:0":   "claude-sonnet-4-5",
		"claude-sonnet-4-5@20250929":                     "claude-sonnet-4-5",
		"claude-sonnet-4-5[1m]":                          "claude-sonnet-4-5",
		"claude-opus-4-6-fast":                           "claude-opus-4-6",
		"Claude-Haiku-4-5-20251001":                      "claude-haiku-4-5",
		"claude-3-5-haiku-20241022":                      "claude-3-5-haiku",
		"global.anthropic.claude-opus-4-1-20250805-v1:0": "claude-opus-4-1",
	} {
		if got := priceKey(model); got != want {
			t.Errorf("%s: key %q, want %q", model, got, want)
		}
		if _, ok := LookupPrice(model); !ok {
			t.Errorf("%s: not priced", model)
		}
	}
	for _, model := range []string{"gpt-4o", "", "claude-sonnet-9", "some-local-model"} {
		if _, ok := LookupPrice(model); ok {
			t.Errorf("%q: priced, want unpriced", model)
		}
	}
}
