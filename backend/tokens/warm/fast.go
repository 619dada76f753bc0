package warm

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"

	"github.com/aimonitor/aimonitor/backend/paths"
)

// FastEnv is what Fast reads besides the command line.
type FastEnv struct {
	Environ []string // the process's environment (os.Environ())
	GOOS    string   // runtime.GOOS
	Build   string   // BuildID(); "" never answers
	Stdout  io.Writer
}

// envAllowed are the only AIMONITOR_* variables Fast runs with: they say
// where the files are, which Fast resolves as the command line does. Every
// other one is a configuration override (or a test or demo switch) that
// may change what the command line does, so Fast leaves those runs to it.
var envAllowed = map[string]bool{"AIMONITOR_DATA_DIR": true, "AIMONITOR_CONFIG": true}

// EnvAllowed reports whether Fast runs with the variable key set (for the
// test that keeps the list free of configuration overrides).
func EnvAllowed(key string) bool { return envAllowed[key] }

// Fast answers `aimonitor tokens ARGS` (args without "tokens") from the
// snapshot the last scan wrote, without opening the database, when it can
// be sure the answer is the one the command line would print: the same
// build wrote the snapshot, over the same database file, with the same
// configuration file (checked to load), and a new listing of the transcript
// tree is the one the snapshot holds. It handles --json, --since, --until,
// --by day|model|project, --tz and --no-scan. In every other case it
// returns false having written nothing, and the command line runs as
// usual (and writes a new snapshot). err is an error writing to Stdout,
// after handled is already true.
func Fast(args []string, e FastEnv) (handled bool, err error) {
	cmd, ok := parseArgs(args)
	if !ok || e.Build == "" {
		return false, nil
	}
	for _, kv := range e.Environ {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AIMONITOR_") && !envAllowed[k] {
			return false, nil
		}
	}
	p, err := paths.Resolve(paths.EnvIn(e.Environ), e.GOOS)
	if err != nil {
		return false, nil
	}
	snap, err := mapSnapshot(filepath.Join(p.DataDir, SnapshotName))
	if err != nil || snap.Build != e.Build || snap.Config == "" {
		return false, nil
	}
	if FileIdentity(p.DBFile) != snap.Ledger || FileStamp(p.ConfigFile) != snap.Config {
		return false, nil
	}
	tree, err := List(DefaultRoots(e.Environ))
	if err != nil || !bytes.Equal(appendTree(make([]byte, 0, len(snap.treeRaw)), tree), snap.treeRaw) {
		return false, nil
	}
	// What the command line printed for the same query from the same rows,
	// if it remembered it; else rendered here, by the same code.
	if data, ok := snap.output(OutputKey(snap, cmd.q, cmd.json)); ok {
		_, err = e.Stdout.Write(data)
		return true, err
	}
	var out bytes.Buffer
	if !Render(&out, snap, cmd.q, cmd.json) {
		return false, nil
	}
	_, err = e.Stdout.Write(out.Bytes())
	return true, err
}

// Render prints the report q asks for from the snapshot's rows, as JSON or
// as a table, exactly as the command line prints it from the ledger. It
// returns false for a report it cannot make from a snapshot (by account:
// that needs the switch log) or a query the command line would refuse.
func Render(w io.Writer, snap *Snapshot, q Query, asJSON bool) bool {
	plan, err := PlanOf(q)
	if err != nil || plan.By == ByAccount {
		return false
	}
	rep := plan.NewReport(q)
	g := NewGrouper(snap.Dims)
	first, end := BucketRange(plan.From, plan.To)
	rowsErr := snap.EachRow(func(r *UsageRow) {
		if err == nil && r.Bucket >= first && r.Bucket < end {
			err = g.AddBy(plan.By, plan.Location, r)
		}
	})
	if err != nil || rowsErr != nil {
		return false
	}
	g.Fill(rep)
	var raw []byte
	if asJSON {
		if raw, err = MarshalReport(rep); err != nil {
			return false
		}
	}
	return Print(w, rep, raw, asJSON) == nil
}

// fastCmd is a command line Fast accepts.
type fastCmd struct {
	q    Query
	json bool
}

// parseArgs reads the tokens command's own flags, each at most once, as
// --flag or --flag VALUE / --flag=VALUE; anything else (help, --debug,
// --no-color, an unknown flag, an argument) is left to the command line.
// Values are checked as the command line checks them.
func parseArgs(args []string) (fastCmd, bool) {
	var c fastCmd
	var since, until, by, tz string
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		if seen[name] {
			return c, false
		}
		seen[name] = true
		switch name {
		case "--json", "--no-scan":
			if hasValue {
				return c, false
			}
			c.json = c.json || name == "--json"
			continue
		case "--since", "--until", "--by", "--tz":
		default:
			return c, false
		}
		if !hasValue {
			if i+1 >= len(args) {
				return c, false
			}
			i++
			value = args[i]
		}
		switch name {
		case "--since":
			since = value
		case "--until":
			until = value
		case "--by":
			by = value
		case "--tz":
			tz = value
		}
	}
	var err error
	if c.q.Since, err = NormDate("since", since); err != nil {
		return c, false
	}
	if c.q.Until, err = NormDate("until", until); err != nil {
		return c, false
	}
	if !seen["--by"] {
		by = ByDay
	}
	switch by {
	case ByDay, ByModel, ByProject:
	default:
		return c, false
	}
	c.q.By = by
	if c.q.Location, err = Location(tz); err != nil {
		return c, false
	}
	return c, true
}
