// Command compare checks that `aimonitor tokens --json --tz UTC` and
// `ccusage daily --json -z UTC` report the same usage: identical token
// totals, the same tokens on every day, and costs within a cent in a
// million (both price the same models at the same rates; they differ only
// in floating-point summation order).
//
//	compare ours.json ccusage.json
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

type ours struct {
	Totals struct {
		Input      int64    `json:"input_tokens"`
		Output     int64    `json:"output_tokens"`
		CacheWrite int64    `json:"cache_creation_input_tokens"`
		CacheRead  int64    `json:"cache_read_input_tokens"`
		Cost       *float64 `json:"cost_usd"`
	} `json:"totals"`
	Rows []struct {
		Date       string `json:"date"`
		Input      int64  `json:"input_tokens"`
		Output     int64  `json:"output_tokens"`
		CacheWrite int64  `json:"cache_creation_input_tokens"`
		CacheRead  int64  `json:"cache_read_input_tokens"`
	} `json:"rows"`
}

type ccusage struct {
	Totals struct {
		Input      int64   `json:"inputTokens"`
		Output     int64   `json:"outputTokens"`
		CacheWrite int64   `json:"cacheCreationTokens"`
		CacheRead  int64   `json:"cacheReadTokens"`
		Cost       float64 `json:"totalCost"`
	} `json:"totals"`
	Daily []struct {
		Period     string `json:"period"`
		Input      int64  `json:"inputTokens"`
		Output     int64  `json:"outputTokens"`
		CacheWrite int64  `json:"cacheCreationTokens"`
		CacheRead  int64  `json:"cacheReadTokens"`
	} `json:"daily"`
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: compare ours.json ccusage.json")
		os.Exit(2)
	}
	var a ours
	var b ccusage
	load(os.Args[1], &a)
	load(os.Args[2], &b)
	var problems []string
	check := func(what string, x, y int64) {
		if x != y {
			problems = append(problems, fmt.Sprintf("%s: aimonitor %d, ccusage %d", what, x, y))
		}
	}
	check("input tokens", a.Totals.Input, b.Totals.Input)
	check("output tokens", a.Totals.Output, b.Totals.Output)
	check("cache write tokens", a.Totals.CacheWrite, b.Totals.CacheWrite)
	check("cache read tokens", a.Totals.CacheRead, b.Totals.CacheRead)
	cost := math.NaN()
	if a.Totals.Cost != nil {
		cost = *a.Totals.Cost
	}
	if !(math.Abs(cost-b.Totals.Cost) <= 1e-8*math.Max(1, b.Totals.Cost)) {
		problems = append(problems, fmt.Sprintf("cost: aimonitor %v, ccusage %v", cost, b.Totals.Cost))
	}
	type day struct{ in, out, cw, cr int64 }
	days := map[string][2]day{}
	for _, r := range a.Rows {
		d := days[r.Date]
		d[0] = day{r.Input, r.Output, r.CacheWrite, r.CacheRead}
		days[r.Date] = d
	}
	for _, r := range b.Daily {
		d := days[r.Period]
		d[1] = day{r.Input, r.Output, r.CacheWrite, r.CacheRead}
		days[r.Period] = d
	}
	var names []string
	for k, d := range days {
		if d[0] != d[1] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		problems = append(problems, fmt.Sprintf("day %s: aimonitor %+v, ccusage %+v", k, days[k][0], days[k][1]))
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("MISMATCH", p)
		}
		os.Exit(1)
	}
	fmt.Printf("identical: %d days; input %d, output %d, cache write %d, cache read %d tokens; cost $%.6f (ccusage $%.6f)\n",
		len(days), a.Totals.Input, a.Totals.Output, a.Totals.CacheWrite, a.Totals.CacheRead, cost, b.Totals.Cost)
}

func load(path string, v any) {
	f, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(f, v)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "compare: %s: %v\n", path, err)
		os.Exit(2)
	}
}
