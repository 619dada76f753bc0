package tokens

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"zombiezen.com/go/sqlite"

	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/tokens/warm"
)

// A response is identified by its dedupe key. Claude Code writes the same
// response several times while streaming (one line per content block, and
// again in resumed sessions and agent_progress lines), always with the same
// message id and request id.
func dedupeKey(path string, e *fileEntry) string {
	switch {
	case e.MessageID == "":
		// Nothing to match copies by: each line counts (as in ccusage).
		return "@" + path + ":" + strconv.FormatInt(e.offset, 10) + ":" + strconv.Itoa(e.sub)
	case e.HasRequestID:
		return e.MessageID + "\x00" + e.RequestID
	default:
		// No request id: ccusage matches such copies only within a session,
		// and, unless the id is Anthropic's own msg_…, only at the same instant.
		k := e.MessageID + "\x00\x00" + e.SessionID
		if !strings.HasPrefix(e.MessageID, "msg_") {
			k += "\x00" + strconv.FormatInt(e.Time, 10)
		}
		return k
	}
}

func keyHash(key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return int64(h.Sum64())
}

// fact is one response as stored.
type fact struct {
	ts        int64
	model     string
	modelID   int64
	projectID int64
	sidechain bool
	class     int
	usage     Usage
	cost      float64 // recorded costUSD (class 3)
}

// estimate prices a fact for comparing copies; unpriced counts as zero.
func (f *fact) estimate() float64 {
	c, _ := costOf(f.model, f.class, f.usage, f.cost)
	return c
}

// better reports whether copy c should be counted instead of copy e. The
// order is ccusage's: a main-chain copy beats a sidechain replay, then more
// tokens win (earlier streaming copies carry partial output counts), then a
// higher cost, then fast mode; after that the earlier copy wins, so the
// result does not depend on the order files are read in.
func better(c, e *fact) bool {
	if c.sidechain != e.sidechain {
		return e.sidechain
	}
	if ct, et := c.usage.Total(), e.usage.Total(); ct != et {
		return ct > et
	}
	if cc, ec := c.estimate(), e.estimate(); cc != ec {
		return cc > ec
	}
	if cf, ef := strings.HasSuffix(c.model, "-fast"), strings.HasSuffix(e.model, "-fast"); cf != ef {
		return cf
	}
	return c.ts < e.ts
}

const bucketMS = warm.BucketMS

// bucketOf is the quarter hour holding ts (warm.BucketOf).
func bucketOf(ts int64) int64 { return warm.BucketOf(ts) }

type aggKey struct {
	bucket, modelID, projectID int64
	class                      int
}

type aggDelta struct {
	messages int64
	usage    Usage
	cost     float64
}

func (d *aggDelta) addFact(f *fact, sign int64) {
	d.messages += sign
	d.usage.Input += sign * f.usage.Input
	d.usage.Output += sign * f.usage.Output
	d.usage.CacheCreation += sign * f.usage.CacheCreation
	d.usage.CacheCreate1h += sign * f.usage.CacheCreate1h
	d.usage.CacheRead += sign * f.usage.CacheRead
	d.cost += float64(sign) * f.cost
}

// merger holds one write transaction's state.
type merger struct {
	conn     *sqlite.Conn
	projects map[string]int64 // dir -> id
	paths    map[int64]string // id -> recorded path
	models   map[string]int64
	names    map[int64]string
	deltas   map[aggKey]*aggDelta
	added    int
	improved int
	fresh    *freshLedger
	queued   []queuedRow      // new responses not inserted yet (see record)
	queuedAt map[int64]int    // hash -> index in queued
	fileIDs  map[string]int64 // files the scan found recorded, by path
	allFiles map[string]int64 // every recorded file, read when needed
}

// freshLedger lets a scan that started on an empty ledger (the first run,
// which reads everything) skip looking each response up before inserting
// it: a response can only be stored already if this scan stored it, which
// seen records. Each transaction first checks that nobody else wrote
// meanwhile (the ledger's generation is still the one this scan left); if
// another process did, lookups resume.
type freshLedger struct {
	active bool
	gen    int64
	seen   map[int64]struct{}
}

func (f *freshLedger) check(conn *sqlite.Conn, first bool) error {
	if !first && !f.active {
		return nil
	}
	gen, err := generation(conn)
	if err != nil {
		return err
	}
	if !first {
		if gen != f.gen {
			f.active, f.seen = false, nil
		}
		return nil
	}
	stmt := conn.Prep(`SELECT EXISTS (SELECT 1 FROM token_messages)`)
	defer stmt.Reset()
	if _, err := stmt.Step(); err != nil {
		return err
	}
	f.active, f.seen = !stmt.ColumnBool(0), map[int64]struct{}{}
	return nil
}

