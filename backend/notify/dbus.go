//go:build unix && !darwin

package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/dbusconn"

	"github.com/godbus/dbus/v5"

	"github.com/aimonitor/aimonitor/backend/logging"
)

// D-Bus names of the freedesktop notification service.
const (
	busName    = "org.freedesktop.Notifications"
	objectPath = dbus.ObjectPath("/org/freedesktop/Notifications")
	notifyCall = "org.freedesktop.Notifications.Notify"
	capsCall   = "org.freedesktop.Notifications.GetCapabilities"
)

// Options configure a platform Sender.
type Options struct {
	// BusAddress is the session bus; when empty it is found like libdbus
	// does minus autolaunch: $DBUS_SESSION_BUS_ADDRESS, else the systemd
	// user bus in $XDG_RUNTIME_DIR.
	BusAddress string
	// Getenv reads the environment for BusAddress (os.Getenv when nil).
	Getenv func(string) string
	// CallTimeout bounds connecting and each call (default 5 s).
	CallTimeout time.Duration
	// RetryAfter is how long after a failure to connect the bus is tried
	// again (default 5 min); failures after the first are not logged.
	RetryAfter time.Duration
	Log        *slog.Logger
	// Now is the clock for RetryAfter (time.Now when nil).
	Now func() time.Time
}

// DBus sends notifications to org.freedesktop.Notifications on the
// session bus. It keeps one connection and reconnects when it breaks.
type DBus struct {
	opts    Options
	address string

	mu         sync.Mutex
	conn       *dbus.Conn
	markup     *bool // whether conn's server reads markup in bodies; nil: not asked yet
	warned     bool
	failedAt   time.Time
	lastReason string
}

// NewPlatform returns the Sender for this system: D-Bus here.
func NewPlatform(o Options) Sender { return NewDBus(o) }

// NewDBus returns a D-Bus sender; nothing is connected before the first Send.
func NewDBus(o Options) *DBus {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 5 * time.Second
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = 5 * time.Minute
	}
	if o.Log == nil {
		o.Log = logging.Discard()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	addr := o.BusAddress
	if addr == "" {
		addr = dbusconn.SessionAddress(o.Getenv, os.Getuid())
	}
	return &DBus{opts: o, address: addr}
}

// Close drops the connection.
func (d *DBus) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		err := d.conn.Close()
		d.conn, d.markup = nil, nil
		return err
	}
	return nil
}

// Send shows m. Without a bus or a notification server it returns
// ErrUnavailable, logging that once.
func (d *DBus) Send(ctx context.Context, m Message) (uint32, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		conn, err := d.connLocked(ctx)
		if err != nil {
			return 0, err
		}
		body := m.Body
		if d.bodyMarkupLocked(ctx, conn) {
			body = markupEscaper.Replace(body)
		}
		cctx, cancel := context.WithTimeout(ctx, d.opts.CallTimeout)
		hints := map[string]dbus.Variant{
			"urgency":       dbus.MakeVariant(byte(m.Urgency)),
			"desktop-entry": dbus.MakeVariant(AppName),
		}
		// -1: the server's default expiry; critical ones usually stay.
		call := conn.Object(busName, objectPath).CallWithContext(cctx, notifyCall, 0,
			AppName, m.Replaces, "dialog-information", m.Summary, body, []string{}, hints, int32(-1))
		cancel()
		var id uint32
		if call.Err == nil {
			if err := call.Store(&id); err != nil {
				return 0, fmt.Errorf("notify: the notification server answered oddly: %w", err)
			}
			d.warned = false
			return id, nil
		}
		var derr dbus.Error
		errors.As(call.Err, &derr)
		switch {
		case derr.Name == "org.freedesktop.DBus.Error.ServiceUnknown" || derr.Name == "org.freedesktop.DBus.Error.NameHasNoOwner":
			return 0, d.unavailableLocked("no notification server is running on the session bus")
		case derr.Name != "":
			return 0, fmt.Errorf("notify: the notification server refused: %s", derr.Name)
		}
		// The connection broke (a restarted bus, say): reconnect once.
		d.conn.Close()
		d.conn, d.markup = nil, nil
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	return 0, d.unavailableLocked("the session bus connection keeps failing")
}

// markupEscaper escapes what the notification spec's body markup (a
// subset of XML) would interpret.
var markupEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// bodyMarkupLocked reports whether the server interprets markup in bodies
// (the "body-markup" capability: GNOME Shell, KDE, dunst), asking once per
// connection. Our bodies are plain text, so there they are escaped: a label
// or organisation name holding <b> or <a href> must show as written. When
// the server does not say, escaping is the safe side.
func (d *DBus) bodyMarkupLocked(ctx context.Context, conn *dbus.Conn) bool {
	if d.markup != nil {
		return *d.markup
	}
	cctx, cancel := context.WithTimeout(ctx, d.opts.CallTimeout)
	defer cancel()
	var caps []string
	if err := conn.Object(busName, objectPath).CallWithContext(cctx, capsCall, 0).Store(&caps); err != nil {
		return true // not remembered: ask again next time
	}
	markup := slices.Contains(caps, "body-markup")
	d.markup = &markup
	return markup
}

func (d *DBus) connLocked(ctx context.Context) (*dbus.Conn, error) {
	if d.conn != nil && d.conn.Connected() {
		return d.conn, nil
	}
	if !d.failedAt.IsZero() && d.opts.Now().Sub(d.failedAt) < d.opts.RetryAfter {
		return nil, fmt.Errorf("notify: %w (%s)", ErrUnavailable, d.lastReason)
	}
	conn, err := dial(ctx, d.address, d.opts.CallTimeout)
	if err != nil {
		return nil, d.unavailableLocked(err.Error())
	}
	d.conn, d.markup, d.failedAt = conn, nil, time.Time{}
	return conn, nil
}

// unavailableLocked logs the first failure in a row and returns ErrUnavailable.
func (d *DBus) unavailableLocked(reason string) error {
	d.failedAt, d.lastReason = d.opts.Now(), reason
	if !d.warned {
		d.warned = true
		d.opts.Log.Info("notify: desktop notifications are off: " + reason)
	}
	return fmt.Errorf("notify: %w (%s)", ErrUnavailable, reason)
}

// dial opens a private connection (see dbusconn: never autolaunches a bus,
// gives up on a bus that accepts but never answers).
func dial(ctx context.Context, address string, timeout time.Duration) (*dbus.Conn, error) {
	conn, err := dbusconn.Dial(ctx, address, timeout)
	if errors.Is(err, dbusconn.ErrNoAnswer) {
		return nil, fmt.Errorf("the D-Bus session bus did not answer within %s", timeout)
	}
	return conn, err
}
