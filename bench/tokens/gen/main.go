// Command gen writes a synthetic Claude Code transcript corpus for the token
// accounting benchmark: <out>/projects/<encoded cwd>/<session>.jsonl files
// (plus <session>/subagents/agent-*.jsonl) of compact JSON lines shaped like
// the ones Claude Code writes. It is deterministic for a given -seed and -size.
//
// What it contains, and why:
//   - large user lines carrying tool results (the bulk of real transcripts'
//     bytes, and lines a parser must skip quickly);
//   - assistant responses written 1–3 times with the same message.id and
//     requestId (one line per content block, as Claude Code streams them),
//     sometimes with a smaller output_tokens in the earlier copies;
//   - sidechains: subagent files (isSidechain true) and agent_progress lines
//     that repeat the subagent's responses inside the parent transcript;
//   - resumed sessions that replay an earlier session's lines;
//   - summaries, system, file-history-snapshot lines, tool results that hold
//     a "usage" object of their own (a Task result), synthetic API-error
//     messages, and a few truncated lines, including an unterminated last line;
//   - several projects and models, timestamps spread over four months with
//     some around midnight UTC.
//
// Every prompt stays under 200k tokens so long-context pricing never applies
// (ccusage prices that tier differently; see docs/performance.md).
//
// The shape is set by knobs; left at zero, each keeps the original corpus
// (about 1000 files, one response per ~19 KB, two thirds of the bytes in
// tool results):
//
//	-density N     distinct responses per MB (sizes of tool results and
//	               assistant text are scaled to fit)
//	-files N       about N session files (subagent files come on top); each
//	               session's size is drawn log-normally around size/N with
//	               -spread as the sigma (0 = all alike, 1.5 = a few large)
//	-tool-share F  share of the bytes in tool-result lines (0..0.95)
//	-subagents F   chance that a response starts a subagent (default 1/12)
//	-replays F     chance that a session resumes (replays) the one before it
//	               in its project (default 1/5)
//
// It prints what it wrote (files, bytes, responses, the real density and
// tool share) so a benchmark can report the shape it measured.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	out := flag.String("out", "bench/out/corpus", "directory to create (its projects/ subdirectory is the corpus)")
	size := flag.Int64("size", 300<<20, "approximate corpus size in bytes")
	seed := flag.Uint64("seed", 1, "random seed")
	var sh shape
	flag.Float64Var(&sh.density, "density", 0, "distinct responses per MB (0: the original mix, ~53/MB)")
	flag.IntVar(&sh.files, "files", 0, "about this many session files (0: 5-65 turns per session)")
	flag.Float64Var(&sh.spread, "spread", 0.6, "sigma of the log-normal session size with -files")
	flag.Float64Var(&sh.toolShare, "tool-share", 0, "share of bytes in tool results (0: the original mix, ~2/3)")
	flag.Float64Var(&sh.subagents, "subagents", 1.0/12, "chance that a response starts a subagent")
	flag.Float64Var(&sh.replays, "replays", 0.2, "chance that a session replays the previous one of its project")
	flag.Parse()
	if sh.toolShare < 0 || sh.toolShare > 0.95 || sh.density < 0 || sh.subagents < 0 || sh.subagents > 1 ||
		sh.replays < 0 || sh.replays > 1 || sh.files < 0 || sh.spread < 0 {
		fmt.Fprintln(os.Stderr, "gen: a shape knob is out of range")
		os.Exit(2)
	}
	if err := generate(*out, *size, *seed, sh); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

type model struct {
	id     string
	weight int
}

var models = []model{
	{"claude-sonnet-4-5-20250929", 40},
	{"claude-opus-4-1-20250805", 10},
	{"claude-opus-4-5-20251101", 20},
	{"claude-haiku-4-5-20251001", 15},
	{"claude-sonnet-4-20250514", 10},
	{"claude-opus-4-6", 5},
}

