// Command aimon-tokens runs `aimonitor tokens` on its own, for the token
// benchmark (bench/tokens/run.sh): it wires tokenscli.Command exactly as the
// aimonitor CLI does, without the desktop parts, so the benchmark measures
// the same code path. Arguments are those of `aimonitor tokens`.
//
// For bench/tokens/profile.sh it writes pprof profiles when asked:
// AIMON_CPUPROFILE=file (CPU) and AIMON_MEMPROFILE=file (allocations,
// every allocation sampled).
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/tokens/tokenscli"
)

func main() {
	if p := os.Getenv("AIMON_MEMPROFILE"); p != "" {
		runtime.MemProfileRate = 1
		defer writeHeap(p)
	}
	if p := os.Getenv("AIMON_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "aimon-tokens:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "aimon-tokens: "+logging.Redact(err.Error()))
		os.Exit(1)
	}
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

func run() error {
	var svc *service.Service
	get := func() (*service.Service, error) {
		if svc != nil {
			return svc, nil
		}
		s, err := service.New(service.Options{})
		if err != nil {
			return nil, err
		}
		svc = s
		return s, nil
	}
	cmd := tokenscli.Command(get, os.Stdout)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs(os.Args[1:])
	err := cmd.ExecuteContext(context.Background())
	if svc != nil {
		svc.Close()
	}
	return err
}
