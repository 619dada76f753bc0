//go:build !unix

package warm

func mapSnapshot(path string) (*Snapshot, error) { return readLazily(path) }