var projects = []string{
	"/home/dev/src/aimonitor", "/home/dev/src/web-app", "/home/dev/src/infra",
	"/home/dev/work/payments-api", "/home/dev/work/payments_worker", "/home/dev/notes",
	"/home/dev/src/go-sqlite-bench", "/home/dev/src/ml.pipeline", "/tmp/scratch",
	"/home/dev/src/mobile", "/home/dev/src/docs-site", "/home/dev/src/cli-tools",
}

// shape is the corpus's knobs (see the package comment).
type shape struct {
	density   float64
	files     int
	spread    float64
	toolShare float64
	subagents float64
	replays   float64
}

type gen struct {
	sh       shape
	rng      *rand.Rand
	root     string
	target   int64
	written  int64
	text     []string // pre-escaped JSON string fragments
	start    time.Time
	span     time.Duration
	nextID   uint64
	replays  map[string][][]byte // project dir -> lines a resumed session may replay
	files    int
	assist   int
	truncate int
	// what was written, for the summary and for steering -tool-share and
	// -density toward their targets
	responses int
	toolBytes int64
	// scale factors the steering adjusts: tool result and assistant text sizes
	toolScale, textScale float64
}

func generate(out string, size int64, seed uint64, sh shape) error {
	g := &gen{
		sh:        sh,
		toolScale: 1,
		textScale: 1,
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		root:      filepath.Join(out, "projects"),
		target:    size,
		start:     time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC),
		span:      120 * 24 * time.Hour,
		replays:   map[string][][]byte{},
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	g.text = makeText(g.rng)
	for g.written < g.target {
		if err := g.session(); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "gen: %d files, %d MB, %d assistant lines, %d truncated lines in %s\n",
		g.files, g.written>>20, g.assist, g.truncate, g.root)
	// One line a script can keep: the shape as written.
	fmt.Printf("files=%d bytes=%d responses=%d kb_per_response=%.1f tool_share=%.2f\n", g.files, g.written,
		g.responses, float64(g.written)/1024/float64(max(g.responses, 1)), float64(g.toolBytes)/float64(max(g.written, 1)))
	return nil
}

// steer nudges the size scales after each response so the running density
// and tool share approach the knobs' targets (a knob left at zero keeps its
// scale at 1, the original mix).
func (g *gen) steer() {
	if g.sh.toolShare > 0 {
		share := float64(g.toolBytes) / float64(max(g.written, 1))
		if share < g.sh.toolShare {
			g.toolScale *= 1.02
		} else {
			g.toolScale /= 1.02
		}
		g.toolScale = min(max(g.toolScale, 0.01), 100)
	}
	if g.sh.density > 0 {
		perMB := float64(g.responses) / (float64(max(g.written, 1)) / (1 << 20))
		// Too dense: everything grows; too sparse: everything shrinks.
		f := 1.02
		if perMB < g.sh.density {
			f = 1 / f
		}
		g.textScale = min(max(g.textScale*f, 0.01), 100)
		if g.sh.toolShare == 0 {
			g.toolScale = min(max(g.toolScale*f, 0.01), 100)
		}
	}
}

// scaled is n times s, at least lo.
func scaled(n int, s float64, lo int) int { return max(int(float64(n)*s), lo) }

// makeText builds fragments of prose and code, already escaped for a JSON
// string: mostly ASCII, with the quotes, backslashes, newlines and tabs that
// JSON escapes, braces, and some non-ASCII symbols (→ ✓ — é 東京 🚀).
func makeText(rng *rand.Rand) []string {
	words := strings.Fields(`the of and to in is that for it with as on be this by are from or an
		func return err nil if else struct type package import const var range go defer select
		config token usage cache model session project account window limit switch daemon widget
		file test build run check fix error value result string byte slice map channel context
		"quoted" path/to/file.go x<y && a>b fmt.Println("done") → ✓ — café 東京 🚀`)
	code := []string{
		`func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {`,
		"\tif err != nil {", "\t\treturn fmt.Errorf(\"read %s: %w\", path, err)", "\t}", "}",
		`const x = {"id": 1, "name": "widget"};`, `for (let i = 0; i < n; i++) {`,
		`  "scripts": { "test": "vitest" },`, `C:\Users\dev\app`,
	}
	frags := make([]string, 4096)
	for i := range frags {
		var b strings.Builder
		if i%3 == 0 {
			// A code fragment: source lines joined by newlines.
			for j := 0; j < 4+rng.IntN(20); j++ {
				b.WriteString(code[rng.IntN(len(code))])
				b.WriteString("\n")
			}
			frags[i] = escape(b.String())
			continue
		}
		n := 20 + rng.IntN(120)
		for j := 0; j < n; j++ {
			b.WriteString(words[rng.IntN(len(words))])
			switch rng.IntN(12) {
			case 0:
				b.WriteString("\n")
			case 1:
				b.WriteString("\n\t")
			default:
				b.WriteString(" ")
			}
		}
		frags[i] = escape(b.String())
	}
	return frags
}

