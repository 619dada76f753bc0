//go:build linux

package notify_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/internal/testbus"
)

// received is one Notify call as the fake server saw it.
type received struct {
	AppName  string
	Replaces uint32
	Summary  string
	Body     string
	Urgency  byte
	Entry    string
	Timeout  int32
}

// fakeServer is an org.freedesktop.Notifications server on a private bus.
type fakeServer struct {
	mu   sync.Mutex
	got  []received
	next uint32
	caps []string // GetCapabilities' answer; "body" only when nil
}

func (f *fakeServer) Notify(appName string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := received{AppName: appName, Replaces: replaces, Summary: summary, Body: body, Timeout: timeout}
	if v, ok := hints["urgency"]; ok {
		r.Urgency, _ = v.Value().(byte)
	}
	if v, ok := hints["desktop-entry"]; ok {
		r.Entry, _ = v.Value().(string)
	}
	f.got = append(f.got, r)
	if replaces != 0 {
		return replaces, nil
	}
	f.next++
	return f.next, nil
}

func (f *fakeServer) GetCapabilities() ([]string, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.caps == nil {
		return []string{"body"}, nil
	}
	return f.caps, nil
}

func (f *fakeServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "fake", "aimonitor tests", "1", "1.2", nil
}

func (f *fakeServer) received() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

// serve exports a fake server on a new private bus.
func serve(t *testing.T) (*testbus.Bus, *fakeServer) {
	t.Helper()
	bus := testbus.New(t)
	conn := bus.Conn(t)
	f := &fakeServer{}
	if err := conn.Export(f, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning the name: %v %v", reply, err)
	}
	return bus, f
}

func TestDBusSendsSummaryBodyAndUrgency(t *testing.T) {
	bus, f := serve(t)
	s := notify.NewDBus(notify.Options{BusAddress: bus.Address})
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	for _, m := range []notify.Message{
		{Summary: "low one", Body: "b1", Urgency: notify.Low},
		{Summary: "normal one", Body: "b2", Urgency: notify.Normal},
		{Summary: "critical one", Body: "b3 with <b>markup</b> & ümlauts", Urgency: notify.Critical, Replaces: 1},
	} {
		if _, err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got := f.received()
	want := []received{
		{AppName: "aimonitor", Summary: "low one", Body: "b1", Urgency: 0, Entry: "aimonitor", Timeout: -1},
		{AppName: "aimonitor", Summary: "normal one", Body: "b2", Urgency: 1, Entry: "aimonitor", Timeout: -1},
		{AppName: "aimonitor", Replaces: 1, Summary: "critical one", Body: "b3 with <b>markup</b> & ümlauts", Urgency: 2, Entry: "aimonitor", Timeout: -1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d notifications: %+v", len(got), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("notification %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// A server that reads markup in bodies (GNOME Shell, KDE, dunst) gets our
// plain text escaped, so a label or organisation name holding tags shows as
// written; the summary is plain text by the spec and goes as it is.
func TestDBusEscapesBodiesForMarkupServers(t *testing.T) {
	bus, f := serve(t)
	f.mu.Lock()
	f.caps = []string{"body", "body-markup", "body-hyperlinks", "body-images"}
	f.mu.Unlock()
	s := notify.NewDBus(notify.Options{BusAddress: bus.Address})
	t.Cleanup(func() { s.Close() })
	m := notify.Message{Summary: "<b>x</b>: 5-hour window at 81 %", Body: `Org <a href="https://evil.example">Acme & Co</a> <img src="file:///x"/>`}
	if _, err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := f.received()
	want := `Org &lt;a href="https://evil.example"&gt;Acme &amp; Co&lt;/a&gt; &lt;img src="file:///x"/&gt;`
	if len(got) != 1 || got[0].Body != want || got[0].Summary != m.Summary {
		t.Fatalf("got %+v\nwant body %q", got, want)
	}
}

func TestDBusWithoutServerIsQuietlyUnavailable(t *testing.T) {
	bus := testbus.New(t)
	var logs bytes.Buffer
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := notify.NewDBus(notify.Options{BusAddress: bus.Address, Log: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return now }})
	t.Cleanup(func() { s.Close() })
	for i := 0; i < 3; i++ {
		if _, err := s.Send(context.Background(), notify.Message{Summary: "x"}); !errors.Is(err, notify.ErrUnavailable) {
			t.Fatalf("send %d: %v", i, err)
		}
		now = now.Add(10 * time.Minute) // past RetryAfter: it does try again
	}
	if n := strings.Count(logs.String(), "notifications are off"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs.String())
	}
}

// With no session bus at all the sender fails cleanly and starts nothing
// (dbus.ConnectSessionBus would autolaunch a bus that outlives us).
func TestNoBusStartsNothing(t *testing.T) {
	nb := testbus.NewNoBus(t)
	nb.Setenv(t)
	s := notify.NewDBus(notify.Options{})
	if _, err := s.Send(context.Background(), notify.Message{Summary: "x"}); !errors.Is(err, notify.ErrUnavailable) {
		t.Fatalf("want ErrUnavailable, got %v", err)
	}
	if left := nb.Spawned(t); len(left) > 0 {
		t.Fatalf("processes left behind: %v", left)
	}
	// And an explicit address that does not exist.
	s2 := notify.NewDBus(notify.Options{BusAddress: "unix:path=" + filepath.Join(t.TempDir(), "none")})
	if _, err := s2.Send(context.Background(), notify.Message{Summary: "x"}); !errors.Is(err, notify.ErrUnavailable) {
		t.Fatalf("want ErrUnavailable, got %v", err)
	}
}
