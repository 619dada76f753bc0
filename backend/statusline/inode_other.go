//go:build !unix

package statusline

import "io/fs"

func inode(fs.FileInfo) string { return "" }