// escape JSON-escapes s the way JavaScript's JSON.stringify does (no HTML
// escaping of < > &), without the surrounding quotes.
func escape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	out := b.Bytes()
	return string(out[1 : len(out)-2]) // quotes and the encoder's newline
}

// textOf returns about n bytes of escaped text.
func (g *gen) textOf(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(g.text[g.rng.IntN(len(g.text))])
	}
	return b.String()
}

func (g *gen) id(prefix string) string {
	g.nextID++
	const alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	var b [24]byte
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return fmt.Sprintf("%s%s%06x", prefix, b[:], g.nextID)
}

func (g *gen) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", g.rng.Uint32(), g.rng.Uint32()&0xffff,
		g.rng.Uint32()&0xfff, 0x8000|g.rng.Uint32()&0x3fff, g.rng.Uint64()&0xffffffffffff)
}

func (g *gen) pickModel() string {
	total := 0
	for _, m := range models {
		total += m.weight
	}
	n := g.rng.IntN(total)
	for _, m := range models {
		if n < m.weight {
			return m.id
		}
		n -= m.weight
	}
	return models[0].id
}

func encodeDir(cwd string) string {
	r := strings.NewReplacer("/", "-", ".", "-", "_", "-")
	return r.Replace(cwd)
}

type sessionCtx struct {
	cwd, sessionID, version, branch string
	sidechain                       bool
	agentID                         string
	ts                              time.Time
	w                               *bufio.Writer
	replayable                      *[][]byte
}

