package claudecode

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/aimonitor/aimonitor/backend/claudecode/claudeenv"
)

// SettingsPath is Claude Code's user settings file (claudeenv.SettingsPath).
func SettingsPath(env Env) string { return claudeenv.SettingsPath(env) }

// IdentityPath is the file holding oauthAccount for env, as Slot.ConfigPath
// decides it, without needing a Slot (whose macOS form needs a keyring).
func IdentityPath(env Env) string { return claudeenv.IdentityPath(env) }

// JSONMember returns the raw value of the top-level member key of the JSON
// object in data (nil when absent). data must be exactly one valid object.
func JSONMember(data []byte, key string) ([]byte, error) {
	o, err := scanObject(data)
	if err != nil {
		return nil, err
	}
	return o.value(key), nil
}

// SetJSONMember returns data with member key set to value (raw JSON),
// replaced in place or appended, formatted like its neighbours; every
// other byte is kept.
func SetJSONMember(data []byte, key string, value []byte) ([]byte, error) {
	return setMember(data, key, value)
}

// DeleteJSONMember returns data without member key; every other byte is kept.
func DeleteJSONMember(data []byte, key string) ([]byte, error) {
	return deleteMember(data, key)
}

// QuickIdentity finds oauthAccount in the bytes of .claude.json without
// parsing the rest of the file, which grows to megabytes of per-project
// history: the status line reads it on every prompt update. It looks for the
// key followed by a colon and decodes only the value after it (the last such
// member wins, as with JSON.parse). It does not validate the whole document;
// callers that write the file use the full parser.
func QuickIdentity(data []byte) (*Identity, error) {
	needle := []byte(`"` + IdentityKey + `"`)
	var found []byte
	for rest, off := data, 0; ; {
		i := bytes.Index(rest, needle)
		if i < 0 {
			break
		}
		at := off + i + len(needle)
		j := at
		for j < len(data) && isSpace(data[j]) {
			j++
		}
		if j < len(data) && data[j] == ':' {
			dec := json.NewDecoder(bytes.NewReader(data[j+1:]))
			var raw json.RawMessage
			if err := dec.Decode(&raw); err == nil {
				found = raw
			}
		}
		rest, off = data[at:], at
	}
	if found == nil {
		return nil, nil
	}
	return ParseIdentity(found)
}

// QuickIdentityFile is QuickIdentity on a file, read in small chunks so a
// megabyte of project history never sits in memory: only the last member
// found is decoded, from the file itself. A missing file gives nil.
func QuickIdentityFile(path string) (*Identity, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	needle := []byte(`"` + IdentityKey + `"`)
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	var carry int     // bytes kept from the previous chunk (a needle cut in two)
	var base int64    // file offset of buf[0]
	last := int64(-1) // file offset just after the last needle followed by ':'
	for {
		n, err := io.ReadFull(f, buf[carry:])
		data := buf[:carry+n]
		for i := 0; ; {
			j := bytes.Index(data[i:], needle)
			if j < 0 {
				break
			}
			end := i + j + len(needle)
			k := end
			for k < len(data) && isSpace(data[k]) {
				k++
			}
			if k == len(data) || data[k] == ':' { // a colon beyond the chunk is checked when decoding
				last = base + int64(end)
			}
			i = end
		}
		if err != nil { // io.EOF or io.ErrUnexpectedEOF: the end; else a read error
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, err
			}
			break
		}
		keep := min(len(needle)-1, len(data))
		copy(buf, data[len(data)-keep:])
		base += int64(len(data) - keep)
		carry = keep
	}
	if last < 0 {
		return nil, nil
	}
	if _, err := f.Seek(last, io.SeekStart); err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(f, 4096)
	for {
		b, err := r.ReadByte()
		if err != nil {
			return nil, nil
		}
		if b == ':' {
			break
		}
		if !isSpace(b) {
			return nil, nil
		}
	}
	var raw json.RawMessage
	if err := json.NewDecoder(r).Decode(&raw); err != nil {
		return nil, nil
	}
	return ParseIdentity(raw)
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
