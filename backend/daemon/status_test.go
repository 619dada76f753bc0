package daemon_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/usage/usagetest"
)

func TestPublisherAndReader(t *testing.T) {
	db := usagetest.OpenStore(t, filepath.Join(t.TempDir(), "s.db"))
	clk := clock.NewFake(usagetest.T0)
	ctx := context.Background()
	pub := daemon.NewPublisher(db, clk, 5*time.Second)
	reader := daemon.NewReader(db)

	if doc, changed, err := reader.Poll(ctx); err != nil || doc != nil || changed {
		t.Fatalf("before anything was published: %v %v %v", doc, changed, err)
	}
	if (*daemon.Document)(nil).Alive(clk.Now()) {
		t.Fatal("no document is alive")
	}
	doc := daemon.Document{Owner: daemon.Owner{PID: 42, Mode: daemon.ModeDaemon}, Accounts: []daemon.AccountStatus{{ID: 1, Label: "work", Active: true}}}
	written, changed, err := pub.Publish(ctx, doc)
	if err != nil || !changed || written == nil || written.Revision == "" || !written.Heartbeat.Equal(clk.Now()) {
		t.Fatalf("first publish: %+v %v %v", written, changed, err)
	}
	got, changed, err := reader.Poll(ctx)
	if err != nil || !changed || got.Revision != written.Revision || got.Accounts[0].Label != "work" || !got.Alive(clk.Now()) {
		t.Fatalf("reader: %+v %v %v", got, changed, err)
	}

	// Unchanged content inside the heartbeat period: nothing is written.
	clk.Advance(2 * time.Second)
	if w, changed, _ := pub.Publish(ctx, doc); w != nil || changed {
		t.Fatal("rewrote an unchanged document before the heartbeat")
	}
	// At the heartbeat it is rewritten, but readers see no change, only a
	// newer heartbeat.
	clk.Advance(3 * time.Second)
	if w, changed, _ := pub.Publish(ctx, doc); w == nil || changed {
		t.Fatalf("heartbeat: written=%v changed=%v", w != nil, changed)
	}
	got, changed, _ = reader.Poll(ctx)
	if changed || !got.Heartbeat.Equal(clk.Now()) {
		t.Fatalf("after a heartbeat: changed=%v heartbeat %v", changed, got.Heartbeat)
	}
	// A content change is seen at once.
	doc.Accounts[0].NeedsRelogin = true
	clk.Advance(time.Second)
	if _, changed, _ := pub.Publish(ctx, doc); !changed {
		t.Fatal("a change was not published")
	}
	got, changed, _ = reader.Poll(ctx)
	if !changed || !got.Accounts[0].NeedsRelogin {
		t.Fatalf("reader missed the change: %v %+v", changed, got.Accounts[0])
	}
	// A silent owner is noticed through the heartbeat.
	clk.Advance(16 * time.Second)
	if got.Alive(clk.Now()) {
		t.Fatal("an owner silent for three heartbeats is still alive")
	}
}

// The hook after a write (the status line's cache refresh) runs after each
// write, content change or heartbeat, with the write's time, and its error
// does not fail Publish.
func TestPublisherAfterWrite(t *testing.T) {
	db := usagetest.OpenStore(t, filepath.Join(t.TempDir(), "s.db"))
	clk := clock.NewFake(usagetest.T0)
	ctx := context.Background()
	pub := daemon.NewPublisher(db, clk, 5*time.Second)
	var calls []time.Time
	pub.AfterWrite(func(ctx context.Context, now time.Time) error {
		// The write has committed: another connection sees it.
		if doc, err := daemon.NewReader(db).Read(ctx); err != nil || doc == nil || !doc.Heartbeat.Equal(now) {
			t.Errorf("the hook ran before the write was visible: %v %v", doc, err)
		}
		calls = append(calls, now)
		return errors.New("the cache could not be written")
	}, nil)
	doc := daemon.Document{Accounts: []daemon.AccountStatus{{ID: 1, Label: "work"}}}
	if w, _, err := pub.Publish(ctx, doc); err != nil || w == nil {
		t.Fatalf("a failing hook failed Publish: %v", err)
	}
	clk.Advance(time.Second)
	pub.Publish(ctx, doc) // nothing written, no call
	clk.Advance(4 * time.Second)
	if w, changed, err := pub.Publish(ctx, doc); err != nil || w == nil || changed {
		t.Fatalf("heartbeat: %v %v %v", w != nil, changed, err)
	}
	if len(calls) != 2 || !calls[0].Equal(usagetest.T0) || !calls[1].Equal(clk.Now()) {
		t.Errorf("calls at %v, want at the first write and at the heartbeat", calls)
	}
}
