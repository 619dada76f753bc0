package claudecode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// member is one "key": value pair of a JSON object, located by byte offsets
// into the document, so a rewrite can change one value and keep every other
// byte (key order, spacing, unknown members) exactly as Claude Code wrote it.
type member struct {
	key        string
	keyStart   int // offset of the key's opening quote
	valueStart int
	valueEnd   int // exclusive
}

// object is the layout of a JSON object: its members and the offsets of its
// braces.
type object struct {
	data    []byte
	open    int // offset of '{'
	close   int // offset of '}'
	members []member
}

var errNotObject = errors.New("expected a JSON object")

// scanObject locates the top-level members of the JSON object in data. It
// rejects anything that is not exactly one valid JSON object (surrounding
// whitespace aside).
func scanObject(data []byte) (*object, error) {
	if !json.Valid(data) {
		return nil, errors.New("not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errNotObject
	}
	o := &object{data: data, open: int(dec.InputOffset()) - 1}
	for dec.More() {
		after := int(dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errNotObject
		}
		keyStart := bytes.IndexByte(data[after:], '"')
		if keyStart < 0 {
			return nil, errNotObject
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := int(dec.InputOffset())
		o.members = append(o.members, member{key: key, keyStart: after + keyStart, valueStart: end - len(raw), valueEnd: end})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	o.close = int(dec.InputOffset()) - 1
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return o, nil
}

// find returns the index of the member named key, the last one when the key
// repeats (as JSON.parse in Claude Code would take it), or -1.
func (o *object) find(key string) int {
	for i := len(o.members) - 1; i >= 0; i-- {
		if o.members[i].key == key {
			return i
		}
	}
	return -1
}

// value returns the raw bytes of member key (a sub-slice of the document),
// or nil when absent.
func (o *object) value(key string) []byte {
	i := o.find(key)
	if i < 0 {
		return nil
	}
	m := o.members[i]
	return o.data[m.valueStart:m.valueEnd]
}

// layout describes how the object is formatted, so an inserted member looks
// like its neighbours: memberIndent is the whitespace before a member on its
// line ("" for compact documents) and unit one indentation step.
func (o *object) layout() (memberIndent, unit string, pretty bool) {
	if len(o.members) == 0 {
		return "", "", false
	}
	first := o.members[0].keyStart
	gap := o.data[o.open+1 : first]
	nl := bytes.LastIndexByte(gap, '\n')
	if nl < 0 {
		return "", "", false
	}
	memberIndent = string(gap[nl+1:])
	// The object's own line indent is what precedes '{' on its line.
	lineStart := bytes.LastIndexByte(o.data[:o.open], '\n') + 1
	own := leadingSpace(o.data[lineStart:o.open])
	unit = "  "
	if len(memberIndent) > len(own) {
		unit = memberIndent[len(own):]
	}
	return memberIndent, unit, true
}

func leadingSpace(b []byte) string {
	n := 0
	for n < len(b) && (b[n] == ' ' || b[n] == '\t') {
		n++
	}
	return string(b[:n])
}

// formatValue renders value for insertion at a member of an object with
// the given layout: indented like the rest of a pretty document, compact in
// a compact one.
func formatValue(value []byte, memberIndent, unit string, pretty bool) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if pretty {
		err = json.Indent(&buf, value, memberIndent, unit)
	} else {
		err = json.Compact(&buf, value)
	}
	if err != nil {
		return nil, fmt.Errorf("the new value is not valid JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// setMember returns a new document in which member key has value (raw
// JSON), replacing the existing value in place or appending the member at
// the end of the object. Every other byte is kept.
func setMember(data []byte, key string, value []byte) ([]byte, error) {
	o, err := scanObject(data)
	if err != nil {
		return nil, err
	}
	indent, unit, pretty := o.layout()
	formatted, err := formatValue(value, indent, unit, pretty)
	if err != nil {
		return nil, err
	}
	defer func() { clear(formatted) }() // it may hold a token
	out := make([]byte, 0, len(data)+len(formatted)+len(key)+16)
	if i := o.find(key); i >= 0 {
		m := o.members[i]
		out = append(out, data[:m.valueStart]...)
		out = append(out, formatted...)
		return append(out, data[m.valueEnd:]...), nil
	}
	encodedKey, _ := json.Marshal(key)
	sep := ":"
	if pretty {
		sep = ": "
	}
	if len(o.members) == 0 {
		out = append(out, data[:o.open+1]...)
		if bytes.IndexByte(data, '\n') >= 0 {
			indent = leadingSpace(data[bytes.LastIndexByte(data[:o.open], '\n')+1:o.open]) + "  "
			formatted, _ = formatValue(value, indent, "  ", true)
			out = append(out, '\n')
			out = append(out, indent...)
			out = append(out, encodedKey...)
			out = append(out, ": "...)
			out = append(out, formatted...)
			out = append(out, '\n')
			out = append(out, indent[:len(indent)-2]...)
		} else {
			out = append(out, encodedKey...)
			out = append(out, sep...)
			out = append(out, formatted...)
		}
		return append(out, data[o.close:]...), nil
	}
	last := o.members[len(o.members)-1]
	out = append(out, data[:last.valueEnd]...)
	out = append(out, ',')
	if pretty {
		out = append(out, '\n')
		out = append(out, indent...)
	}
	out = append(out, encodedKey...)
	out = append(out, sep...)
	out = append(out, formatted...)
	return append(out, data[last.valueEnd:]...), nil
}

// deleteMember returns a new document without any member named key (all
// occurrences), keeping every other byte.
func deleteMember(data []byte, key string) ([]byte, error) {
	for {
		o, err := scanObject(data)
		if err != nil {
			return nil, err
		}
		i := o.find(key)
		if i < 0 {
			return data, nil
		}
		var from, to int
		switch {
		case i > 0: // from the end of the previous value: drops ", key: value"
			from, to = o.members[i-1].valueEnd, o.members[i].valueEnd
		case len(o.members) > 1: // first of several: drops "key: value, "
			from, to = o.members[0].keyStart, o.members[1].keyStart
		default: // the only member
			from, to = o.members[0].keyStart, o.members[0].valueEnd
		}
		next := make([]byte, 0, len(data)-(to-from))
		next = append(next, data[:from]...)
		data = append(next, data[to:]...)
	}
}

// appendString appends s as a JSON string, byte by byte, so a token never
// becomes an immutable Go string on its way into a document.
func appendString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, b := range s {
		switch {
		case b == '"' || b == '\\':
			dst = append(dst, '\\', b)
		case b < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		default:
			dst = append(dst, b)
		}
	}
	return append(dst, '"')
}
