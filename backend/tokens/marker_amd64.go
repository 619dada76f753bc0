package tokens

import "golang.org/x/sys/cpu"

// hasPairScan says pairScan can run: it needs AVX2 (and the OS saving the
// YMM registers, which cpu.X86.HasAVX2 includes).
var hasPairScan = cpu.X86.HasAVX2

// pairScan looks 32 positions at a time for the usage marker's first and
// last bytes: the first i with b[i] == '"' and b[i+8] == '{'. It examines
// only positions whose 40-byte window fits in b; without a hit it returns
// the first position it did not examine and false. Implemented in
// marker_amd64.s.
//
//go:noescape
func pairScan(b []byte) (i int, hit bool)
