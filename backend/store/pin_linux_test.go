//go:build linux

package store

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// SQLite takes its page-sized scratch buffers from the pool pinAllocatorPages
// configures (so a B-tree split no longer maps and unmaps memory), and the
// pool is no larger than configured.
func TestScratchPoolIsUsed(t *testing.T) {
	open(t, filepath.Join(t.TempDir(), "a.db")) // configures the pool before SQLite starts
	tls := libc.NewTLS()
	defer tls.Close()
	status := func(op int32) (cur, hi int64) {
		p := tls.Alloc(16)
		defer tls.Free(16)
		if rc := lib.Xsqlite3_status64(tls, op, p, p+8, 0); rc != lib.SQLITE_OK {
			t.Fatalf("sqlite3_status64(%d) = %d", op, rc)
		}
		b := libc.GoBytes(p, 16)
		return int64(binary.NativeEndian.Uint64(b)), int64(binary.NativeEndian.Uint64(b[8:]))
	}
	if used, _ := status(lib.SQLITE_STATUS_PAGECACHE_USED); used == 0 {
		t.Fatal("no page-sized buffer comes from the scratch pool: it is not configured")
	}
	if _, size := status(lib.SQLITE_STATUS_PAGECACHE_SIZE); size < scratchSize {
		t.Fatalf("largest page-cache request %d bytes", size)
	}
}
