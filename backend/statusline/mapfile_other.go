//go:build !unix

package statusline

import "os"

// mapFile reads the file (see mapfile_unix.go).
func mapFile(path string) ([]byte, func(), error) {
	data, err := os.ReadFile(path)
	return data, func() {}, err
}
