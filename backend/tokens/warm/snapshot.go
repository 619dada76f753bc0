package warm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The snapshot. After each scan, the ledger writes beside its database what
// `aimonitor tokens` needs to answer without it: the transcript tree as the
// scan listed it (every root, directory and transcript with its size,
// modification time and inode), the ledger's aggregate rows (quarter hour,
// model, project, prompt class: counts and recorded costs) with the model
// and project names, and what the answer also depends on: the build that
// wrote it, the database file it summarises and the configuration file
// that was checked to load. The launcher lists the tree again; when
// everything is the same, it renders the report from the snapshot with the
// code the ledger renders with, and the database is never opened.
//
// It holds paths, sizes, counts and costs: no token, no transcript text, no
// account. The file is 0600 in the data directory (0700), written to a
// temporary file and renamed over the old one, so a reader sees the old or
// the new one whole; a checksum over the body turns a file cut short or
// damaged (a crash before the data reached the disk) into "no snapshot".

// SnapshotName is the snapshot's file name in the data directory.
const SnapshotName = "tokens.snapshot"

// snapshotMagic starts the file; snapshotVersion is its format.
const (
	snapshotMagic   = "aimonitor tokens snapshot\n"
	snapshotVersion = 2
)

// maxSnapshot bounds what a reader accepts (a history of years is a few MB).
const maxSnapshot = 256 << 20

// Snapshot is the ledger's state after a scan.
type Snapshot struct {
	Build      string // BuildID of the binary that wrote it
	Ledger     string // FileStamp-like identity of the database file (device and inode)
	Config     string // FileStamp of the configuration file that was checked to load, "" if none was
	Generation int64  // the ledger's generation (the writer's check that it is current)
	Tree       *Tree
	Dims       Dims
	// Rows are the aggregate rows in the ledger's primary key order
	// (bucket, model, project, class), the order reports add them in.
	Rows    []UsageRow
	rows    rowData // encoded rows of a snapshot read back (see EachRow)
	treeRaw []byte  // the encoded tree of a snapshot read lazily
	// First and Last are the first and last bucket of the rows (Encode
	// sets them).
	First, Last int64
	// Outputs are what the command line printed from these rows lately,
	// under OutputKey: it remembers its answers as the ledger remembers
	// its reports, and the launcher prints one again when asked the same.
	Outputs []Output
}

// Output is a report as the command line printed it.
type Output struct {
	Key  string
	Data []byte
}

// maxOutputs bounds the answers a snapshot remembers.
const maxOutputs = 4

// rowData is the encoded rows of a snapshot read back, decoded on demand:
// a report reads each once, so they are never all held as structs.
type rowData struct {
	n       int
	data    []byte
	checked bool // decoded once without error
}

// check decodes the rows once, so that EachRow cannot fail half way.
func (r *rowData) check() error {
	if r.checked {
		return nil
	}
	rd := rowDecoder{decoder: decoder{b: r.data}}
	for range r.n {
		rd.next()
	}
	if rd.err != nil {
		return rd.err
	}
	if len(rd.b) != 0 {
		return fmt.Errorf("%w: bytes after the last row", ErrBadSnapshot)
	}
	r.checked = true
	return nil
}

// Encode writes s in the snapshot format.
func (s *Snapshot) Encode() []byte {
	b, _ := s.EncodeFrom(nil)
	return b
}

