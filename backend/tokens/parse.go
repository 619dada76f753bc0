package tokens

import (
	"bytes"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// Usage is the token counts of one API response (its Total is the measure
// two copies of a response are compared by).
type Usage = warm.Usage

// Entry is one usage fact read from a transcript line.
type Entry struct {
	MessageID    string // message.id; "" when the line has none (then it is never deduplicated)
	RequestID    string
	HasRequestID bool
	SessionID    string
	Model        string // "" when the line names none; "<model>-fast" for fast mode
	Time         int64  // unix milliseconds
	Sidechain    bool
	Usage        Usage
	CostUSD      float64 // the line's own costUSD (old Claude Code versions wrote one)
	HasCost      bool
	Cwd          string
}

// maxTokens bounds one count. No response comes near it; a larger value is
// corrupt data, and summing it could overflow SQLite's 64-bit integers.
const maxTokens = 1 << 40

// maxDepth mirrors serde_json's recursion limit, so a line ccusage refuses for
// nesting is refused here too.
const maxDepth = 127

// usageMarker is the literal every usage-bearing line contains: Claude Code
// writes compact JSON, and ccusage skips lines without it, so we do too.
var usageMarker = []byte(`"usage":{`)

// ParseLine appends the usage entries of one transcript line (without its
// newline) to dst: none for lines without usage or that are not valid JSON,
// one for an assistant response or an agent_progress line, plus one per
// advisor iteration. Which lines count, and how, follows ccusage 20.0.24,
// checked against its binary (see docs/performance.md, "Counting rules").
func ParseLine(dst []Entry, line []byte) []Entry {
	if !bytes.Contains(line, usageMarker) {
		return dst
	}
	return parseLine(dst, line, nil)
}

// parseLine is ParseLine for a line known to hold the usage marker.
// recent keeps the last value of the fields that repeat from line to line
// of a transcript (session, model, working directory), so parsing a line
// does not allocate them again; each reader has one.
type recent struct {
	session, model, cwd, version string
	messageID, requestID         string // copies of a response sit on adjacent lines
}

func parseLine(dst []Entry, line []byte, rc *recent) []Entry {
	p := lineParser{b: line}
	p.ws()
	if !p.peek('{') {
		return dst
	}
	p.top()
	p.ws()
	if p.bad || p.nullRejected || p.i != len(p.b) {
		return dst
	}
	if rc == nil {
		rc = &recent{}
	}
	var e Entry
	var m *msgFields
	switch {
	case p.direct.ok():
		d := &p.direct
		if d.version.set && !semverPrefix(p.reuse(d.version, &rc.version)) {
			return dst
		}
		e.Time, e.Sidechain = p.time(d.timestamp), d.sidechain
		e.RequestID, e.HasRequestID = p.reuse(d.requestID, &rc.requestID), d.requestID.set
		e.CostUSD, e.HasCost = d.cost, d.hasCost
		m = &d.msg
	case p.progress.ok():
		pr := &p.progress
		e.Time, e.Sidechain = p.time(pr.timestamp), pr.sidechain
		e.RequestID, e.HasRequestID = p.reuse(pr.requestID, &rc.requestID), pr.requestID.set
		e.CostUSD, e.HasCost = pr.cost, pr.hasCost
		m = &pr.msg
	default:
		return dst
	}
	if e.Time == badTime {
		return dst
	}
	e.SessionID = p.reuse(p.sessionID, &rc.session)
	e.MessageID = p.reuse(m.id, &rc.messageID)
	e.Model = p.reuse(m.model, &rc.model)
	e.Cwd = p.reuse(p.cwd, &rc.cwd)
	if (p.sessionID.set && e.SessionID == "") || (e.HasRequestID && e.RequestID == "") ||
		(m.id.set && e.MessageID == "") || (m.model.set && e.Model == "") {
		return dst
	}
	if e.Model == "<synthetic>" {
		e.Model = ""
	}
	e.Usage = m.usage.Usage
	if m.usage.fast && e.Model != "" {
		e.Model += "-fast"
	}
	dst = append(dst, e)
	// Advisor iterations are separate model calls billed inside one response.
	if m == &p.direct.msg && p.direct.msg.usage.itersOK {
		n := 0
		for _, it := range p.direct.msg.usage.iters {
			if !it.advisor || it.model == "" {
				continue
			}
			a := e
			if e.MessageID != "" {
				a.MessageID = e.MessageID + ":advisor:" + strconv.Itoa(n)
			}
			a.Model, a.Usage, a.CostUSD, a.HasCost = it.model, it.usage, 0, false
			dst = append(dst, a)
			n++
		}
	}
	return dst
}

// span is a string value inside the line; escaped ones are decoded on demand.
type span struct {
	start, end int
	escaped    bool
	set        bool
}

type usageFields struct {
	Usage
	seenIn, seenOut, seenCC, seenCR, seenCache, seenSpeed bool
	cache5m, cache1h                                      int64
	hasCacheObj, fast, bad                                bool
	seenIters, itersOK                                    bool
	iters                                                 []iteration
}

type iteration struct {
	advisor bool
	model   string
	usage   Usage
}

type msgFields struct {
	usage                     usageFields
	id, model                 span
	seenUsage, seenID, seenMd bool
	bad                       bool
}

// directFields is the assistant-line form: timestamp and message at the top.
type directFields struct {
	timestamp, version, requestID span
	msg                           msgFields
	cost                          float64
	hasCost, sidechain            bool
	seenTS, seenMsg, seenVer      bool
	seenCost, seenSide, seenRID   bool
	bad                           bool
}

func (d *directFields) ok() bool { return !d.bad && d.seenTS && d.seenMsg && !d.msg.bad }

// progressFields is the agent_progress form: the subagent's response sits in
// data.message, and only sessionId is read from the top.
type progressFields struct {
	timestamp, requestID        span
	msg                         msgFields
	cost                        float64
	hasCost, sidechain          bool
	seenData, seenInner, seenTS bool
	seenMsg, seenCost, seenSide bool
	seenRID                     bool
	bad                         bool
}

func (pr *progressFields) ok() bool {
	return !pr.bad && pr.seenData && pr.seenInner && pr.seenTS && pr.seenMsg && !pr.msg.bad
}

type lineParser struct {
	b            []byte
	i            int
	depth        int
	bad          bool // not valid JSON: the line is skipped
	nullRejected bool // a field ccusage never accepts as null was null
	direct       directFields
	progress     progressFields
	sessionID    span
	seenSID      bool
	cwd          span
}

func (p *lineParser) fail() { p.bad = true }

func (p *lineParser) peek(c byte) bool { return p.i < len(p.b) && p.b[p.i] == c }

func (p *lineParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// expect consumes optional whitespace and then c.
func (p *lineParser) expect(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	p.fail()
	return false
}

// members walks an object whose '{' is at p.i, calling fn with each key; fn
// must consume the value. It returns false on a syntax error.
func (p *lineParser) members(fn func(key []byte)) bool {
	if !p.open() {
		return false
	}
	if p.peek('}') {
		p.close()
		return true
	}
	for !p.bad {
		p.ws()
		if !p.peek('"') {
			p.fail()
			return false
		}
		k := p.stringSpan()
		if p.bad || !p.expect(':') {
			return false
		}
		p.ws()
		key := p.b[k.start:k.end]
		if k.escaped {
			key = []byte(p.str(k))
		}
		fn(key)
		if p.bad {
			return false
		}
		if !p.next('}') {
			return !p.bad
		}
	}
	return false
}

func (p *lineParser) top() {
	d, pr := &p.direct, &p.progress
	p.members(func(key []byte) {
		switch string(key) {
		case "timestamp":
			d.timestamp, d.bad = p.stringField(&d.seenTS, d.bad, false)
		case "message":
			p.messageMember(&d.msg, &d.seenMsg, &d.bad)
		case "version":
			d.version, d.bad = p.stringField(&d.seenVer, d.bad, true)
		case "sessionId":
			// Both forms read the top-level sessionId.
			var bad bool
			p.sessionID, bad = p.stringField(&p.seenSID, false, true)
			if bad {
				d.bad, pr.bad = true, true
			}
		case "costUSD":
			d.cost, d.hasCost, d.bad = p.floatField(&d.seenCost, d.bad)
		case "requestId":
			d.requestID, d.bad = p.stringField(&d.seenRID, d.bad, true)
		case "isSidechain":
			d.sidechain, d.bad = p.boolField(&d.seenSide, d.bad)
		case "data":
			if pr.seenData {
				pr.bad = true
			}
			pr.seenData = true
			if p.peek('{') {
				p.progressData(pr)
			} else {
				pr.bad = true
				p.skip(0)
			}
		case "cwd":
			if p.peek('"') && !p.cwd.set {
				p.cwd = p.stringSpan()
			} else {
				p.skipNamed(key, 0)
			}
		default:
			p.skipNamed(key, 0)
		}
	})
}

// messageMember reads a "message" member into m: an object with a usage.
func (p *lineParser) messageMember(m *msgFields, seen, bad *bool) {
	if *seen {
		*bad = true
	}
	*seen = true
	if p.peek('{') {
		p.message(m)
	} else {
		*bad = true
		p.skip(0)
	}
}

func (p *lineParser) progressData(pr *progressFields) {
	p.members(func(key []byte) {
		if string(key) != "message" {
			p.skipNamed(key, 0)
			return
		}
		if pr.seenInner {
			pr.bad = true
		}
		pr.seenInner = true
		if !p.peek('{') {
			pr.bad = true
			p.skip(0)
			return
		}
		p.members(func(key []byte) {
			switch string(key) {
			case "timestamp":
				pr.timestamp, pr.bad = p.stringField(&pr.seenTS, pr.bad, false)
			case "message":
				p.messageMember(&pr.msg, &pr.seenMsg, &pr.bad)
			case "costUSD":
				pr.cost, pr.hasCost, pr.bad = p.floatField(&pr.seenCost, pr.bad)
			case "requestId":
				pr.requestID, pr.bad = p.stringField(&pr.seenRID, pr.bad, true)
			case "isSidechain":
				pr.sidechain, pr.bad = p.boolField(&pr.seenSide, pr.bad)
			default:
				p.skipNamed(key, 0)
			}
		})
	})
}

func (p *lineParser) message(m *msgFields) {
	p.members(func(key []byte) {
		switch string(key) {
		case "usage":
			if m.seenUsage {
				m.bad = true
			}
			m.seenUsage = true
			if p.peek('{') {
				p.usage(&m.usage)
			} else {
				m.bad = true
				p.skip(0)
			}
		case "model":
			m.model, m.bad = p.stringField(&m.seenMd, m.bad, true)
		case "id":
			m.id, m.bad = p.stringField(&m.seenID, m.bad, true)
		default:
			p.skipNamed(key, 0)
		}
	})
	if !m.seenUsage || m.usage.bad {
		m.bad = true
	}
}

// usage reads message.usage.
func (p *lineParser) usage(u *usageFields) {
	p.members(func(key []byte) {
		if string(key) != "iterations" {
			u.member(p, key, 0)
			return
		}
		if u.seenIters {
			u.itersOK = false
			p.skip(flagIterations)
			return
		}
		u.seenIters = true
		u.itersOK = p.peek('[')
		if !u.itersOK {
			p.skip(0)
			return
		}
		p.iterations(u)
	})
	u.finish()
}

// iterations reads usage.iterations: per-call usage inside one response.
// Only advisor_message entries count on their own; an entry that does not
// fit the schema voids all of them (but not the response itself).
func (p *lineParser) iterations(u *usageFields) {
	if !p.open() {
		return
	}
	if p.peek(']') {
		p.close()
		return
	}
	for !p.bad {
		p.ws()
		if !p.peek('{') {
			u.itersOK = false
			p.skip(0)
		} else {
			var it iteration
			var iu usageFields
			var seenType, seenModel, bad bool
			p.members(func(key []byte) {
				switch string(key) {
				case "type":
					if seenType || !p.peek('"') {
						bad = true
						p.skipNamed(key, flagIteration)
						return
					}
					seenType = true
					it.advisor = p.str(p.stringSpan()) == "advisor_message"
				case "model":
					if seenModel {
						bad = true
					}
					seenModel = true
					switch {
					case p.peek('"'):
						it.model = p.str(p.stringSpan())
					case p.literal("null"): // allowed here, unlike anywhere else
					default:
						bad = true
						p.skip(0)
					}
				default:
					iu.member(p, key, flagIteration)
				}
			})
			iu.finish()
			if bad || !seenType || iu.bad {
				u.itersOK = false
			}
			it.usage = iu.Usage
			u.iters = append(u.iters, it)
		}
		if !p.next(']') {
			return
		}
	}
}

// open consumes '[' and the whitespace after it.
func (p *lineParser) open() bool {
	p.i++
	p.depth++
	if p.depth > maxDepth {
		p.fail()
		return false
	}
	p.ws()
	return true
}

func (p *lineParser) close() {
	p.i++
	p.depth--
}

// next consumes the ',' between elements, or the closing bracket (then it
// returns false).
func (p *lineParser) next(closing byte) bool {
	p.ws()
	if p.i >= len(p.b) {
		p.fail()
		return false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		return true
	case closing:
		p.close()
		return false
	}
	p.fail()
	return false
}

// member reads one member of a usage object (message.usage, or one entry of
// its iterations, which carries the same fields).
func (u *usageFields) member(p *lineParser, key []byte, flags int) {
	switch string(key) {
	case "input_tokens":
		u.Input, u.bad = p.countField(&u.seenIn, u.bad, false)
	case "output_tokens":
		u.Output, u.bad = p.countField(&u.seenOut, u.bad, false)
	case "cache_creation_input_tokens":
		u.CacheCreation, u.bad = p.countField(&u.seenCC, u.bad, true)
	case "cache_read_input_tokens":
		u.CacheRead, u.bad = p.countField(&u.seenCR, u.bad, true)
	case "cache_creation":
		if u.seenCache {
			u.bad = true
		}
		u.seenCache = true
		switch {
		case p.peek('{'):
			u.hasCacheObj = true
			var seen5, seen1 bool
			p.members(func(key []byte) {
				switch string(key) {
				case "ephemeral_5m_input_tokens":
					u.cache5m, u.bad = p.optionalCount(&seen5, u.bad)
				case "ephemeral_1h_input_tokens":
					u.cache1h, u.bad = p.optionalCount(&seen1, u.bad)
				default:
					p.skipNamed(key, 0)
				}
			})
		case p.literal("null"):
		default:
			u.bad = true
			p.skip(0)
		}
	case "speed":
		if u.seenSpeed {
			u.bad = true
		}
		u.seenSpeed = true
		switch {
		case p.peek('"'):
			switch p.str(p.stringSpan()) {
			case "fast":
				u.fast = true
			case "standard":
			default:
				u.bad = true
			}
		case p.literal("null"):
			p.nullRejected = true
		default:
			u.bad = true
			p.skip(0)
		}
	default:
		p.skipNamed(key, flags)
	}
}

func (u *usageFields) finish() {
	if !u.seenIn || !u.seenOut {
		u.bad = true
	}
	if u.hasCacheObj {
		// ccusage counts cache writes from the 5m/1h split whenever Claude
		// Code wrote one, and from cache_creation_input_tokens otherwise.
		u.CacheCreation = u.cache5m + u.cache1h
		u.CacheCreate1h = u.cache1h
	}
	if u.CacheCreation > maxTokens {
		u.bad = true
	}
}

// stringField reads a string member. A repeated member or a wrong type makes
// the form invalid (bad); null rejects the whole line when nullRejects is set
// (ccusage refuses nulls in those fields) and only the form otherwise.
func (p *lineParser) stringField(seen *bool, bad bool, nullRejects bool) (span, bool) {
	if *seen {
		bad = true
	}
	*seen = true
	switch {
	case p.peek('"'):
		return p.stringSpan(), bad
	case p.literal("null"):
		if nullRejects {
			p.nullRejected = true
		} else {
			bad = true
		}
		return span{}, bad
	default:
		p.skip(0)
		return span{}, true
	}
}

func (p *lineParser) floatField(seen *bool, bad bool) (float64, bool, bool) {
	if *seen {
		bad = true
	}
	*seen = true
	if p.literal("null") {
		p.nullRejected = true
		return 0, false, bad
	}
	if p.i < len(p.b) && (p.b[p.i] == '-' || isDigit(p.b[p.i])) {
		start := p.i
		p.number()
		f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
		if err != nil {
			p.fail()
		}
		return f, true, bad
	}
	p.skip(0)
	return 0, false, true
}

func (p *lineParser) boolField(seen *bool, bad bool) (bool, bool) {
	if *seen {
		bad = true
	}
	*seen = true
	switch {
	case p.literal("true"):
		return true, bad
	case p.literal("false"), p.literal("null"):
		return false, bad
	default:
		p.skip(0)
		return false, true
	}
}

// countField reads a token count: a non-negative integer. nullRejects marks
// the fields ccusage refuses as null.
func (p *lineParser) countField(seen *bool, bad bool, nullRejects bool) (int64, bool) {
	if *seen {
		bad = true
	}
	*seen = true
	if p.literal("null") {
		if nullRejects {
			p.nullRejected = true
		}
		return 0, true
	}
	n, ok := p.count()
	if !ok {
		return 0, true
	}
	return n, bad
}

func (p *lineParser) optionalCount(seen *bool, bad bool) (int64, bool) {
	if *seen {
		bad = true
	}
	*seen = true
	if p.literal("null") {
		return 0, bad
	}
	n, ok := p.count()
	if !ok {
		return 0, true
	}
	return n, bad
}

// count reads an unsigned integer value; anything else (a fraction, a sign,
// another type) is consumed and reported as not ok.
func (p *lineParser) count() (int64, bool) {
	start := p.i
	if p.i >= len(p.b) || !isDigit(p.b[p.i]) {
		p.skip(0)
		return 0, false
	}
	p.number()
	if p.bad {
		return 0, false
	}
	var n uint64
	for _, c := range p.b[start:p.i] {
		if !isDigit(c) {
			return 0, false
		}
		hi, lo := bits.Mul64(n, 10)
		lo, carry := bits.Add64(lo, uint64(c-'0'), 0)
		if hi != 0 || carry != 0 {
			return 0, false
		}
		n = lo
	}
	if n > maxTokens {
		return 0, false
	}
	return int64(n), true
}

// literal consumes word if it is next.
func (p *lineParser) literal(word string) bool {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	return false
}

const (
	flagUsage      = 1 << iota // the value of a "usage" member
	flagIterations             // the value of usage.iterations
	flagIteration              // an element of usage.iterations
)

// skipNamed skips the value of member key, applying ccusage's null rule:
// the fields below are refused as null wherever they appear.
func (p *lineParser) skipNamed(key []byte, flags int) {
	if p.peek('n') {
		if !p.literal("null") {
			p.fail()
			return
		}
		if nullRefused(key) && !(flags&flagIteration != 0 && string(key) == "model") {
			p.nullRejected = true
		}
		return
	}
	switch {
	case string(key) == "usage" && p.peek('{'):
		p.skip(flagUsage)
	default:
		p.skip(0)
	}
}

func nullRefused(key []byte) bool {
	switch string(key) {
	case "id", "cwd", "model", "speed", "costUSD", "version", "sessionId", "requestId",
		"isApiErrorMessage", "cache_read_input_tokens", "cache_creation_input_tokens":
		return true
	}
	return false
}

// skip validates and consumes any value. flags say where the value sits, for
// the null rule's one exception (a null model inside usage.iterations).
func (p *lineParser) skip(flags int) {
	if p.i >= len(p.b) {
		p.fail()
		return
	}
	switch c := p.b[p.i]; {
	case c == '"':
		p.stringSpan()
	case c == '{':
		p.members(func(key []byte) {
			if flags&flagUsage != 0 && string(key) == "iterations" && p.peek('[') {
				p.skip(flagIterations)
				return
			}
			p.skipNamed(key, flags&flagIteration)
		})
	case c == '[':
		if !p.open() {
			return
		}
		if p.peek(']') {
			p.close()
			return
		}
		elem := 0
		if flags&flagIterations != 0 {
			elem = flagIteration
		}
		for !p.bad {
			p.ws()
			p.skip(elem)
			if !p.next(']') {
				return
			}
		}
	case c == '-' || isDigit(c):
		p.number()
	case p.literal("true"), p.literal("false"), p.literal("null"):
	default:
		p.fail()
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number validates a JSON number at p.i. Like serde_json, it refuses one
// that does not fit a float64.
func (p *lineParser) number() {
	start := p.i
	b := p.b
	if p.i < len(b) && b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(b) && b[p.i] == '0':
		p.i++
	case p.i < len(b) && b[p.i] >= '1' && b[p.i] <= '9':
		for p.i < len(b) && isDigit(b[p.i]) {
			p.i++
		}
	default:
		p.fail()
		return
	}
	simple := true
	if p.i < len(b) && b[p.i] == '.' {
		simple = false
		p.i++
		d := p.i
		for p.i < len(b) && isDigit(b[p.i]) {
			p.i++
		}
		if p.i == d {
			p.fail()
			return
		}
	}
	if p.i < len(b) && (b[p.i] == 'e' || b[p.i] == 'E') {
		simple = false
		p.i++
		if p.i < len(b) && (b[p.i] == '+' || b[p.i] == '-') {
			p.i++
		}
		d := p.i
		for p.i < len(b) && isDigit(b[p.i]) {
			p.i++
		}
		if p.i == d {
			p.fail()
			return
		}
	}
	if !simple || p.i-start > 300 {
		if _, err := strconv.ParseFloat(string(b[start:p.i]), 64); err != nil {
			p.fail()
		}
	}
}

// stringSpan validates and consumes a string whose opening quote is at p.i,
// checking what serde_json checks: escapes (surrogates paired), no control
// characters, valid UTF-8. This loop is where most parsing time goes: a
// table lookup per byte, four at a time, stops only at quotes, backslashes,
// control bytes and non-ASCII, and the common escapes are stepped over in
// place. (SWAR variants were measured no faster: transcripts escape a
// character every 20 bytes or so.)
func (p *lineParser) stringSpan() span {
	b := p.b
	i := p.i + 1
	s := span{start: i} // set only once the closing quote is found
	for {
		for i+4 <= len(b) {
			_ = b[i+3]
			if strTable[b[i]] != 0 {
				break
			}
			if strTable[b[i+1]] != 0 {
				i++
				break
			}
			if strTable[b[i+2]] != 0 {
				i += 2
				break
			}
			if strTable[b[i+3]] != 0 {
				i += 3
				break
			}
			i += 4
		}
		for i < len(b) && strTable[b[i]] == 0 {
			i++
		}
		if i >= len(b) {
			p.i = i
			p.fail()
			return s
		}
		switch c := b[i]; {
		case c == '"':
			s.end, s.set = i, true
			p.i = i + 1
			return s
		case c == '\\':
			s.escaped = true
			if i+1 < len(b) {
				switch b[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
					continue
				}
			}
			p.i = i
			if !p.escape() {
				p.fail()
				return s
			}
			i = p.i
		case c >= 0x80:
			n := utf8Len(b[i:])
			if n == 0 {
				p.i = i
				p.fail()
				return s
			}
			i += n
		default:
			p.i = i
			p.fail()
			return s
		}
	}
}

// utf8Len is the length of the valid UTF-8 sequence starting b (whose first
// byte is not ASCII), or 0 when it is not valid (the ranges of RFC 3629, as
// in unicode/utf8).
func utf8Len(b []byte) int {
	c := b[0]
	cont := func(x byte) bool { return x&0xc0 == 0x80 }
	switch {
	case c < 0xc2:
		return 0
	case c < 0xe0:
		if len(b) < 2 || !cont(b[1]) {
			return 0
		}
		return 2
	case c < 0xf0:
		if len(b) < 3 || !cont(b[2]) {
			return 0
		}
		lo, hi := byte(0x80), byte(0xbf)
		if c == 0xe0 {
			lo = 0xa0
		} else if c == 0xed {
			hi = 0x9f
		}
		if b[1] < lo || b[1] > hi {
			return 0
		}
		return 3
	case c < 0xf5:
		if len(b) < 4 || !cont(b[2]) || !cont(b[3]) {
			return 0
		}
		lo, hi := byte(0x80), byte(0xbf)
		if c == 0xf0 {
			lo = 0x90
		} else if c == 0xf4 {
			hi = 0x8f
		}
		if b[1] < lo || b[1] > hi {
			return 0
		}
		return 4
	}
	return 0
}

// strTable marks the bytes stringSpan must look at.
var strTable = func() (t [256]byte) {
	for c := 0; c < 0x20; c++ {
		t[c] = 1
	}
	for c := 0x80; c < 0x100; c++ {
		t[c] = 1
	}
	t['"'], t['\\'] = 1, 1
	return t
}()

// escape consumes one escape sequence at p.i (the backslash).
func (p *lineParser) escape() bool {
	b := p.b
	if p.i+1 >= len(b) {
		return false
	}
	switch b[p.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.i += 2
		return true
	case 'u':
		r, ok := hex4(b, p.i+2)
		if !ok {
			return false
		}
		p.i += 6
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if p.i+1 < len(b) && b[p.i] == '\\' && b[p.i+1] == 'u' {
				r2, ok := hex4(b, p.i+2)
				if ok && r2 >= 0xdc00 && r2 < 0xe000 {
					p.i += 6
					return true
				}
			}
			return false
		case r >= 0xdc00 && r < 0xe000:
			return false
		}
		return true
	}
	return false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// str returns the decoded text of a string span ("" when unset).
func (p *lineParser) str(s span) string {
	if !s.set {
		return ""
	}
	raw := p.b[s.start:s.end]
	if !s.escaped {
		return string(raw)
	}
	return unescape(raw)
}

// reuse is str, returning *last instead of a new string when the value is
// the same (as it mostly is on consecutive lines), and keeping it in *last.
func (p *lineParser) reuse(s span, last *string) string {
	if !s.set || s.escaped {
		return p.str(s)
	}
	if raw := p.b[s.start:s.end]; string(raw) != *last {
		*last = string(raw)
	}
	return *last
}

// unescape decodes an already validated JSON string body.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, _ := hex4(raw, i+2)
			i += 6
			if r >= 0xd800 && r < 0xdc00 {
				r2, _ := hex4(raw, i+2)
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, raw[i+1])
		}
		i += 2
	}
	return string(out)
}

// semverPrefix reports whether v starts with digits.digits.digit, which is
// what ccusage requires of a line's Claude Code version.
func semverPrefix(v string) bool {
	i := 0
	for part := 0; part < 2; part++ {
		start := i
		for i < len(v) && isDigit(v[i]) {
			i++
		}
		if i == start || i >= len(v) || v[i] != '.' {
			return false
		}
		i++
	}
	return i < len(v) && isDigit(v[i])
}