// done notes the generation this scan's transaction left.
func (f *freshLedger) done(conn *sqlite.Conn) error {
	if !f.active {
		return nil
	}
	var err error
	f.gen, err = generation(conn)
	return err
}

// write runs fn in one write transaction with a merger, then stores the
// aggregates its records changed.
func (l *Ledger) write(h *store.Held, fresh *freshLedger, q *insertQueue, first bool, fileIDs map[string]int64, fn func(m *merger) error, st *ScanStats) error {
	if q.at == nil {
		q.at = map[int64]int{}
	}
	err := h.WriteUnchecked(func(conn *sqlite.Conn) error {
		clear(q.at) // left over from a transaction that failed
		m := &merger{conn: conn, deltas: map[aggKey]*aggDelta{}, fresh: fresh, fileIDs: fileIDs, queued: q.rows[:0], queuedAt: q.at}
		defer func() { q.rows = m.queued[:0] }()
		if err := fresh.check(conn, first); err != nil {
			return err
		}
		if err := m.loadDims(); err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		if err := m.flush(); err != nil {
			return err
		}
		if err := m.applyDeltas(); err != nil {
			return err
		}
		if err := bumpGeneration(conn); err != nil {
			return err
		}
		if err := fresh.done(conn); err != nil {
			return err
		}
		st.Added += m.added
		st.Improved += m.improved
		return nil
	})
	if err != nil {
		return fmt.Errorf("saving token usage: %w", err)
	}
	return nil
}

// file records one file's responses and its new offset in the caller's
// transaction, so a crash or a concurrent scan in another process never
// counts anything twice.
func (m *merger) file(r *parsed) error {
	projectID, err := m.project(r.file.project, r.cwd)
	if err != nil {
		return err
	}
	for i := range r.keys {
		k := &r.keys[i]
		k.fact.projectID = projectID
		if k.fact.modelID, err = m.model(k.fact.model); err != nil {
			return err
		}
		if err := m.record(k.id, &k.fact); err != nil {
			return err
		}
	}
	return m.saveFile(r.file, projectID, &r.readResult)
}

func (m *merger) loadDims() error {
	m.projects, m.paths = map[string]int64{}, map[int64]string{}
	m.models, m.names = map[string]int64{}, map[int64]string{}
	stmt := m.conn.Prep(`SELECT id, dir, path FROM token_projects`)
	for {
		row, err := stmt.Step()
		if err != nil {
			return err
		}
		if !row {
			break
		}
		m.projects[stmt.ColumnText(1)] = stmt.ColumnInt64(0)
		m.paths[stmt.ColumnInt64(0)] = stmt.ColumnText(2)
	}
	stmt = m.conn.Prep(`SELECT id, name FROM token_models`)
	for {
		row, err := stmt.Step()
		if err != nil {
			return err
		}
		if !row {
			return nil
		}
		m.models[stmt.ColumnText(1)] = stmt.ColumnInt64(0)
		m.names[stmt.ColumnInt64(0)] = stmt.ColumnText(1)
	}
}

// project returns the id of project dir, recording cwd as its path when the
// transcripts name one (the decoded directory name is only a guess).
func (m *merger) project(dir, cwd string) (int64, error) {
	id, ok := m.projects[dir]
	if ok {
		if cwd != "" && m.paths[id] != cwd && m.paths[id] == DecodeProjectDir(dir) {
			stmt := m.conn.Prep(`UPDATE token_projects SET path = ? WHERE id = ?`)
			stmt.BindText(1, cwd)
			stmt.BindInt64(2, id)
			if _, err := stmt.Step(); err != nil {
				return 0, err
			}
			stmt.Reset()
			m.paths[id] = cwd
		}
		return id, nil
	}
	path := cwd
	if path == "" {
		path = DecodeProjectDir(dir)
	}
	stmt := m.conn.Prep(`INSERT INTO token_projects(dir, path) VALUES (?, ?)`)
	stmt.BindText(1, dir)
	stmt.BindText(2, path)
	if _, err := stmt.Step(); err != nil {
		return 0, err
	}
	stmt.Reset()
	id = m.conn.LastInsertRowID()
	m.projects[dir], m.paths[id] = id, path
	return id, nil
}

func (m *merger) model(name string) (int64, error) {
	if id, ok := m.models[name]; ok {
		return id, nil
	}
	stmt := m.conn.Prep(`INSERT INTO token_models(name) VALUES (?)`)
	stmt.BindText(1, name)
	if _, err := stmt.Step(); err != nil {
		return 0, err
	}
	stmt.Reset()
	id := m.conn.LastInsertRowID()
	m.models[name], m.names[id] = id, name
	return id, nil
}

