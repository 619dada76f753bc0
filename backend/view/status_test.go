package view

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/usage"
)

func TestBuildStatusMergesAccountsAndPollerDocument(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	exhaust := now.Add(40 * time.Minute)
	ov := &accounts.Overview{Accounts: []accounts.AccountView{
		{Account: accounts.Account{ID: 1, Label: "ada", Subscription: "max"}, Active: true},
		{Account: accounts.Account{ID: 2, Label: "alan"}},
		{Account: accounts.Account{ID: 3, Label: "new"}},
	}}
	doc := &daemon.Document{
		Heartbeat: now.Add(-2 * time.Second), HeartbeatPeriod: 5 * time.Second,
		Owner: daemon.Owner{Mode: "daemon"},
		Accounts: []daemon.AccountStatus{
			{ID: 1, Usage: &usage.ListUsage{FiveHour: &usage.ListWindow{Utilization: 81}, FetchedAt: now.Add(-time.Hour), PredictedExhaustedAt: &exhaust},
				Predictions: map[string]usage.WindowPrediction{usage.FiveHour: {BurnRatePerHour: 27, ExhaustsAt: &exhaust}}},
			{ID: 2, Usage: &usage.ListUsage{FetchedAt: now.Add(-5 * time.Hour)}},
		},
		PendingSwap: &daemon.PendingSwap{From: "ada", Target: "alan", FiresAt: now.Add(time.Minute), Reason: "5h at 81 %"},
	}
	v := BuildStatus(ov, doc, "", 600, now)
	if v.Poller != "daemon" || v.PendingSwap == nil || v.PendingSwap.To != "alan" {
		t.Fatalf("%+v", v)
	}
	ada, alan, fresh := v.Accounts[0], v.Accounts[1], v.Accounts[2]
	if !ada.Active || ada.Usage == nil || ada.Usage.PredictedWindow != usage.FiveHour || *ada.Usage.BurnRate5h != 27 {
		t.Fatalf("ada %+v", ada)
	}
	if !ada.Stale {
		t.Fatal("an hour-old sample of the active account (10 min polling) should be stale")
	}
	if alan.Stale {
		t.Fatal("inactive accounts are refreshed on demand; an old sample is not stale")
	}
	if fresh.Usage != nil {
		t.Fatal("an account never fetched has no usage")
	}
	data, _ := json.Marshal(v)
	for _, want := range []string{`"five_hour":{"utilization":81`, `"predicted_window":"five_hour"`, `"label":"ada"`, `"usage":null`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("missing %s in %s", want, data)
		}
	}

	// A dead owner means nobody polls.
	doc.Heartbeat = now.Add(-time.Hour)
	if v := BuildStatus(ov, doc, "", 600, now); v.Poller != "none" {
		t.Fatalf("poller %s", v.Poller)
	}
	if v := BuildStatus(ov, nil, "keyring locked", 600, now); v.LastError != "keyring locked" || v.Poller != "none" || v.Unsaved != nil {
		t.Fatalf("%+v", v)
	}
	ov.Live = accounts.Live{LoggedIn: true, Email: "new@example.com", Organization: "New Org"}
	if v := BuildStatus(ov, nil, "", 600, now); v.Unsaved == nil || v.Unsaved.Email != "new@example.com" {
		t.Fatalf("an unsaved live login is not offered: %+v", v.Unsaved)
	}
}
