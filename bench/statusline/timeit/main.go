// Command timeit runs commands N times each with a file on stdin and prints,
// per command, the median, min and max wall time, the median CPU time
// (user + system: what the run itself cost, which a busy machine inflates
// less than the wall time) and the largest peak RSS (getrusage ru_maxrss
// of the child), without a shell or a timer process in the measured span.
// With several commands they take turns within each round, so a change in
// the machine's load falls on all of them alike.
//
// Usage: timeit [-n N] [-stdin FILE] [-label L] [-before CMD] COMMAND ARGS...
//
//	timeit [-n N] [-stdin FILE] -run 'LABEL|BEFORE|COMMAND ARGS' -run ...
//
// BEFORE is a shell command run (untimed) before each run of its command,
// e.g. to drop a cache; it may be empty. In -run, COMMAND ARGS is split on
// spaces (no quoting).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

type spec struct {
	label, before string
	args          []string
	walls, cpus   []time.Duration
	maxRSS        int64 // KiB
	out           []byte
}

type runs []string

func (r *runs) String() string     { return strings.Join(*r, ", ") }
func (r *runs) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	n := flag.Int("n", 21, "runs of each command")
	stdin := flag.String("stdin", "", "file to pass on stdin")
	before := flag.String("before", "", "shell command to run (untimed) before each run")
	label := flag.String("label", "", "row label")
	var multi runs
	flag.Var(&multi, "run", "LABEL|BEFORE|COMMAND ARGS (repeatable; the commands take turns)")
	flag.Parse()
	var specs []*spec
	for _, r := range multi {
		parts := strings.SplitN(r, "|", 3)
		if len(parts) != 3 || len(strings.Fields(parts[2])) == 0 {
			log.Fatalf("timeit: -run %q: want LABEL|BEFORE|COMMAND", r)
		}
		specs = append(specs, &spec{label: parts[0], before: parts[1], args: strings.Fields(parts[2])})
	}
	if args := flag.Args(); len(args) > 0 {
		specs = append(specs, &spec{label: *label, before: *before, args: args})
	}
	if len(specs) == 0 {
		log.Fatal("timeit: no command")
	}
	var input []byte
	if *stdin != "" {
		var err error
		if input, err = os.ReadFile(*stdin); err != nil {
			log.Fatal(err)
		}
	}
	for i := 0; i < *n; i++ {
		for _, s := range specs {
			s.run(input)
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, s := range specs {
		sort.Slice(s.walls, func(i, j int) bool { return s.walls[i] < s.walls[j] })
		sort.Slice(s.cpus, func(i, j int) bool { return s.cpus[i] < s.cpus[j] })
		line := bytes.TrimRight(bytes.SplitN(s.out, []byte("\n"), 2)[0], "\r")
		fmt.Printf("%-34s %8.1f %8.1f %8.1f %8.1f %8.1f  %s\n", s.label, ms(s.walls[len(s.walls)/2]), ms(s.walls[0]), ms(s.walls[len(s.walls)-1]),
			ms(s.cpus[len(s.cpus)/2]), float64(s.maxRSS)/1024, line)
	}
}

func (s *spec) run(input []byte) {
	if s.before != "" {
		if err := exec.Command("sh", "-c", s.before).Run(); err != nil {
			log.Fatalf("timeit: before %s: %v", s.label, err)
		}
	}
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Stdin = bytes.NewReader(input)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		log.Fatalf("timeit: %v: %v", s.args, err)
	}
	s.walls = append(s.walls, wall)
	s.cpus = append(s.cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > s.maxRSS {
		s.maxRSS = ru.Maxrss // KiB on Linux
	}
	s.out = stdout.Bytes()
}