// saveFile stores a file's new state. Files are found by path in memory:
// those the scan already knew by id, others in a map of the table read
// (once per transaction) when the first new file comes, which also catches a
// file another aimonitor process added meanwhile.
func (m *merger) saveFile(fi fileInfo, projectID int64, r *readResult) error {
	id, ok := m.fileIDs[fi.path]
	if !ok {
		if m.allFiles == nil {
			m.allFiles = map[string]int64{}
			stmt := m.conn.Prep(`SELECT id, path FROM token_files`)
			for {
				row, err := stmt.Step()
				if err != nil {
					stmt.Reset()
					return err
				}
				if !row {
					break
				}
				m.allFiles[stmt.ColumnText(1)] = stmt.ColumnInt64(0)
			}
		}
		id, ok = m.allFiles[fi.path]
	}
	var stmt *sqlite.Stmt
	if ok {
		stmt = m.conn.Prep(`UPDATE token_files SET project_id = ?2, size = ?3, mtime_ns = ?4, inode = ?5,
			consumed = ?6, tail_hash = ?7 WHERE id = ?8 AND path = ?1`)
		stmt.BindInt64(8, id)
	} else {
		stmt = m.conn.Prep(`INSERT INTO token_files(path, project_id, size, mtime_ns, inode, consumed, tail_hash)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`)
	}
	stmt.BindText(1, fi.path)
	stmt.BindInt64(2, projectID)
	stmt.BindInt64(3, r.eof)
	stmt.BindInt64(4, fi.mtimeNS)
	stmt.BindInt64(5, int64(fi.inode))
	stmt.BindInt64(6, r.consumed)
	stmt.BindInt64(7, r.tail)
	_, err := stmt.Step()
	stmt.Reset()
	if err != nil {
		return err
	}
	if !ok {
		m.allFiles[fi.path] = m.conn.LastInsertRowID()
	}
	return nil
}

// record stores one response, or a better copy of one already stored.
// Responses are identified by the 64-bit hash of their key, the table's
// rowid (docs/performance.md, "Leaner rows", says why that is enough). New
// ones are queued and inserted in hash order, insertBatch at a time and
// the rest when the transaction ends, so the inserts walk the B-tree in
// order instead of jumping around it.
func (m *merger) record(h int64, f *fact) error {
	if i, ok := m.queuedAt[h]; ok {
		q := &m.queued[i].fact
		if better(f, q) {
			m.improved++
			m.delta(q, -1)
			m.delta(f, 1)
			*q = *f
		}
		return nil
	}
	if fr := m.fresh; fr.active {
		if _, stored := fr.seen[h]; !stored {
			fr.seen[h] = struct{}{}
			return m.queue(h, f)
		}
	}
	find := m.conn.Prep(`SELECT ts, model_id, project_id, sidechain, class, input, output,
		cache_create, cache_create_1h, cache_read, coalesce(cost_usd, 0) FROM token_messages WHERE h = ?`)
	find.BindInt64(1, h)
	row, err := find.Step()
	if err != nil {
		find.Reset()
		return err
	}
	if !row {
		find.Reset()
		return m.queue(h, f)
	}
	old := fact{ts: find.ColumnInt64(0), modelID: find.ColumnInt64(1), projectID: find.ColumnInt64(2),
		sidechain: find.ColumnBool(3), class: find.ColumnInt(4),
		usage: Usage{Input: find.ColumnInt64(5), Output: find.ColumnInt64(6), CacheCreation: find.ColumnInt64(7),
			CacheCreate1h: find.ColumnInt64(8), CacheRead: find.ColumnInt64(9)},
		cost: find.ColumnFloat(10)}
	old.model = m.names[old.modelID]
	find.Reset()
	if !better(f, &old) {
		return nil
	}
	upd := m.conn.Prep(`UPDATE token_messages SET ts = ?2, model_id = ?3, project_id = ?4,
		sidechain = ?5, class = ?6, input = ?7, output = ?8, cache_create = ?9, cache_create_1h = ?10,
		cache_read = ?11, cost_usd = ?12 WHERE h = ?1`)
	bindFact(upd, h, f)
	_, err = upd.Step()
	upd.Reset()
	if err != nil {
		return err
	}
	m.improved++
	m.delta(&old, -1)
	m.delta(f, 1)
	return nil
}

// insertQueue keeps the merger's queue of new responses and its index from
// one transaction of a scan to the next, instead of growing new ones in each
// (fresh memory costs a page fault per 4 KB).
type insertQueue struct {
	rows []queuedRow
	at   map[int64]int // hash -> index in rows
}

// queuedRow is a response to insert when the transaction ends.
type queuedRow struct {
	h    int64
	fact fact
}

