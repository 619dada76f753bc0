//go:build unix

package testbus

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Monitor records every message that crosses the bus, in wire encoding, the
// way dbus-monitor would see it: what any other process of the user could
// read. Tests use it to prove secrets never travel in the clear.
type Monitor struct {
	conn *dbus.Conn
	done chan struct{}

	mu   sync.Mutex
	msgs [][]byte
}

// Monitor starts recording. It returns once the bus is known to be
// delivering messages to the monitor.
func (b *Bus) Monitor(t testing.TB) *Monitor {
	t.Helper()
	conn, err := b.dial()
	if err != nil {
		t.Fatalf("testbus: monitor connection: %v", err)
	}
	m := &Monitor{conn: conn, done: make(chan struct{})}
	// Eavesdrop before becoming a monitor: from then on godbus hands every
	// incoming message to us raw instead of answering method calls, which a
	// monitor connection must never do.
	ch := make(chan *dbus.Message, 4096)
	conn.Eavesdrop(ch)
	go m.record(ch)
	conn.BusObject().Go("org.freedesktop.DBus.Monitoring.BecomeMonitor", 0, nil, []string{}, uint32(0))
	t.Cleanup(m.Stop)

	// Ping the bus with a unique name until the monitor has seen it.
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	marker := "testbus.monitor.m" + hex.EncodeToString(nonce[:])
	probe := b.Conn(t)
	deadline := time.Now().Add(startTimeout)
	for !m.Contains([]byte(marker)) {
		if time.Now().After(deadline) {
			t.Fatal("testbus: the monitor saw nothing; is BecomeMonitor allowed?")
		}
		probe.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, marker)
		time.Sleep(5 * time.Millisecond)
	}
	return m
}

func (m *Monitor) record(ch <-chan *dbus.Message) {
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				return
			}
			var buf bytes.Buffer
			if err := msg.EncodeTo(&buf, binary.LittleEndian); err != nil {
				continue
			}
			m.mu.Lock()
			m.msgs = append(m.msgs, buf.Bytes())
			m.mu.Unlock()
		case <-m.done:
			return
		}
	}
}

// Contains reports whether any recorded message contains needle.
func (m *Monitor) Contains(needle []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, msg := range m.msgs {
		if bytes.Contains(msg, needle) {
			return true
		}
	}
	return false
}

// Count is the number of messages recorded so far.
func (m *Monitor) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

// Stop ends recording; what was recorded stays readable.
func (m *Monitor) Stop() {
	select {
	case <-m.done:
	default:
		close(m.done)
		// Detach the channel first: godbus closes an eavesdrop channel on
		// Close while its reader may still be sending to it (a panic).
		m.conn.Eavesdrop(nil)
		m.conn.Close()
	}
}
