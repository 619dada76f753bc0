// Command timeit runs a command N times with a file on stdin and prints the
// median, min and max wall time, the median CPU time (user + system: what
// the run itself cost, which a busy machine inflates less than the wall
// time) and the largest peak RSS (getrusage
// ru_maxrss of the child), without a shell or a timer process in the
// measured span. An optional -before command runs, untimed, before each run
// (to drop a cache).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 21, "runs")
	stdin := flag.String("stdin", "", "file to pass on stdin")
	before := flag.String("before", "", "shell command to run (untimed) before each run")
	label := flag.String("label", "", "row label")
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 {
		log.Fatal("timeit: no command")
	}
	var input []byte
	if *stdin != "" {
		var err error
		if input, err = os.ReadFile(*stdin); err != nil {
			log.Fatal(err)
		}
	}
	var walls, cpus []time.Duration
	var maxRSS int64
	var out []byte
	for i := 0; i < *n; i++ {
		if *before != "" {
			if err := exec.Command("sh", "-c", *before).Run(); err != nil {
				log.Fatalf("timeit: -before: %v", err)
			}
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdin = bytes.NewReader(input)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		cmd.Stderr = os.Stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			log.Fatalf("timeit: %v: %v", args, err)
		}
		walls = append(walls, wall)
		cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > maxRSS {
			maxRSS = ru.Maxrss // KiB on Linux
		}
		out = stdout.Bytes()
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	line := bytes.TrimRight(bytes.SplitN(out, []byte("\n"), 2)[0], "\r")
	fmt.Printf("%-34s %8.1f %8.1f %8.1f %8.1f %8.1f  %s\n", *label, ms(walls[len(walls)/2]), ms(walls[0]), ms(walls[len(walls)-1]), ms(cpus[len(cpus)/2]), float64(maxRSS)/1024, line)
}