func (m *merger) queue(h int64, f *fact) error {
	m.queuedAt[h] = len(m.queued)
	m.queued = append(m.queued, queuedRow{h: h, fact: *f})
	m.added++
	m.delta(f, 1)
	if len(m.queued) >= insertBatch {
		return m.flush()
	}
	return nil
}

// insertBatch is how many new responses are queued before they are
// inserted. Sorted runs of this size cost less CPU than inserting each at
// once (dense cold scan 0.95 -> 0.88 s) without the memory of queuing a
// whole transaction's (+13 MB on a 1 GB first scan).
var insertBatch = 4096 // a variable for tests

// flush inserts the queued responses in hash order and empties the queue.
func (m *merger) flush() error {
	slices.SortFunc(m.queued, func(a, b queuedRow) int { return cmp.Compare(a.h, b.h) })
	ins := m.conn.Prep(`INSERT INTO token_messages(h, ts, model_id, project_id, sidechain, class,
		input, output, cache_create, cache_create_1h, cache_read, cost_usd)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`)
	for i := range m.queued {
		q := &m.queued[i]
		bindFact(ins, q.h, &q.fact)
		_, err := ins.Step()
		ins.Reset()
		if err != nil {
			return err
		}
	}
	m.queued = m.queued[:0]
	clear(m.queuedAt)
	return nil
}

func bindFact(stmt *sqlite.Stmt, h int64, f *fact) {
	stmt.BindInt64(1, h)
	stmt.BindInt64(2, f.ts)
	stmt.BindInt64(3, f.modelID)
	stmt.BindInt64(4, f.projectID)
	stmt.BindBool(5, f.sidechain)
	stmt.BindInt64(6, int64(f.class))
	stmt.BindInt64(7, f.usage.Input)
	stmt.BindInt64(8, f.usage.Output)
	stmt.BindInt64(9, f.usage.CacheCreation)
	stmt.BindInt64(10, f.usage.CacheCreate1h)
	stmt.BindInt64(11, f.usage.CacheRead)
	if f.class == classRecorded {
		stmt.BindFloat(12, f.cost)
	} else {
		stmt.BindNull(12)
	}
}

func (m *merger) delta(f *fact, sign int64) {
	k := aggKey{bucketOf(f.ts), f.modelID, f.projectID, f.class}
	d := m.deltas[k]
	if d == nil {
		d = &aggDelta{}
		m.deltas[k] = d
	}
	d.addFact(f, sign)
}

func (m *merger) applyDeltas() error {
	up := m.conn.Prep(`INSERT INTO token_usage(bucket, model_id, project_id, class, messages, input, output,
		cache_create, cache_create_1h, cache_read, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(bucket, model_id, project_id, class) DO UPDATE SET messages = messages + excluded.messages,
		input = input + excluded.input, output = output + excluded.output,
		cache_create = cache_create + excluded.cache_create, cache_create_1h = cache_create_1h + excluded.cache_create_1h,
		cache_read = cache_read + excluded.cache_read, cost_usd = cost_usd + excluded.cost_usd`)
	del := m.conn.Prep(`DELETE FROM token_usage WHERE bucket = ? AND model_id = ? AND project_id = ? AND class = ? AND messages <= 0`)
	// In key order, pages fill one after the other instead of splitting
	// all over the tree.
	keys := make([]aggKey, 0, len(m.deltas))
	for k := range m.deltas {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b aggKey) int {
		return cmp.Or(cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.modelID, b.modelID),
			cmp.Compare(a.projectID, b.projectID), cmp.Compare(a.class, b.class))
	})
	for _, k := range keys {
		d := m.deltas[k]
		if *d == (aggDelta{}) {
			continue
		}
		up.BindInt64(1, k.bucket)
		up.BindInt64(2, k.modelID)
		up.BindInt64(3, k.projectID)
		up.BindInt64(4, int64(k.class))
		up.BindInt64(5, d.messages)
		up.BindInt64(6, d.usage.Input)
		up.BindInt64(7, d.usage.Output)
		up.BindInt64(8, d.usage.CacheCreation)
		up.BindInt64(9, d.usage.CacheCreate1h)
		up.BindInt64(10, d.usage.CacheRead)
		up.BindFloat(11, d.cost)
		_, err := up.Step()
		up.Reset()
		if err != nil {
			return err
		}
		if d.messages < 0 {
			del.BindInt64(1, k.bucket)
			del.BindInt64(2, k.modelID)
			del.BindInt64(3, k.projectID)
			del.BindInt64(4, int64(k.class))
			_, err := del.Step()
			del.Reset()
			if err != nil {
				return err
			}
		}
	}
	return nil
}
