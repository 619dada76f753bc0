package statusline

import "syscall"

// mapFlags prefaults the whole mapping in one call: the search touches every
// page, and one populate is cheaper than a fault per page.
const mapFlags = syscall.MAP_SHARED | syscall.MAP_POPULATE
