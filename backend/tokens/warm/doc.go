// Package warm is the part of token accounting that needs no database:
// finding the transcripts (DefaultRoots, List), pricing (LookupPrice,
// CostOf), grouping the ledger's aggregate rows into a report and printing
// it (Grouper, PrintTable, WriteJSON), and the snapshot the ledger leaves
// after each scan (Snapshot). The ledger (package tokens) reports through
// this code, and so does the launcher (cmd/aimonitor) when it answers
// `aimonitor tokens` from the snapshot (Fast) without opening SQLite. It
// must stay light: the launcher links it, and what it imports is paid at
// every start of every command (TestDependenciesStayLight).
package warm
