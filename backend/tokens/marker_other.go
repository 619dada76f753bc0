//go:build !amd64

package tokens

const hasPairScan = false

func pairScan(b []byte) (int, bool) { return 0, false }
