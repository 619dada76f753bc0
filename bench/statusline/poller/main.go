// Command poller stands in for a running poller in the status line
// benchmark: it rewrites the status row seeded in the data directory (as
// the daemon's heartbeat does) every -every until SIGTERM or SIGINT, and
// with -refresh refreshes the status line cache after each write, as the
// daemon and the widget do (statusline.Hook). It sends no request and
// needs no keyring, so the bench needs no simulator or D-Bus for it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/statusline"
	"github.com/aimonitor/aimonitor/backend/store"
)

func main() {
	dataDir := flag.String("data", "", "aimonitor data directory (AIMONITOR_DATA_DIR)")
	every := flag.Duration("every", 200*time.Millisecond, "time between two writes of the status row")
	refresh := flag.Bool("refresh", false, "refresh the status line cache after each write")
	flag.Parse()
	if *dataDir == "" {
		log.Fatal("poller: -data is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	db, err := store.Open(ctx, filepath.Join(*dataDir, "aimonitor.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	doc, err := daemon.NewReader(db).Read(ctx)
	if err != nil || doc == nil {
		log.Fatalf("poller: no status row to rewrite (run seed first): %v", err)
	}
	// Half the tick, so each tick's write is a heartbeat.
	pub := daemon.NewPublisher(db, clock.Real{}, *every/2)
	var failed int
	if *refresh {
		r, err := statusline.NewRefresher(db, os.Environ(), runtime.GOOS)
		if err != nil {
			log.Fatal(err)
		}
		pub.AfterWrite(func(ctx context.Context, now time.Time) error {
			err := r.Refresh(ctx, now)
			if err != nil {
				failed++
			}
			return err
		}, nil)
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	writes := 0
	for {
		if w, _, err := pub.Publish(ctx, *doc); err != nil && ctx.Err() == nil {
			log.Fatal(err)
		} else if w != nil {
			writes++
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "poller: %d writes of the status row, refresh=%v (%d failed)\n", writes, *refresh, failed)
			return
		case <-tick.C:
		}
	}
}
