//go:build linux

package store

import (
	"sync"

	"modernc.org/libc"
)

// pinAllocatorPages keeps one small block of every size class of the C
// allocator under SQLite (modernc.org/libc, built on modernc.org/memory)
// allocated for the life of the process. That allocator maps a 64 KB
// page per size class and unmaps it as soon as its last block is freed, so
// a pattern SQLite repeats thousands of times in a large write — allocate a
// B-tree page split's scratch space (8–16 KB), free it — costs an mmap and
// two or three munmaps each time, and every munmap interrupts the other
// cores to flush their TLBs. With one block pinned per class a page never
// empties and the freed block is simply reused: on the first scan of a
// dense transcript history this removed most of the kernel time
// (docs/performance.md).
var pinAllocatorPages = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	for log := 4; log <= 14; log++ {
		// Never freed, on purpose: 32 KB in all.
		libc.Xmalloc(tls, libc.Tsize_t(1)<<log)
	}
})
