// Command spawn times whole processes: it runs each given command ROUNDS
// times, the commands taking turns within a round, and prints per label the
// median wall time (fork to exit, as a shell sees it), the median CPU time
// (user + system: what the process itself cost, which other load on the
// machine changes far less than the wall time) and the median peak RSS (the
// kernel's ru_maxrss of the process). Commands with the same label
// are pooled (e.g. switching back and forth between two accounts).
//
// Usage: spawn [-rounds N] [-warmup N] LABEL=COMMAND [LABEL=COMMAND...]
// (COMMAND is split on spaces; no quoting.)
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

type sample struct {
	wall time.Duration
	cpu  time.Duration
	rss  int64 // KiB
}

func main() {
	rounds := flag.Int("rounds", 21, "rounds (each runs every command once)")
	warmup := flag.Int("warmup", 2, "rounds run first and not counted")
	flag.Parse()
	type command struct {
		label string
		argv  []string
	}
	var cmds []command
	var labels []string
	for _, arg := range flag.Args() {
		label, line, ok := strings.Cut(arg, "=")
		if !ok || strings.TrimSpace(line) == "" {
			fmt.Fprintf(os.Stderr, "spawn: %q is not LABEL=COMMAND\n", arg)
			os.Exit(2)
		}
		cmds = append(cmds, command{label, strings.Fields(line)})
		if !slices.Contains(labels, label) {
			labels = append(labels, label)
		}
	}
	samples := map[string][]sample{}
	for r := 0; r < *warmup+*rounds; r++ {
		for _, c := range cmds {
			cmd := exec.Command(c.argv[0], c.argv[1:]...)
			cmd.Stdout, cmd.Stderr = nil, os.Stderr // stdout to /dev/null
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			if err != nil {
				fmt.Fprintf(os.Stderr, "spawn: %s: %v\n", strings.Join(c.argv, " "), err)
				os.Exit(1)
			}
			if r >= *warmup {
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
				samples[c.label] = append(samples[c.label], sample{wall, cpu, ru.Maxrss})
			}
		}
	}
	fmt.Printf("%-28s %5s %10s %10s %10s %10s %10s\n", "command", "runs", "median", "min", "max", "CPU", "peak RSS")
	for _, l := range labels {
		s := samples[l]
		walls := make([]time.Duration, len(s))
		cpus := make([]time.Duration, len(s))
		rss := make([]int64, len(s))
		for i, x := range s {
			walls[i], cpus[i], rss[i] = x.wall, x.cpu, x.rss
		}
		slices.Sort(walls)
		slices.Sort(cpus)
		slices.Sort(rss)
		fmt.Printf("%-28s %5d %10s %10s %10s %10s %7.1f MB\n", l, len(s), ms(walls[len(walls)/2]), ms(walls[0]), ms(walls[len(walls)-1]),
			ms(cpus[len(cpus)/2]), float64(rss[len(rss)/2])/1024)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
