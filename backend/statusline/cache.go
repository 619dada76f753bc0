package statusline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aimonitor/aimonitor/backend/claudecode"
)

// The status line cache. Claude Code runs the line on every update of its
// prompt, mostly with nothing changed since the last run; opening the
// database (its schema parse, the status row's JSON) is then most of what a
// run costs after the process start. So a run keeps what it read (stored,
// nothing that depends on the clock) in a small file beside the database,
// under a key made of what it was read from: the database and its WAL, and
// Claude Code's .claude.json (size, modification time, inode), the query
// (tokens or not, and the day they sum) and the cache format. The next run
// with the same key renders from the file after a stat of each; any write
// to the database (the poller's heartbeat, a switch) or a login change
// makes a new key. An entry is trusted for at most cacheMaxAge, in case a
// file changed without changing its stat (two writes within one tick of a
// coarse file-system clock, with the WAL's size unchanged).
//
// The file holds labels, e-mail addresses and usage figures, never a
// token: the same as the database beside it, with the same mode (0600 in a
// 0700 directory).

const (
	cacheVersion = "1"
	cacheMaxAge  = 30 * time.Second
	// CacheName is the cache's file name in the data directory.
	CacheName = "statusline.cache"
)

type cacheEntry struct {
	Key     string    `json:"key"`
	Written time.Time `json:"written"`
	Stored  *stored   `json:"stored"`
}

// cacheKey is the key for a run reading src at now.
func cacheKey(src Source, now time.Time) string {
	var b bytes.Buffer
	b.WriteString("v" + cacheVersion)
	for _, f := range []string{src.DBFile, src.DBFile + "-wal", claudecode.IdentityPath(src.Claude)} {
		b.WriteByte('|')
		b.WriteString(f)
		b.WriteByte('=')
		b.WriteString(fileStamp(f))
	}
	if src.WithTokens {
		// DayTotals sums the local day containing now.
		y, m, d := now.Date()
		b.WriteString("|tokens=" + time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Format(time.RFC3339))
	}
	return b.String()
}

// fileStamp identifies a version of a file: size, modification time and
// inode ("-" when it does not exist).
func fileStamp(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "-"
	}
	return strconv.FormatInt(fi.Size(), 10) + "," + strconv.FormatInt(fi.ModTime().UnixNano(), 10) + "," + inode(fi)
}

// readCache returns the stored read under key, or nil.
func readCache(file, key string, now time.Time) *stored {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Key != key || e.Stored == nil {
		return nil
	}
	if age := now.Sub(e.Written); age < 0 || age > cacheMaxAge {
		return nil
	}
	return e.Stored
}

// writeCache keeps st under key. It fails quietly: the line never depends
// on the cache. The file is replaced by a rename, so a run reading it
// concurrently sees the old or the new entry, never half of one; it is not
// synced, a torn file after a crash only misses.
func writeCache(file, key string, st *stored, now time.Time) {
	data, err := json.Marshal(cacheEntry{Key: key, Written: now, Stored: st})
	if err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*") // mode 0600
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), file) != nil {
		os.Remove(tmp.Name())
	}
}