// EncodeFrom is Encode with the rows from source (called once, with fn to
// call for each row in order) instead of Rows: the ledger streams them
// from the database without holding them all.
func (s *Snapshot) EncodeFrom(source func(fn func(*UsageRow)) error) ([]byte, error) {
	if source == nil {
		source = s.EachRow
	}
	// The rows first, in one pass: the header holds their first and last
	// bucket.
	var rows []byte
	nrows := 0
	var last int64
	err := source(func(r *UsageRow) {
		if nrows == 0 {
			s.First, s.Last = r.Bucket, r.Bucket
		}
		s.First, s.Last = min(s.First, r.Bucket), max(s.Last, r.Bucket)
		nrows++
		rows = binary.AppendVarint(rows, r.Bucket-last)
		last = r.Bucket
		rows = binary.AppendVarint(rows, r.Model)
		rows = binary.AppendVarint(rows, r.Project)
		class := uint64(r.Class) << 1
		if r.Sums.Cost != 0 {
			class |= 1
		}
		rows = binary.AppendUvarint(rows, class)
		rows = binary.AppendVarint(rows, r.Sums.Messages)
		u := r.Sums.Usage
		for _, v := range [...]int64{u.Input, u.Output, u.CacheCreation, u.CacheCreate1h, u.CacheRead} {
			rows = binary.AppendVarint(rows, v)
		}
		if r.Sums.Cost != 0 {
			rows = binary.LittleEndian.AppendUint64(rows, math.Float64bits(r.Sums.Cost))
		}
	})
	if err != nil {
		return nil, err
	}
	if nrows == 0 {
		s.First, s.Last = 0, 0
	}
	var b []byte
	str := func(v string) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	num := func(v int64) { b = binary.AppendVarint(b, v) }
	unum := func(v uint64) { b = binary.AppendUvarint(b, v) }
	str(s.Build)
	str(s.Ledger)
	str(s.Config)
	num(s.Generation)
	num(s.First)
	num(s.Last)
	b = appendTree(b, s.Tree)
	for _, m := range []map[int64]string{s.Dims.Models, s.Dims.Projects} {
		ids := make([]int64, 0, len(m))
		for id := range m {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		unum(uint64(len(ids)))
		for _, id := range ids {
			num(id)
			str(m[id])
		}
	}
	unum(uint64(len(s.Outputs)))
	for _, o := range s.Outputs {
		str(o.Key)
		str(string(o.Data))
	}
	unum(uint64(nrows))
	out := make([]byte, 0, len(snapshotMagic)+16+len(b)+len(rows))
	out = append(out, snapshotMagic...)
	out = binary.AppendUvarint(out, snapshotVersion)
	out = binary.AppendUvarint(out, uint64(len(b)+len(rows)))
	crc := crc32.Update(crc32.ChecksumIEEE(b), crc32.IEEETable, rows)
	out = binary.LittleEndian.AppendUint32(out, crc)
	out = append(out, b...)
	return append(out, rows...), nil
}

// appendTree is the tree's part of the snapshot: the launcher encodes a
// new listing the same way and compares the bytes.
func appendTree(b []byte, t *Tree) []byte {
	if t == nil {
		t = &Tree{}
	}
	str := func(v string) {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	num := func(v int64) { b = binary.AppendVarint(b, v) }
	unum := func(v uint64) { b = binary.AppendUvarint(b, v) }
	unum(uint64(len(t.Roots)))
	for _, r := range t.Roots {
		str(r.Path)
		str(r.Real)
	}
	unum(uint64(len(t.Dirs)))
	prev := ""
	for _, d := range t.Dirs {
		// Paths share long prefixes with the previous one.
		p := commonPrefix(prev, d.Path)
		unum(uint64(p))
		str(d.Path[p:])
		str(d.Project)
		flags := uint64(0)
		if d.Unreadable {
			flags = 1
		}
		unum(flags)
		prev = d.Path
	}
	unum(uint64(len(t.Files)))
	for _, f := range t.Files {
		unum(uint64(f.Dir))
		str(f.Name)
		num(f.Size)
		num(f.MtimeNS)
		unum(f.Inode)
	}
	return b
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// ErrBadSnapshot is wrapped by every error about a snapshot's content.
var ErrBadSnapshot = errors.New("not a usable token snapshot")

// decoder reads the body; the first error sticks and every later read
// returns zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrBadSnapshot, what)
	}
	d.b = nil
}

func (d *decoder) unum() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) num() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length that must fit in what is left, each item taking at
// least min bytes.
func (d *decoder) count(min int) int {
	v := d.unum()
	if v > uint64(len(d.b)/min) {
		d.fail("count beyond the end")
		return 0
	}
	return int(v)
}

