// Command aimon-tokens runs `aimonitor tokens` on its own, for the token
// benchmark (bench/tokens/run.sh): it runs the aimonitor CLI's entry point
// (backend/cli) with `tokens` prepended, without the desktop parts, so the
// benchmark measures the same code path. Arguments are those of
// `aimonitor tokens`.
//
// For bench/tokens/profile.sh it writes pprof profiles when asked:
// AIMON_CPUPROFILE=file (CPU) and AIMON_MEMPROFILE=file (allocations,
// every allocation sampled). With AIMON_PARSEONLY=1 it only parses the
// transcripts (tokens.ParseOnly): the floor run.sh reports.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/tokens"
)

func main() {
	os.Exit(run())
}

// run returns the exit code once the profiles are written.
func run() int {
	if p := os.Getenv("AIMON_MEMPROFILE"); p != "" {
		runtime.MemProfileRate = 1
		defer writeHeap(p)
	}
	if p := os.Getenv("AIMON_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "aimon-tokens:", err)
			return 1
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if os.Getenv("AIMON_PARSEONLY") != "" {
		return parseOnly()
	}
	args := os.Args[1:]
	if len(args) == 0 || args[0] != "tokens" {
		// `aimon-tokens tokens …` works too, so run.sh can time it in
		// place of the real binary (BIN=bench/out/tokens/aimon-tokens).
		args = append([]string{"tokens"}, args...)
	}
	return cli.Run(context.Background(), args, cli.Deps{})
}

func parseOnly() int {
	st, err := tokens.ParseOnly(context.Background(), tokens.DefaultRoots(os.Environ()), 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "aimon-tokens:", err)
		return 1
	}
	fmt.Printf("{\"files\":%d,\"bytes\":%d,\"entries\":%d,\"responses\":%d}\n", st.Files, st.Bytes, st.Entries, st.Added)
	return 0
}

func writeHeap(path string) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "aimon-tokens:", err)
	}
}
