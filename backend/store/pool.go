package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"zombiezen.com/go/sqlite"
)

// pool hands out up to size connections to one database file and opens
// each only when no idle one is left. Opening a connection costs a file
// open, the WAL set-up and, on its first statement, a parse of the whole
// schema; a one-shot command (switch, list, the status line's neighbours)
// reads and writes through one connection, so it should not open four.
// (sqlitex.Pool opens all of them up front.)
type pool struct {
	file    string
	flags   sqlite.OpenFlags
	prepare func(*sqlite.Conn) error

	free   chan *sqlite.Conn // idle connections
	unused chan struct{}     // one token per connection not opened yet
	closed chan struct{}

	mu       sync.Mutex
	isClosed bool
	opened   int
}

var errPoolClosed = errors.New("the database is closed")

func newPool(file string, flags sqlite.OpenFlags, size int, prepare func(*sqlite.Conn) error) *pool {
	p := &pool{file: file, flags: flags, prepare: prepare,
		free: make(chan *sqlite.Conn, size), unused: make(chan struct{}, size), closed: make(chan struct{})}
	for range size {
		p.unused <- struct{}{}
	}
	return p
}

// take returns an idle connection, or a new one while fewer than size are
// open, or waits for one to be put back until ctx ends.
func (p *pool) take(ctx context.Context) (*sqlite.Conn, error) {
	select {
	case conn := <-p.free:
		return conn, nil
	case <-p.closed:
		return nil, errPoolClosed
	default:
	}
	select {
	case conn := <-p.free:
		return conn, nil
	case <-p.unused:
		conn, err := p.open()
		if err != nil {
			p.unused <- struct{}{}
			return nil, err
		}
		return conn, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.closed:
		return nil, errPoolClosed
	}
}

func (p *pool) open() (*sqlite.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.isClosed {
		return nil, errPoolClosed
	}
	conn, err := sqlite.OpenConn(p.file, p.flags)
	if err != nil {
		return nil, err
	}
	if p.prepare != nil {
		if err := p.prepare(conn); err != nil {
			conn.Close()
			return nil, fmt.Errorf("preparing a connection: %w", err)
		}
	}
	p.opened++
	return conn, nil
}

// put gives a connection back. A connection with a statement still running
// is a bug in the caller: it would hold a read transaction open for good.
func (p *pool) put(conn *sqlite.Conn) {
	if q := conn.CheckReset(); q != "" {
		panic(fmt.Sprintf("store: connection returned with an active statement: %q", q))
	}
	conn.SetInterrupt(nil)
	p.free <- conn
}

// close waits until every open connection is back, then closes them all.
func (p *pool) close() error {
	p.mu.Lock()
	p.isClosed = true
	n := p.opened
	p.mu.Unlock()
	close(p.closed)
	var err error
	for range n {
		conn := <-p.free
		if cerr := conn.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
