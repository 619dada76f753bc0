// Package jsonbytes reads JSON string values straight into []byte, so token
// values are never copied into Go strings that cannot be zeroed.
package jsonbytes

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ErrNotString is returned for a value that is not a JSON string.
var ErrNotString = errors.New("not a string")

// String returns the contents of a JSON string value as a new slice, without
// an intermediate string when there are no escapes (tokens have none).
// Absent (empty) or null gives nil, nil.
func String(raw []byte) ([]byte, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if len(t) < 2 || t[0] != '"' || t[len(t)-1] != '"' {
		return nil, ErrNotString
	}
	inner := t[1 : len(t)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return append([]byte(nil), inner...), nil
	}
	var s string
	if err := json.Unmarshal(t, &s); err != nil {
		return nil, ErrNotString
	}
	return []byte(s), nil
}
