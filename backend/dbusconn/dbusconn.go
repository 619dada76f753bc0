// Package dbusconn opens private D-Bus session connections the safe way:
// never autolaunching a bus (dbus.ConnectSessionBus would start a daemon that
// outlives us), and giving up when the other end accepts the socket but never
// answers. The keyring and notifications both connect through it.
package dbusconn

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// Why a connection failed; callers put these in their own words.
var (
	ErrNoBus    = errors.New("no D-Bus session bus (is a desktop session running?)")
	ErrNoAnswer = errors.New("the D-Bus session bus did not answer in time")
	ErrRefused  = errors.New("the D-Bus session bus refused the connection")
)

// Dial connects to address and authenticates within timeout. A ctx
// cancellation is returned as ctx.Err().
func Dial(ctx context.Context, address string, timeout time.Duration) (*dbus.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	conn, err := dbus.Dial(address)
	if err != nil {
		return nil, ErrNoBus
	}
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := conn.Auth(nil)
		if err == nil {
			err = conn.Hello()
		}
		done <- err
	}()
	select {
	case err = <-done:
	case <-hctx.Done():
		conn.Close() // unblocks Auth/Hello
		<-done
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ErrNoAnswer
	}
	if err != nil {
		conn.Close()
		return nil, ErrRefused
	}
	return conn, nil
}

// SessionAddress finds the session bus the way libdbus does, minus
// autolaunch: $DBUS_SESSION_BUS_ADDRESS with its "autolaunch:" entries
// dropped, else the systemd user bus socket in $XDG_RUNTIME_DIR (or
// /run/user/<uid>). getenv reads the environment of the process being
// served, which need not be our own.
func SessionAddress(getenv func(string) string, uid int) string {
	if env := getenv("DBUS_SESSION_BUS_ADDRESS"); env != "" {
		var kept []string
		for _, a := range strings.Split(env, ";") {
			if a != "" && !strings.HasPrefix(a, "autolaunch:") {
				kept = append(kept, a)
			}
		}
		if len(kept) > 0 {
			return strings.Join(kept, ";")
		}
	}
	dir := getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = "/run/user/" + strconv.Itoa(uid)
	}
	return "unix:path=" + dbus.EscapeBusAddressValue(dir+"/bus")
}