func (g *gen) session() error {
	cwd := projects[g.rng.IntN(len(projects))]
	dir := filepath.Join(g.root, encodeDir(cwd))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sid := g.uuid()
	f, err := os.Create(filepath.Join(dir, sid+".jsonl"))
	if err != nil {
		return err
	}
	g.files++
	s := &sessionCtx{
		cwd: cwd, sessionID: sid, version: fmt.Sprintf("2.%d.%d", g.rng.IntN(2), g.rng.IntN(300)),
		branch: []string{"main", "feature/x", "fix-123"}[g.rng.IntN(3)],
		ts:     g.start.Add(time.Duration(g.rng.Int64N(int64(g.span)))),
		w:      bufio.NewWriterSize(f, 1<<20),
	}
	// A few sessions start near midnight UTC so day boundaries get exercised.
	if g.rng.IntN(8) == 0 {
		d := s.ts.Truncate(24 * time.Hour)
		s.ts = d.Add(23*time.Hour + 50*time.Minute)
	}
	key := dir
	var replay [][]byte
	s.replayable = &replay
	if g.rng.IntN(4) == 0 {
		g.emit(s, fmt.Appendf(nil, `{"type":"summary","summary":"%s","leafUuid":"%s"}`, g.textOf(40), g.uuid()))
	}
	// A resumed session replays the previous session's lines verbatim, with
	// the same message ids and request ids: they must be counted once.
	if prev := g.replays[key]; len(prev) > 0 && g.chance(g.sh.replays, 5) {
		for _, l := range prev {
			g.emit(s, l)
		}
	}
	if g.sh.files > 0 {
		// A session of about its drawn size.
		mean := float64(g.target) / float64(g.sh.files)
		sigma := g.sh.spread
		want := int64(mean * math.Exp(sigma*g.rng.NormFloat64()-sigma*sigma/2))
		for start := g.written; g.written-start < want && g.written < g.target; {
			if err := g.turn(s, dir); err != nil {
				return err
			}
		}
	} else {
		turns := 5 + g.rng.IntN(60)
		for t := 0; t < turns && g.written < g.target; t++ {
			if err := g.turn(s, dir); err != nil {
				return err
			}
		}
	}
	if g.rng.IntN(40) == 0 {
		// Claude Code was killed mid-write: an unterminated last line.
		line := g.assistantLine(s, g.id("msg_01"), g.id("req_011C"), g.pickModel(), usage{In: 3, Out: 10, CR: 1000}, `[{"type":"text","text":"cut"}]`)
		g.emitRaw(s, line[:len(line)/2])
		g.truncate++
	}
	g.replays[key] = replay
	if err := s.w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

type usage struct{ In, Out, CW, CW1h, CR int }

func (g *gen) usageFor() usage {
	u := usage{In: 1 + g.rng.IntN(12), Out: 5 + g.rng.IntN(1200), CR: 8000 + g.rng.IntN(130000)}
	if g.rng.IntN(3) == 0 {
		u.CW = 200 + g.rng.IntN(30000)
		if g.rng.IntN(2) == 0 {
			u.CW1h = u.CW
		}
	}
	if g.rng.IntN(20) == 0 {
		u.In = 2000 + g.rng.IntN(20000)
	}
	return u
}

func (g *gen) turn(s *sessionCtx, dir string) error {
	s.ts = s.ts.Add(time.Duration(5+g.rng.IntN(300)) * time.Second)
	g.emit(s, g.userPrompt(s))
	steps := 1 + g.rng.IntN(6)
	for i := 0; i < steps; i++ {
		s.ts = s.ts.Add(time.Duration(2+g.rng.IntN(40)) * time.Second)
		msgID, reqID := g.id("msg_01"), g.id("req_011C")
		model := g.pickModel()
		u := g.usageFor()
		blocks := g.blocks()
		partial := g.rng.IntN(5) == 0
		for b, content := range blocks {
			cu := u
			if partial && b < len(blocks)-1 {
				cu.Out = 1 + g.rng.IntN(u.Out) // streaming copy written before output finished
			}
			line := g.assistantLine(s, msgID, reqID, model, cu, content)
			g.emit(s, line)
			*s.replayable = append(*s.replayable, line)
			s.ts = s.ts.Add(time.Duration(g.rng.IntN(900)) * time.Millisecond)
		}
		g.responses++
		if g.chance(g.sh.subagents, 12) && !s.sidechain {
			if err := g.subagent(s, dir); err != nil {
				return err
			}
		}
		g.emitTool(s, g.toolResult(s))
		g.steer()
	}
	switch g.rng.IntN(30) {
	case 0:
		g.emit(s, fmt.Appendf(nil, `{"parentUuid":"%s","isSidechain":false,"userType":"external","cwd":"%s","sessionId":"%s","version":"%s","type":"system","subtype":"compact_boundary","content":"Conversation compacted","isMeta":false,"timestamp":"%s","uuid":"%s","level":"info"}`,
			g.uuid(), s.cwd, s.sessionID, s.version, ts(s.ts), g.uuid()))
	case 1:
		g.emit(s, fmt.Appendf(nil, `{"type":"file-history-snapshot","messageId":"%s","snapshot":{"messageId":"%s","trackedFileBackups":{"src/main.go":{"backupFileName":"%s@v2","version":2,"backupTime":"%s"}},"timestamp":"%s"},"isSnapshotUpdate":false}`,
			g.uuid(), g.uuid(), g.uuid(), ts(s.ts), ts(s.ts)))
	case 2:
		// An API error: Claude Code records a synthetic assistant message with zero usage.
		g.emit(s, g.assistantLine(s, g.uuid(), "", "<synthetic>", usage{}, `[{"type":"text","text":"API Error: 529 overloaded"}]`))
	case 3:
		// A line cut short by a crash, followed by normal lines.
		line := g.assistantLine(s, g.id("msg_01"), g.id("req_011C"), g.pickModel(), g.usageFor(), `[{"type":"text","text":"lost"}]`)
		g.emit(s, line[:g.rng.IntN(len(line)-1)])
		g.truncate++
	}
	return nil
}

// chance is true with probability p; at the default 1/n it draws exactly as
// the original generator did, so the default corpus stays the same.
func (g *gen) chance(p float64, n int) bool {
	if p == 1/float64(n) {
		return g.rng.IntN(n) == 0
	}
	return g.rng.Float64() < p
}

func (g *gen) blocks() []string {
	n := 1 + g.rng.IntN(3)
	out := make([]string, n)
	for i := range out {
		switch {
		case i == 0 && g.rng.IntN(2) == 0:
			out[i] = fmt.Sprintf(`[{"type":"thinking","thinking":"%s","signature":"%s"}]`, g.textOf(scaled(200+g.rng.IntN(3000), g.textScale, 20)), g.id("Eo"))
		case i == n-1:
			input := fmt.Sprintf(`{"file_path":"/home/dev/src/x.go","content":"%s"}`, g.textOf(scaled(100+g.rng.IntN(6000), g.textScale, 20)))
			if g.rng.IntN(3) == 0 {
				input = fmt.Sprintf(`{"command":"go test ./...","description":"%s"}`, g.textOf(60))
			}
			out[i] = fmt.Sprintf(`[{"type":"tool_use","id":"%s","name":"Write","input":%s}]`, g.id("toolu_01"), input)
		default:
			out[i] = fmt.Sprintf(`[{"type":"text","text":"%s"}]`, g.textOf(scaled(50+g.rng.IntN(1500), g.textScale, 20)))
		}
	}
	return out
}

func (g *gen) header(s *sessionCtx) string {
	side := "false"
	if s.sidechain {
		side = "true"
	}
	extra := ""
	if s.agentID != "" {
		extra = fmt.Sprintf(`"agentId":"%s",`, s.agentID)
	}
	return fmt.Sprintf(`"parentUuid":"%s","isSidechain":%s,"userType":"external","cwd":"%s","sessionId":"%s","version":"%s","gitBranch":"%s",%s`,
		g.uuid(), side, s.cwd, s.sessionID, s.version, s.branch, extra)
}

func usageJSON(u usage) string {
	return fmt.Sprintf(`{"input_tokens":%d,"cache_creation_input_tokens":%d,"cache_read_input_tokens":%d,"cache_creation":{"ephemeral_5m_input_tokens":%d,"ephemeral_1h_input_tokens":%d},"output_tokens":%d,"service_tier":"standard"}`,
		u.In, u.CW, u.CR, u.CW-u.CW1h, u.CW1h, u.Out)
}

func (g *gen) assistantLine(s *sessionCtx, msgID, reqID, model string, u usage, content string) []byte {
	g.assist++
	req := ""
	if reqID != "" {
		req = fmt.Sprintf(`"requestId":"%s",`, reqID)
	}
	apiErr := ""
	if model == "<synthetic>" {
		apiErr = `"isApiErrorMessage":true,`
	}
	return fmt.Appendf(nil, `{%s"message":{"model":"%s","id":"%s","type":"message","role":"assistant","content":%s,"stop_reason":null,"stop_sequence":null,"usage":%s},%s%s"type":"assistant","uuid":"%s","timestamp":"%s"}`,
		g.header(s), model, msgID, content, usageJSON(u), req, apiErr, g.uuid(), ts(s.ts))
}

func (g *gen) userPrompt(s *sessionCtx) []byte {
	return fmt.Appendf(nil, `{%s"type":"user","message":{"role":"user","content":"%s"},"uuid":"%s","timestamp":"%s","thinkingMetadata":{"level":"high","disabled":false,"triggers":[]}}`,
		g.header(s), g.textOf(80+g.rng.IntN(1500)), g.uuid(), ts(s.ts))
}

// toolResult is the bulk of a transcript: the tool output appears twice, in
// message.content and in toolUseResult.
func (g *gen) toolResult(s *sessionCtx) []byte {
	n := 300 + g.rng.IntN(4000)
	switch r := g.rng.IntN(1000); {
	case r < 15:
		n = 150000 + g.rng.IntN(650000)
	case r < 115:
		n = 8000 + g.rng.IntN(32000)
	}
	n = scaled(n, g.toolScale, 50)
	body := g.textOf(n)
	result := fmt.Sprintf(`{"stdout":"%s","stderr":"","interrupted":false,"isImage":false}`, body[:min(len(body), 2000)])
	if g.rng.IntN(15) == 0 {
		// A Task tool result carries the subagent's own usage object.
		result = fmt.Sprintf(`{"status":"completed","prompt":"%s","content":[{"type":"text","text":"done"}],"totalDurationMs":81234,"totalTokens":53211,"totalToolUseCount":7,"usage":{"input_tokens":6,"cache_creation_input_tokens":4021,"cache_read_input_tokens":48000,"output_tokens":1184,"service_tier":"standard"}}`, g.textOf(100))
	}
	return fmt.Appendf(nil, `{%s"type":"user","message":{"role":"user","content":[{"tool_use_id":"%s","type":"tool_result","content":"%s","is_error":false}]},"uuid":"%s","timestamp":"%s","toolUseResult":%s}`,
		g.header(s), g.id("toolu_01"), body, g.uuid(), ts(s.ts), result)
}

// subagent writes a sidechain transcript under <session>/subagents and repeats
// some of its responses as agent_progress lines in the parent file.
func (g *gen) subagent(parent *sessionCtx, dir string) error {
	sub := filepath.Join(dir, parent.sessionID, "subagents")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return err
	}
	agent := fmt.Sprintf("%08x", g.rng.Uint32())
	f, err := os.Create(filepath.Join(sub, "agent-"+agent+".jsonl"))
	if err != nil {
		return err
	}
	g.files++
	s := &sessionCtx{cwd: parent.cwd, sessionID: parent.sessionID, version: parent.version, branch: parent.branch,
		sidechain: true, agentID: agent, ts: parent.ts, w: bufio.NewWriterSize(f, 256<<10), replayable: new([][]byte)}
	steps := 2 + g.rng.IntN(8)
	for i := 0; i < steps; i++ {
		s.ts = s.ts.Add(time.Duration(1+g.rng.IntN(20)) * time.Second)
		msgID, reqID := g.id("msg_01"), g.id("req_011C")
		model := "claude-haiku-4-5-20251001"
		if g.rng.IntN(2) == 0 {
			model = g.pickModel()
		}
		u := g.usageFor()
		for _, content := range g.blocks() {
			line := g.assistantLine(s, msgID, reqID, model, u, content)
			g.emit(s, line)
		}
		g.responses++
		if g.rng.IntN(3) == 0 {
			parent.ts = s.ts
			g.emit(parent, fmt.Appendf(nil, `{%s"type":"progress","data":{"message":{"type":"assistant","message":{"model":"%s","id":"%s","type":"message","role":"assistant","content":[{"type":"text","text":"%s"}],"stop_reason":null,"stop_sequence":null,"usage":%s},"requestId":"%s","uuid":"%s","timestamp":"%s"},"type":"agent_progress","prompt":"","agentId":"%s"},"toolUseID":"%s","parentToolUseID":"%s","uuid":"%s","timestamp":"%s"}`,
				g.header(parent), model, msgID, g.textOf(100), usageJSON(u), reqID, g.uuid(), ts(s.ts), agent, g.id("toolu_01"), g.id("toolu_01"), g.uuid(), ts(s.ts)))
		}
		g.emitTool(s, g.toolResult(s))
	}
	parent.ts = s.ts
	if err := s.w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func (g *gen) emit(s *sessionCtx, line []byte) {
	g.emitRaw(s, line)
	s.w.WriteByte('\n')
	g.written++
}

func (g *gen) emitTool(s *sessionCtx, line []byte) {
	g.emit(s, line)
	g.toolBytes += int64(len(line)) + 1
}

func (g *gen) emitRaw(s *sessionCtx, line []byte) {
	s.w.Write(line)
	g.written += int64(len(line))
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