// bytes is a length-prefixed byte string, not copied.
func (d *decoder) bytes() []byte {
	n := d.unum()
	if n > uint64(len(d.b)) {
		d.fail("bytes beyond the end")
		return nil
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) str() string {
	n := d.unum()
	if n > uint64(len(d.b)) {
		d.fail("string beyond the end")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// ParseSnapshot reads a snapshot written by Encode. Anything else (another
// format version, a file cut short, a damaged byte) is an error wrapping
// ErrBadSnapshot. The rows are checked and counted here, and decoded again
// by EachRow.
func ParseSnapshot(data []byte) (*Snapshot, error) { return parseSnapshot(data, false) }

// parseSnapshot is ParseSnapshot, lazily for the launcher (see parseBody):
// a snapshot read so is only good for Fast, never to encode again.
func parseSnapshot(data []byte, lazy bool) (*Snapshot, error) {
	rest, ok := strings.CutPrefix(string(data[:min(len(data), len(snapshotMagic))]), snapshotMagic)
	if !ok || rest != "" {
		return nil, fmt.Errorf("%w: no snapshot header", ErrBadSnapshot)
	}
	d := &decoder{b: data[len(snapshotMagic):]}
	if v := d.unum(); d.err == nil && v != snapshotVersion {
		return nil, fmt.Errorf("%w: format version %d", ErrBadSnapshot, v)
	}
	n := d.unum()
	if d.err != nil || len(d.b) < 4 || n != uint64(len(d.b)-4) {
		return nil, fmt.Errorf("%w: cut short or too long", ErrBadSnapshot)
	}
	sum := binary.LittleEndian.Uint32(d.b)
	if crc32.ChecksumIEEE(d.b[4:]) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadSnapshot)
	}
	return parseBody(d.b[4:], lazy)
}

// parseBody reads the body of a snapshot (after its header and checksum).
// lazy (the launcher's way) keeps the tree as its encoded bytes, to compare
// with a new listing encoded the same way, and leaves the rows to be
// checked when first read.
func parseBody(body []byte, lazy bool) (*Snapshot, error) {
	d := &decoder{b: body}
	s := &Snapshot{Tree: &Tree{}}
	s.Build = d.str()
	s.Ledger = d.str()
	s.Config = d.str()
	s.Generation = d.num()
	s.First = d.num()
	s.Last = d.num()
	if s.First > s.Last {
		d.fail("first bucket after the last")
	}
	treeStart := len(d.b)
	if lazy {
		d.skipTree()
		s.treeRaw = body[len(body)-treeStart : len(body)-len(d.b)]
	} else {
		d.tree(s.Tree)
	}
	for _, m := range []*map[int64]string{&s.Dims.Models, &s.Dims.Projects} {
		n := d.count(2)
		*m = make(map[int64]string, n)
		for range n {
			id := d.num()
			(*m)[id] = d.str()
		}
	}
	s.Outputs = make([]Output, d.count(2))
	for i := range s.Outputs {
		s.Outputs[i].Key = d.str()
		s.Outputs[i].Data = d.bytes()
	}
	s.rows.n = d.count(10)
	s.rows.data = d.b
	if d.err != nil {
		return nil, d.err
	}
	if !lazy {
		if err := s.rows.check(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// tree decodes the tree part into t.
func (d *decoder) tree(t *Tree) {
	t.Roots = make([]Root, d.count(2))
	for i := range t.Roots {
		t.Roots[i] = Root{Path: d.str(), Real: d.str()}
	}
	t.Dirs = make([]Dir, d.count(4))
	prev := ""
	for i := range t.Dirs {
		p := d.unum()
		if p > uint64(len(prev)) {
			d.fail("bad directory prefix")
			return
		}
		path := prev[:p] + d.str()
		t.Dirs[i] = Dir{Path: path, Project: d.str(), Unreadable: d.unum() == 1}
		prev = path
	}
	t.Files = make([]File, d.count(5))
	for i := range t.Files {
		dir := d.unum()
		if dir >= uint64(len(t.Dirs)) {
			d.fail("file in an unknown directory")
			return
		}
		t.Files[i] = File{Dir: int(dir), Name: d.str(), Size: d.num(), MtimeNS: d.num(), Inode: d.unum()}
	}
}

// skipTree checks the tree part as tree does, keeping nothing.
func (d *decoder) skipTree() {
	for range d.count(2) {
		d.skip()
		d.skip()
	}
	ndirs := d.count(4)
	prev := uint64(0)
	for range ndirs {
		p := d.unum()
		if p > prev {
			d.fail("bad directory prefix")
			return
		}
		prev = p + d.skip()
		d.skip()
		d.unum()
	}
	for range d.count(5) {
		if d.unum() >= uint64(ndirs) {
			d.fail("file in an unknown directory")
			return
		}
		d.skip()
		d.num()
		d.num()
		d.unum()
	}
}

// skip passes over a length-prefixed string, returning its length.
func (d *decoder) skip() uint64 {
	n := d.unum()
	if n > uint64(len(d.b)) {
		d.fail("string beyond the end")
		return 0
	}
	d.b = d.b[n:]
	return n
}

// rowDecoder decodes the rows one at a time.
type rowDecoder struct {
	decoder
	r UsageRow
}

func (rd *rowDecoder) next() *UsageRow {
	r := &rd.r
	r.Bucket += rd.num()
	r.Model = rd.num()
	r.Project = rd.num()
	class := rd.unum()
	r.Class = int(class >> 1)
	r.Sums.Messages = rd.num()
	r.Sums.Usage = Usage{Input: rd.num(), Output: rd.num(), CacheCreation: rd.num(), CacheCreate1h: rd.num(), CacheRead: rd.num()}
	r.Sums.Cost = 0
	if class&1 != 0 {
		if len(rd.b) < 8 {
			rd.fail("row cut short")
			return r
		}
		r.Sums.Cost = math.Float64frombits(binary.LittleEndian.Uint64(rd.b))
		rd.b = rd.b[8:]
	}
	if class>>1 > ClassRecorded {
		rd.fail("unknown prompt class")
	}
	return r
}

// EachRow calls fn with every aggregate row in order (the Rows it was
// encoded from, for a snapshot read back). The row is reused between
// calls. A snapshot read lazily has its rows checked first: an error, and
// fn is never called.
func (s *Snapshot) EachRow(fn func(*UsageRow)) error {
	if s.rows.data == nil && s.rows.n == 0 {
		for i := range s.Rows {
			fn(&s.Rows[i])
		}
		return nil
	}
	if err := s.rows.check(); err != nil {
		return err
	}
	rd := rowDecoder{decoder: decoder{b: s.rows.data}}
	for range s.rows.n {
		fn(rd.next())
	}
	return nil
}

// ReadSnapshot reads and parses the snapshot file at path.
func ReadSnapshot(path string) (*Snapshot, error) { return readSnapshot(path, false) }

// readLazily is ReadSnapshot for the launcher (parseSnapshot).
func readLazily(path string) (*Snapshot, error) { return readSnapshot(path, true) }

func readSnapshot(path string, lazy bool) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxSnapshot {
		return nil, fmt.Errorf("%w: larger than %d MB", ErrBadSnapshot, maxSnapshot>>20)
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return parseSnapshot(data, lazy)
}

// WriteSnapshot replaces the snapshot file at path with s: written to a
// temporary file in the same directory (0600), then renamed over it, so a
// reader (or a process killed half way) leaves the old file or the new one
// whole. It does not sync: a snapshot lost or damaged by a crash only costs
// the next run its shortcut (the checksum catches a damaged one).
func WriteSnapshot(path string, s *Snapshot) error { return WriteSnapshotData(path, s.Encode()) }

// WriteSnapshotData is WriteSnapshot of a snapshot already encoded.
func WriteSnapshotData(path string, data []byte) error {
	dir := filepath.Dir(path)
	removeStaleTemps(dir, filepath.Base(path))
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the token snapshot: %w", err)
	}
	name := tmp.Name()
	defer os.Remove(name) // a no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the token snapshot: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the token snapshot: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the token snapshot: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("writing the token snapshot: %w", err)
	}
	return nil
}

// RemoveSnapshot deletes the snapshot at path, if any: after a scan that
// could not write one, no older one may be taken for current.
func RemoveSnapshot(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the token snapshot: %w", err)
	}
	return nil
}

// removeStaleTemps deletes temporary files a killed writer left (older
// than a minute, so a writer still at work keeps its own).
func removeStaleTemps(dir, base string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+base+".tmp-*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && time.Since(fi.ModTime()) > time.Minute {
			os.Remove(m)
		}
	}
}

// FileStamp identifies a version of a file: size, modification time and
// inode, or "-" when it does not exist ("?" when it cannot be stat-ed).
func FileStamp(path string) string {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "-"
	}
	if err != nil {
		return "?"
	}
	return strconv.FormatInt(fi.Size(), 10) + "," + strconv.FormatInt(fi.ModTime().UnixNano(), 10) + "," + strconv.FormatUint(inodeOfInfo(fi), 10)
}

// FileIdentity identifies a file whatever is written into it: device and
// inode ("-" when it does not exist). A database replaced by another file
// gets another.
func FileIdentity(path string) string {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "-"
	}
	if err != nil {
		return "?"
	}
	dev, ino := devIno(fi)
	return strconv.FormatUint(dev, 10) + ":" + strconv.FormatUint(ino, 10)
}
