// Package loopback gives tests TCP servers on 127.0.0.1 that misbehave on
// purpose — nothing listening, a server that never answers, one that answers
// with raw bytes — so network error paths are tested without leaving the
// machine.
package loopback

import (
	"net"
	"testing"
)

// ClosedAddr is a loopback host:port nothing listens on: a dial is refused.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Silent is a loopback host:port that accepts connections and never
// answers, until the test ends.
func Silent(t testing.TB) string {
	t.Helper()
	return Serve(t, nil)
}

// Serve is a loopback host:port that hands every connection to handle (nil:
// do nothing) and keeps it open until the test ends.
func Serve(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				if handle != nil {
					handle(c)
				}
				<-done
				c.Close()
			}()
		}
	}()
	return l.Addr().String()
}
