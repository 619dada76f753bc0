package jsonbytes

import (
	"errors"
	"testing"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", ` "a\"b" `: `a"b`, `"\u00e9"`: "é", `""`: ""} {
		got, err := String([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("String(%s) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "null", "  "} {
		if got, err := String([]byte(in)); got != nil || err != nil {
			t.Errorf("String(%q) = %q, %v; want nil, nil", in, got, err)
		}
	}
	for _, in := range []string{"42", `"open`, `"\x"`, "{}"} {
		if _, err := String([]byte(in)); !errors.Is(err, ErrNotString) {
			t.Errorf("String(%q): %v", in, err)
		}
	}
	raw := []byte(`"token"`)
	got, _ := String(raw)
	got[0] = 'X'
	if string(raw) != `"token"` {
		t.Fatal("result aliases the input")
	}
}
