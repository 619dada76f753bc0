// Command seed fills an aimonitor data directory for the status line
// benchmark: five accounts, a year of usage samples each (one every ten
// minutes, as a busy poller would leave if nothing pruned them), a status
// row as the daemon publishes it, and Claude Code's .claude.json naming the
// first account among a megabyte of per-project history.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/store"
	"github.com/aimonitor/aimonitor/backend/usage"
)

func main() {
	dataDir := flag.String("data", "", "aimonitor data directory (AIMONITOR_DATA_DIR)")
	claudeJSON := flag.String("claude-json", "", "Claude Code's .claude.json to write")
	days := flag.Int("days", 365, "days of samples")
	every := flag.Duration("every", 10*time.Minute, "sample spacing")
	flag.Parse()
	if *dataDir == "" || *claudeJSON == "" {
		log.Fatal("seed: -data and -claude-json are required")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(*dataDir, "aimonitor.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Minute)
	labels := []string{"work", "bob", "carol", "dave", "erin"}
	n := 0
	err = db.Write(ctx, func(conn *sqlite.Conn) error {
		for i, l := range labels {
			if err := sqlitex.Execute(conn, `INSERT INTO accounts(id, label, account_uuid, email, org_uuid, keyring_ref, created_at)
				VALUES (?, ?, ?, ?, ?, ?, 0)`, &sqlitex.ExecOptions{Args: []any{i + 1, l, "uuid-" + l, l + "@example.com", "org-" + l, "ref-" + l}}); err != nil {
				return err
			}
		}
		stmt := conn.Prep(`INSERT INTO usage_samples(account_id, ts, five_hour, five_hour_resets, seven_day, seven_day_resets, data) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		start := now.Add(-time.Duration(*days) * 24 * time.Hour)
		for i := range labels {
			for at := start; !at.After(now); at = at.Add(*every) {
				five := float64(at.Unix()/60%300) / 3
				seven := float64(at.Unix()/600%1008) / 10.08
				fr := at.Truncate(5 * time.Hour).Add(5 * time.Hour)
				sr := at.Truncate(7 * 24 * time.Hour).Add(7 * 24 * time.Hour)
				data := fmt.Sprintf(`{"five_hour":{"utilization":%.1f,"resets_at":%q},"seven_day":{"utilization":%.1f,"resets_at":%q},"seven_day_opus":null,"seven_day_sonnet":{"utilization":3,"resets_at":%q},"extra_usage":{"is_enabled":false}}`,
					five, fr.Format(time.RFC3339), seven, sr.Format(time.RFC3339), sr.Format(time.RFC3339))
				stmt.BindInt64(1, int64(i+1))
				stmt.BindInt64(2, at.UnixMilli())
				stmt.BindFloat(3, five)
				stmt.BindInt64(4, fr.UnixMilli())
				stmt.BindFloat(5, seven)
				stmt.BindInt64(6, sr.UnixMilli())
				stmt.BindText(7, data)
				if _, err := stmt.Step(); err != nil {
					return err
				}
				if err := stmt.Reset(); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// The status row, as a live daemon would have it; a day-long heartbeat
	// keeps it "alive" for the whole benchmark.
	doc := daemon.Document{Version: daemon.StatusVersion, Heartbeat: now, HeartbeatPeriod: 24 * time.Hour,
		Owner: daemon.Owner{PID: 1, Mode: "daemon", Since: now}, AutoSwap: true}
	for i, l := range labels {
		fr, sr := now.Add(80*time.Minute), now.Add(76*time.Hour)
		doc.Accounts = append(doc.Accounts, daemon.AccountStatus{ID: int64(i + 1), Label: l, Email: l + "@example.com", Active: i == 0,
			Usage:       &usage.ListUsage{FiveHour: &usage.ListWindow{Utilization: 84, ResetsAt: &fr}, SevenDay: &usage.ListWindow{Utilization: 61, ResetsAt: &sr}, FetchedAt: now},
			Predictions: map[string]usage.WindowPrediction{usage.FiveHour: {Utilization: 84, ResetsAt: &fr, BurnRatePerHour: 20, Samples: 12}}})
	}
	doc.PendingSwap = &daemon.PendingSwap{Key: "k", From: "work", Target: "bob", TargetID: 2, FiresAt: now.Add(24 * time.Hour), Reason: "5-hour window at 84%"}
	raw, _ := json.Marshal(doc)
	err = db.Write(ctx, func(conn *sqlite.Conn) error {
		if err := store.PutSetting(conn, daemon.StatusKey, string(raw), now); err != nil {
			return err
		}
		return store.PutSetting(conn, daemon.StatusRevisionKey, "bench", now)
	})
	if err != nil {
		log.Fatal(err)
	}
	// .claude.json: a megabyte of project history around oauthAccount.
	var b strings.Builder
	b.WriteString("{\n  \"numStartups\": 812,\n  \"projects\": {\n")
	for i := 0; b.Len() < 1<<20; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `    "/home/me/src/project-%d": {"allowedTools": [], "history": [{"display": "fix the flaky test in module %d and explain the oauthAccount handling", "pastedContents": {}}], "hasTrustDialogAccepted": true, "lastCost": 1.25, "lastSessionId": "%08d-0000-4000-8000-000000000000"}`, i, i, i)
	}
	b.WriteString("\n  },\n  \"oauthAccount\": {\"accountUuid\": \"uuid-work\", \"emailAddress\": \"work@example.com\", \"organizationUuid\": \"org-work\", \"displayName\": \"Work\"},\n  \"hasCompletedOnboarding\": true\n}\n")
	if err := os.WriteFile(*claudeJSON, []byte(b.String()), 0o600); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("seeded %d samples for %d accounts; %s is %d KB\n", n, len(labels), *claudeJSON, b.Len()>>10)
}
