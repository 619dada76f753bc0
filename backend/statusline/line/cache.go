package line

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/claudecode/claudeenv"
	"github.com/aimonitor/aimonitor/backend/paths"
)

// The status line cache. Claude Code runs the line on every update of its
// prompt, mostly with nothing changed since the last run. So a run that
// read the database keeps what it read (Stored: nothing that depends on the
// clock) and how the configuration says to show it (Style) in a small file
// beside the database, under a key made of everything those were read
// from: the database and its WAL, Claude Code's .claude.json and
// aimonitor's config.yaml (size, modification time, inode each), the
// values of the environment variables the configuration reads, the day
// when the format sums today's tokens, the build and the cache format.
// The next run with the same key renders from the file after a stat of
// each, without opening the database or parsing the configuration: the
// launcher (cmd/aimonitor) does that without starting aimonitor-core at
// all. Any write to the database (the poller's heartbeat, a switch), a
// login change or a settings change makes a new key. An entry is trusted
// for at most MaxAge, in case a file changed without changing its stat
// (two writes within one tick of a coarse file-system clock, with the
// WAL's size unchanged).
//
// The file holds labels, e-mail addresses, usage figures and the
// statusline settings, never a token (the environment's values enter the
// key only hashed): the same as the database and config beside it, with
// the same mode (0600 in a 0700 directory).

const (
	cacheVersion = "3"
	// MaxAge is how long an entry is trusted at most.
	MaxAge = 30 * time.Second
	// CacheName is the cache's file name in the data directory.
	CacheName = "statusline.cache"
)

// Inputs are where a line is read from.
type Inputs struct {
	DBFile     string
	ConfigFile string
	// Claude is Claude Code's environment; IdentityFile its .claude.json,
	// which names the login it uses.
	Claude       claudeenv.Env
	IdentityFile string
	CacheFile    string
	// Env looks up the process's environment variables.
	Env paths.Env
}

// Locate finds the inputs for an environment.
func Locate(env paths.Env, goos string) (Inputs, error) {
	p, err := paths.Resolve(env, goos)
	if err != nil {
		return Inputs{}, err
	}
	claude, _ := claudeenv.EnvFrom(env, goos) // without HOME, paths.Resolve has failed already
	return Inputs{DBFile: p.DBFile, ConfigFile: p.ConfigFile, Claude: claude, IdentityFile: claudeenv.IdentityPath(claude),
		CacheFile: filepath.Join(filepath.Dir(p.DBFile), CacheName), Env: env}, nil
}

// Entry is what the cache file holds.
type Entry struct {
	Key     string
	Written time.Time
	// Style is the configuration's statusline format and colours and its
	// thresholds (before NO_COLOR and --no-color, which are per run);
	// BadConfig that the configuration did not load (Style is then the
	// defaults).
	Style     Style
	BadConfig bool
	// ConfigEnv names every environment variable the configuration reads
	// (config.EnvVars); the key covers their values.
	ConfigEnv []string
	Stored    *Stored
}

// Line is the entry's line as of now for the session object Claude Code
// sent (input, as ReadInput read it).
func (e *Entry) Line(now time.Time, input []byte, noColor bool) string {
	st := e.Style
	if noColor {
		st.Color = false
	}
	return Compose(e.Stored.Snapshot(now), input, st, e.BadConfig)
}

// Stamps are the versions of the files a line is read from, taken before
// reading them: a file that changes during the read then only makes the
// entry miss, never keeps old figures under a new stamp.
type Stamps string

// StampsOf stats in's files.
func StampsOf(in Inputs) Stamps {
	var b bytes.Buffer
	b.WriteString("v" + cacheVersion + " " + buildinfo.Version)
	for _, f := range []string{in.DBFile, in.DBFile + "-wal", in.IdentityFile, in.ConfigFile} {
		b.WriteByte('|')
		b.WriteString(f)
		b.WriteByte('=')
		b.WriteString(FileStamp(f))
	}
	return Stamps(b.String())
}

// Key is the cache key of the entry e read from in, whose files had
// stamps s, at now.
func (s Stamps) Key(in Inputs, e *Entry, now time.Time) string {
	b := bytes.NewBufferString(string(s))
	h := fnv.New64a()
	for _, name := range e.ConfigEnv {
		if v, ok := in.Env(name); ok {
			h.Write([]byte(name + "=" + v + "\x00"))
		}
	}
	b.WriteString("|env=" + strconv.FormatUint(h.Sum64(), 16))
	if e.Style.WantsTokens() {
		// The ledger's sum is of the local day containing now.
		y, m, d := now.Date()
		b.WriteString("|tokens=" + time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Format(time.RFC3339))
	}
	return b.String()
}

// FileStamp identifies a version of a file: size, modification time and
// inode ("-" when it does not exist).
func FileStamp(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "-"
	}
	return strconv.FormatInt(fi.Size(), 10) + "," + strconv.FormatInt(fi.ModTime().UnixNano(), 10) + "," + inode(fi)
}

// ReadCache returns the entry for in when it is valid at now: its key
// matches and it is at most MaxAge old. Otherwise nil.
func ReadCache(in Inputs, now time.Time) *Entry {
	data, err := os.ReadFile(in.CacheFile)
	if err != nil {
		return nil
	}
	e, err := decode(data)
	if err != nil || e.Stored == nil || e.Key != StampsOf(in).Key(in, e, now) {
		return nil
	}
	if age := now.Sub(e.Written); age < 0 || age > MaxAge {
		return nil
	}
	return e
}

// WriteCache keeps e, read from in whose files had stamps s, keyed as of
// now. Its error is for a log at most: the line never depends on the
// cache. The file is replaced by a rename, so a run reading it
// concurrently sees the old or the new entry, never half of one; it is not
// synced, a torn file after a crash only misses.
func WriteCache(in Inputs, s Stamps, e *Entry, now time.Time) error {
	e.Key, e.Written = s.Key(in, e, now), now
	data := encode(e)
	tmp, err := os.CreateTemp(filepath.Dir(in.CacheFile), "."+filepath.Base(in.CacheFile)+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("writing the status line cache: %w", err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), in.CacheFile)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the status line cache: %w", err)
	}
	return nil
}
