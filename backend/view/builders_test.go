package view

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/update"
	"github.com/aimonitor/aimonitor/backend/usage"
)

func TestSwitchProgressAnnouncesRunningStepsInWords(t *testing.T) {
	if _, ok := SwitchStep("ada", accounts.Step{Step: accounts.StepWrite, State: accounts.StateDone}); ok {
		t.Fatal("a finished step is announced")
	}
	p, ok := SwitchStep("ada", accounts.Step{Step: accounts.StepWrite, State: accounts.StateRunning})
	if !ok || p.Label != "ada" || p.Step != "writing Claude Code's credentials" || p.Done {
		t.Fatalf("%+v %v", p, ok)
	}
	if d := SwitchDone("ada", errors.New("locked")); !d.Done || d.Error != "locked" {
		t.Fatalf("%+v", d)
	}
	data, _ := json.Marshal(SwitchDone("ada", nil))
	if string(data) != `{"label":"ada","step":"","done":true}` {
		t.Fatalf("%s", data)
	}
}

func TestAddProgressIsTheCaptureEventWithItsLabel(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ev := accounts.CaptureEvent{State: accounts.CaptureFound, Message: "saving", Email: "a@example.com", Deadline: at}
	got, _ := json.Marshal(NewAddProgress("ada", ev))
	// The shape the frontend has always read: the label, then the event's fields.
	want, _ := json.Marshal(struct {
		Label string `json:"label"`
		accounts.CaptureEvent
	}{"ada", ev})
	if string(got) != string(want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestHistoryPointsCarryOnlyTheWindowsSampled(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	pts := History([]usage.Sample{
		{FetchedAt: at, Usage: &anthropic.Usage{FiveHour: &anthropic.Window{Utilization: 12}}},
	})
	if len(pts) != 1 || *pts[0].FiveHour != 12 || pts[0].SevenDay != nil || !pts[0].TS.Equal(at) {
		t.Fatalf("%+v", pts)
	}
	if pts := History(nil); pts == nil {
		t.Fatal("no samples must still be an empty list, not null")
	}
	for in, want := range map[int]int{0: 24, -3: 24, 1: 1, 24 * 35: 24 * 35, 24*35 + 1: 24} {
		if got := HistoryHours(in); got != want {
			t.Errorf("HistoryHours(%d) = %d, want %d", in, got, want)
		}
	}
}

func TestUpdateInfoIsSeenFromThisBuild(t *testing.T) {
	info := NewUpdateInfo(update.Remembered{Result: update.Result{Current: "v0.1.0", Latest: "v0.2.0"}}, "v0.3.0", true)
	if info.Current != "v0.3.0" || info.CheckedAt != nil || !info.Enabled {
		t.Fatalf("%+v", info)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	info = NewUpdateInfo(update.Remembered{CheckedAt: at, Error: "offline"}, "v0.3.0", false)
	if info.CheckedAt == nil || !info.CheckedAt.Equal(at) || info.Error != "offline" || info.Enabled {
		t.Fatalf("%+v", info)
	}
}

// Error texts the widget shows in progress events pass the redactor.
func TestProgressErrorsAreRedacted(t *testing.T) {
	const shaped = "sk-ant-oat01-EventLeakEventLeakEventLeak"
	if d := SwitchDone("ada", errors.New("failed: "+shaped)); strings.Contains(d.Error, "EventLeak") || !strings.Contains(d.Error, "failed") {
		t.Fatalf("switch error %q", d.Error)
	}
	if p := NewAddProgress("ada", accounts.CaptureEvent{State: accounts.CaptureFailed, Message: "no: " + shaped}); strings.Contains(p.Message, "EventLeak") {
		t.Fatalf("capture message %q", p.Message)
	}
}
