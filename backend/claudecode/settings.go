package claudecode

import (
	"bytes"
	"encoding/json"
	"path/filepath"
)

// SettingsPath is Claude Code's user settings file (statusLine, hooks,
// permissions…): $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/settings.json.
func SettingsPath(env Env) string {
	dir := env.ConfigDir
	if dir == "" {
		dir = filepath.Join(env.Home, ".claude")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Join(dir, "settings.json")
}

// IdentityPath is the file holding oauthAccount for env, as Slot.ConfigPath
// decides it, without needing a Slot (whose macOS form needs a keyring).
func IdentityPath(env Env) string {
	s := &Slot{env: env, home: env.Home, configDir: filepath.Dir(SettingsPath(env))}
	return s.ConfigPath()
}

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

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }
