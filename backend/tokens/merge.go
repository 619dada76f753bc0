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

const bucketMS = 15 * 60 * 1000

// bucketOf is the quarter hour holding ts (floor division: ts may precede 1970).
func bucketOf(ts int64) int64 {
	b := ts / bucketMS
	if ts%bucketMS < 0 {
		b--
	}
	return b
}

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
	fileIDs  map[string]int64 // files the scan found recorded, by path
	allFiles map[string]int64 // every recorded file, read when needed
}

// freshLedger lets a scan that started on an empty ledger (the first run,
// which reads everything) skip looking each response up before inserting
// it: a response can only be stored already if this scan stored it, which
// seen records. Each transaction first checks that nobody else wrote
// responses meanwhile (the highest id is still the one this scan left);
// if another process did, lookups resume.
type freshLedger struct {
	active bool
	maxID  int64
	seen   map[int64]struct{}
}

func (f *freshLedger) check(conn *sqlite.Conn, first bool) error {
	if !first && !f.active {
		return nil
	}
	stmt := conn.Prep(`SELECT coalesce(max(id), 0) FROM token_messages`)
	defer stmt.Reset()
	if _, err := stmt.Step(); err != nil {
		return err
	}
	max := stmt.ColumnInt64(0)
	switch {
	case first:
		f.active, f.maxID, f.seen = max == 0, 0, map[int64]struct{}{}
	case max != f.maxID:
		f.active, f.seen = false, nil
	}
	return nil
}

// write runs fn in one write transaction with a merger, then stores the
// aggregates its records changed.
func (l *Ledger) write(h *store.Held, fresh *freshLedger, first bool, fileIDs map[string]int64, fn func(m *merger) error, st *ScanStats) error {
	err := h.WriteUnchecked(func(conn *sqlite.Conn) error {
		m := &merger{conn: conn, deltas: map[aggKey]*aggDelta{}, fresh: fresh, fileIDs: fileIDs}
		if err := fresh.check(conn, first); err != nil {
			return err
		}
		if err := m.loadDims(); err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		if err := m.applyDeltas(); err != nil {
			return err
		}
		if err := bumpGeneration(conn); err != nil {
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
		if err := m.record(k.id, k.key, &k.fact); err != nil {
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
// Responses are found by the hash of their key; the key itself, stored
// alongside, is what decides identity, so a hash collision costs a second
// comparison and never merges two responses.
func (m *merger) record(h int64, key string, f *fact) error {
	if fr := m.fresh; fr.active {
		if _, stored := fr.seen[h]; !stored {
			fr.seen[h] = struct{}{}
			return m.insert(h, key, f)
		}
	}
	find := m.conn.Prep(`SELECT id, key, ts, model_id, project_id, sidechain, class, input, output,
		cache_create, cache_create_1h, cache_read, coalesce(cost_usd, 0) FROM token_messages WHERE h = ?`)
	find.BindInt64(1, h)
	var id int64
	var old fact
	for {
		row, err := find.Step()
		if err != nil {
			find.Reset()
			return err
		}
		if !row {
			break
		}
		if find.ColumnText(1) != key {
			continue
		}
		id = find.ColumnInt64(0)
		old = fact{ts: find.ColumnInt64(2), modelID: find.ColumnInt64(3), projectID: find.ColumnInt64(4),
			sidechain: find.ColumnBool(5), class: find.ColumnInt(6),
			usage: Usage{Input: find.ColumnInt64(7), Output: find.ColumnInt64(8), CacheCreation: find.ColumnInt64(9),
				CacheCreate1h: find.ColumnInt64(10), CacheRead: find.ColumnInt64(11)},
			cost: find.ColumnFloat(12)}
		old.model = m.names[old.modelID]
		break
	}
	find.Reset()
	if id == 0 {
		return m.insert(h, key, f)
	}
	if !better(f, &old) {
		return nil
	}
	upd := m.conn.Prep(`UPDATE token_messages SET ts = ?3, model_id = ?4, project_id = ?5,
		sidechain = ?6, class = ?7, input = ?8, output = ?9, cache_create = ?10, cache_create_1h = ?11,
		cache_read = ?12, cost_usd = ?13 WHERE id = ?14 AND h = ?1 AND key = ?2`)
	bindFact(upd, h, key, f)
	upd.BindInt64(14, id)
	_, err := upd.Step()
	upd.Reset()
	if err != nil {
		return err
	}
	m.improved++
	m.delta(&old, -1)
	m.delta(f, 1)
	return nil
}

func (m *merger) insert(h int64, key string, f *fact) error {
	ins := m.conn.Prep(`INSERT INTO token_messages(h, key, ts, model_id, project_id, sidechain, class,
		input, output, cache_create, cache_create_1h, cache_read, cost_usd)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)`)
	bindFact(ins, h, key, f)
	_, err := ins.Step()
	ins.Reset()
	if err != nil {
		return err
	}
	if m.fresh.active {
		m.fresh.maxID = m.conn.LastInsertRowID()
	}
	m.added++
	m.delta(f, 1)
	return nil
}

func bindFact(stmt *sqlite.Stmt, h int64, key string, f *fact) {
	stmt.BindInt64(1, h)
	stmt.BindText(2, key)
	stmt.BindInt64(3, f.ts)
	stmt.BindInt64(4, f.modelID)
	stmt.BindInt64(5, f.projectID)
	stmt.BindBool(6, f.sidechain)
	stmt.BindInt64(7, int64(f.class))
	stmt.BindInt64(8, f.usage.Input)
	stmt.BindInt64(9, f.usage.Output)
	stmt.BindInt64(10, f.usage.CacheCreation)
	stmt.BindInt64(11, f.usage.CacheCreate1h)
	stmt.BindInt64(12, f.usage.CacheRead)
	if f.class == classRecorded {
		stmt.BindFloat(13, f.cost)
	} else {
		stmt.BindNull(13)
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
