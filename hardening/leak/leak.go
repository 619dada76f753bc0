// Package leak finds secrets where they must not be. A Scanner knows the
// exact secrets of a test (the simulator's tokens: canaries) and the shape
// every Anthropic token has ("sk-ant-"), and looks for them — raw, in
// pieces, and hex, decimal-byte or base64 encoded — in files under a
// directory tree (databases, WAL files, config, logs, exports, caches, file
// names included) and in captured output. Findings name where and what was
// found, never the secret itself. Modes checks that every file and
// directory of a tree is private to its owner.
//
// The hardening tests run it after every end-to-end flow; any test with a
// temporary HOME can.
package leak

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// TokenPrefix starts every Anthropic OAuth token and API key.
const TokenPrefix = "sk-ant-"

// fragmentLen is the shortest piece of a known secret that counts: long
// enough never to occur by chance, short enough to catch a truncated token.
const fragmentLen = 20

// Finding is one secret found where it must not be.
type Finding struct {
	Where string // a file path, or the name given to ScanText
	What  string // which secret (by name) or which shape, and how encoded
}

func (f Finding) String() string { return f.What + " in " + f.Where }

type needle struct {
	what  string
	bytes []byte
}

// Scanner holds what to look for and which files may hold it.
type Scanner struct {
	needles []needle
	allowed map[string]bool
	secrets int
}

// New returns a Scanner that already looks for the token prefix in every
// encoding.
func New() *Scanner {
	s := &Scanner{allowed: map[string]bool{}}
	s.add("a token-shaped string ("+TokenPrefix+")", []byte(TokenPrefix))
	return s
}

// Secret adds a known secret; name says whose it is in findings ("the
// refresh token of work"). Values shorter than fragmentLen are looked for
// whole.
func (s *Scanner) Secret(name string, value []byte) {
	v := bytes.TrimPrefix(value, []byte(TokenPrefix))
	if len(bytes.TrimSpace(v)) == 0 {
		return
	}
	s.secrets++
	if len(value) <= fragmentLen {
		s.add(name, value)
		return
	}
	// Pieces of the part after the common prefix, overlapping so that any
	// fragmentLen+step run of the secret contains one whole.
	step := fragmentLen / 2
	for i := 0; i+fragmentLen <= len(v); i += step {
		s.add(name+" (in part)", v[i:i+fragmentLen])
	}
	s.add(name, value)
}

// Secrets is how many known secrets the scanner looks for.
func (s *Scanner) Secrets() int { return s.secrets }

// add registers a needle in every encoding a careless print might use.
func (s *Scanner) add(what string, raw []byte) {
	s.needles = append(s.needles,
		needle{what, raw},
		needle{what + ", hex-encoded", []byte(hex.EncodeToString(raw))},
		needle{what + ", hex-encoded", []byte(strings.ToUpper(hex.EncodeToString(raw)))},
		needle{what + ", as decimal bytes", decimalBytes(raw)},
	)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for _, b := range base64Cores(enc, raw) {
			s.needles = append(s.needles, needle{what + ", base64-encoded", b})
		}
	}
}

// decimalBytes is how %v prints a []byte: "[115 107 45 …]" (the inside).
func decimalBytes(raw []byte) []byte {
	parts := make([]string, len(raw))
	for i, c := range raw {
		parts[i] = strconv.Itoa(int(c))
	}
	return []byte(strings.Join(parts, " "))
}

// base64Cores returns, for each of the three alignments raw can have inside
// a longer encoded string, the characters that depend on raw alone.
func base64Cores(enc *base64.Encoding, raw []byte) [][]byte {
	var out [][]byte
	for k := 0; k < 3; k++ {
		buf := append(make([]byte, k), raw...)
		full := enc.EncodeToString(buf)
		from := (k + 2) / 3 * 4      // first quantum not touched by the padding bytes
		to := (k + len(raw)) / 3 * 4 // last whole quantum of raw
		if to-from >= 8 {
			out = append(out, []byte(full[from:to]))
		}
	}
	return out
}

// Allow lets one file hold secrets (Claude Code's own credential file).
func (s *Scanner) Allow(path string) { s.allowed[filepath.Clean(path)] = true }

// ScanText looks for secrets in text (captured output); where names it.
func (s *Scanner) ScanText(where string, text []byte) []Finding {
	var out []Finding
	seen := map[string]bool{}
	for _, n := range s.needles {
		if !seen[n.what] && bytes.Contains(text, n.bytes) {
			seen[n.what] = true
			out = append(out, Finding{Where: where, What: n.what})
		}
	}
	return out
}

// ScanTree looks at every file under root (names and contents; symlinks are
// not followed) except the allowed ones. It returns the findings and how
// many files it read.
func (s *Scanner) ScanTree(root string) ([]Finding, int, error) {
	var out []Finding
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil // removed while walking (a lock, a temp file)
			}
			return err
		}
		out = append(out, s.ScanText("the name "+path, []byte(d.Name()))...)
		if !d.Type().IsRegular() || s.allowed[filepath.Clean(path)] {
			return nil
		}
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		files++
		out = append(out, s.ScanText(path, data)...)
		return nil
	})
	return out, files, err
}

// Modes returns a finding for every file under root that group or others
// may access and every directory whose permissions are not 0700, skipping
// paths skip returns true for (nil skips nothing). Symlinks are not
// followed.
func Modes(root string, skip func(path string) bool) ([]Finding, error) {
	var out []Finding
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if skip != nil && skip(path) {
			if d.IsDir() && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil
		}
		fi, err := d.Info()
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		perm := fi.Mode().Perm()
		switch {
		case fi.IsDir() && perm != 0o700:
			out = append(out, Finding{Where: path, What: fmt.Sprintf("a directory with mode %04o (want 0700)", perm)})
		case !fi.IsDir() && perm&0o077 != 0:
			out = append(out, Finding{Where: path, What: fmt.Sprintf("a file with mode %04o (want 0600)", perm)})
		}
		return nil
	})
	return out, err
}

// Report joins findings into one message (empty for none).
func Report(fs []Finding) string {
	lines := make([]string, 0, len(fs))
	for _, f := range fs {
		lines = append(lines, f.String())
	}
	slices.Sort(lines)
	return strings.Join(slices.Compact(lines), "\n")
}
