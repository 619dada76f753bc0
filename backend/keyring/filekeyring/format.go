package filekeyring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aimonitor/aimonitor/backend/sealbox"
)

// The store file's format. A reader refuses other names and newer versions.
const (
	FormatName    = "aimonitor-file-keyring"
	FormatVersion = 1
	// MaxFileSize bounds what is read: a store of a few dozen logins is
	// tens of kilobytes.
	MaxFileSize = 16 << 20
	nonceLen    = 12
	tagLen      = 16
)

// document is the store file: plain JSON naming each saved login, with its
// secret sealed. check proves a key right without touching any entry; seal
// authenticates everything else, so an entry removed, swapped, relabelled
// or rolled back on its own is caught.
type document struct {
	Format  string         `json:"format"`
	Version int            `json:"version"`
	KDF     sealbox.Params `json:"kdf"`
	Cipher  string         `json:"cipher"`
	Check   box            `json:"check"`
	Entries []entry        `json:"entries"`
	Seal    box            `json:"seal"`
}

type box struct {
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

type entry struct {
	Service    string `json:"service"`
	Account    string `json:"account"`
	Label      string `json:"label,omitempty"`
	Nonce      []byte `json:"nonce"`
	Ciphertext []byte `json:"ciphertext"`
}

// FormatError is a store file that cannot be used as it is: damaged,
// altered, foreign or from a newer aimonitor. Nothing is written over it.
type FormatError struct {
	Path   string
	Reason string
	// Newer is set when the file was written by a newer format version.
	Newer bool
}

func (e *FormatError) Error() string {
	if e.Newer {
		return fmt.Sprintf("the file keyring %s was written by a newer aimonitor (%s); this version changed nothing: update aimonitor to use it", e.Path, e.Reason)
	}
	return fmt.Sprintf("the file keyring %s is damaged or was altered (%s); aimonitor read and changed nothing: restore the file from a copy, or move it aside and add the accounts again", e.Path, e.Reason)
}

// Parse checks a store file's structure (not its keys). It is pure, so it
// can be fuzzed; the error is a *FormatError without the path.
func Parse(data []byte) (*document, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, &FormatError{Reason: "it is not valid JSON: " + shortJSONError(err)}
	}
	if head.Format != FormatName {
		return nil, &FormatError{Reason: "it is not an aimonitor file keyring"}
	}
	if head.Version > FormatVersion {
		return nil, &FormatError{Newer: true, Reason: fmt.Sprintf("format %d; this version reads format %d", head.Version, FormatVersion)}
	}
	if head.Version < 1 {
		return nil, &FormatError{Reason: fmt.Sprintf("unknown format version %d", head.Version)}
	}
	var d document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, &FormatError{Reason: "unexpected content: " + shortJSONError(err)}
	}
	if dec.More() {
		return nil, &FormatError{Reason: "data after the end of the document"}
	}
	if d.Cipher != sealbox.CipherName {
		return nil, &FormatError{Reason: fmt.Sprintf("unsupported cipher %q", d.Cipher)}
	}
	if err := d.KDF.Check(); err != nil {
		return nil, &FormatError{Reason: "its key-derivation parameters are unsupported or out of bounds"}
	}
	if !d.Check.valid() || !d.Seal.valid() {
		return nil, &FormatError{Reason: "its integrity fields are missing or malformed"}
	}
	seen := map[[2]string]bool{}
	for i, e := range d.Entries {
		if e.Service == "" || e.Account == "" || !(box{e.Nonce, e.Ciphertext}).valid() {
			return nil, &FormatError{Reason: fmt.Sprintf("entry %d is malformed", i+1)}
		}
		k := [2]string{e.Service, e.Account}
		if seen[k] {
			return nil, &FormatError{Reason: fmt.Sprintf("entry %d repeats another", i+1)}
		}
		seen[k] = true
	}
	return &d, nil
}

func (b box) valid() bool { return len(b.Nonce) == nonceLen && len(b.Ciphertext) >= tagLen }

// shortJSONError keeps json's position but never echoes content: a store
// file holds only ciphertext, but a foreign file handed to us might not.
func shortJSONError(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		if strings.HasPrefix(syn.Error(), "unexpected end") {
			return "it ends too early (truncated)"
		}
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("a %s where %q needs a %s", typ.Value, typ.Field, typ.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too early (truncated)"
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return msg
}

// checkAAD binds the key check to the format and the KDF parameters.
func checkAAD(d *document) []byte {
	kdf, _ := json.Marshal(d.KDF)
	return append([]byte(fmt.Sprintf("%s/%d/check\x00", FormatName, d.Version)), kdf...)
}

// checkPlaintext is what the check box holds.
var checkPlaintext = []byte(FormatName + " key check")

// sealAAD is everything the seal authenticates: the whole document but the
// two boxes themselves.
func sealAAD(d *document) []byte {
	m, _ := json.Marshal(struct {
		Format  string         `json:"format"`
		Version int            `json:"version"`
		KDF     sealbox.Params `json:"kdf"`
		Cipher  string         `json:"cipher"`
		Check   box            `json:"check"`
		Entries []entry        `json:"entries"`
	}{d.Format, d.Version, d.KDF, d.Cipher, d.Check, d.Entries})
	return append([]byte(fmt.Sprintf("%s/%d/seal\x00", FormatName, d.Version)), m...)
}

// entryAAD is the entry's name: a secret cannot be moved to another name.
func entryAAD(service, account string) []byte {
	return []byte(fmt.Sprintf("%s/%d/entry\x00%s\x00%s", FormatName, FormatVersion, service, account))
}

func (d *document) find(service, account string) int {
	for i, e := range d.Entries {
		if e.Service == service && e.Account == account {
			return i
		}
	}
	return -1
}
