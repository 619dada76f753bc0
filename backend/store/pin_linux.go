//go:build linux

package store

import (
	"sync"

	"modernc.org/libc"
	lib "modernc.org/sqlite/lib"
)

// scratchSlots and scratchSize shape SQLite's page-sized scratch buffer
// pool (below): a few per connection (the pager's and the B-tree's
// temporary pages) and one per B-tree balance in progress.
const (
	scratchSlots = 16
	scratchSize  = 4096 // the database page size
)

// pinAllocatorPages works around how the C allocator under SQLite
// (modernc.org/libc, built on modernc.org/memory) returns memory: it maps a
// 64 KB page per size class and unmaps it as soon as its last block is
// freed, and every munmap interrupts the other cores to flush their TLBs.
// In a large write SQLite repeats two patterns thousands of times that hit
// this:
//
//   - A B-tree page split allocates a page-sized scratch buffer and frees
//     it. It shares its size class with the page cache's pages, which grow
//     the class by one block at a time, so the scratch often lands alone on
//     a fresh page that its free then unmaps. SQLite takes page-sized
//     scratch from a pool configured with SQLITE_CONFIG_PAGECACHE when one
//     exists; a pool of scratchSize slots (smaller than a cache page with
//     its header, which SQLite therefore still allocates one by one) serves
//     the scratch and nothing else.
//   - Other short-lived blocks of 16 B to 16 KB: one block of each size
//     class kept allocated for the life of the process means its first page
//     never empties and a freed block is simply reused.
//
// On the first scan of a dense transcript history this removed most of the
// kernel time (docs/performance.md). The pool must be configured before
// SQLite initializes, so before the process's first connection; if another
// package got there first it is skipped.
var pinAllocatorPages = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	// Never freed, on purpose: 64 KB for the pool, 32 KB for the pins.
	pool := libc.Xmalloc(tls, libc.Tsize_t(scratchSlots*scratchSize))
	if pool != 0 {
		va := libc.NewVaList(pool, int32(scratchSize), int32(scratchSlots))
		if lib.Xsqlite3_config(tls, lib.SQLITE_CONFIG_PAGECACHE, va) != lib.SQLITE_OK {
			libc.Xfree(tls, pool)
		}
		libc.Xfree(tls, va)
	}
	for log := 4; log <= 14; log++ {
		libc.Xmalloc(tls, libc.Tsize_t(1)<<log)
	}
})
