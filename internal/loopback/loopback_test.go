package loopback

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestClosedAddrRefuses(t *testing.T) {
	_, err := net.Dial("tcp", ClosedAddr(t))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v, want connection refused", err)
	}
}

func TestSilentAcceptsAndSaysNothing(t *testing.T) {
	c, err := net.Dial("tcp", Silent(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read: %v, want a timeout", err)
	}
}

func TestServeHandsOverEachConnection(t *testing.T) {
	addr := Serve(t, func(c net.Conn) { io.WriteString(c, "hi") })
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "hi" {
			t.Fatalf("%q %v", buf, err)
		}
		c.Close()
	}
}
