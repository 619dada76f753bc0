package clock

import (
	"testing"
	"time"
)

func TestFakeFiresInOrderOnAdvance(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	a := f.NewTimer(2 * time.Minute)
	b := f.NewTimer(time.Minute)
	f.Advance(90 * time.Second)
	select {
	case got := <-b.C():
		if !got.Equal(start.Add(time.Minute)) {
			t.Fatalf("b fired with %v", got)
		}
	default:
		t.Fatal("b should have fired")
	}
	select {
	case <-a.C():
		t.Fatal("a fired early")
	default:
	}
	if d, ok := f.NextDeadline(); !ok || !d.Equal(start.Add(2*time.Minute)) {
		t.Fatalf("next deadline %v %v", d, ok)
	}
	if !a.Stop() || a.Stop() {
		t.Fatal("Stop should report active once")
	}
	f.Advance(time.Hour)
	select {
	case <-a.C():
		t.Fatal("stopped timer fired")
	default:
	}
}

func TestFakeResetAndZeroDuration(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Hour)
	tm.Reset(time.Second)
	f.Advance(time.Second)
	<-tm.C()
	select {
	case <-f.After(0):
	default:
		t.Fatal("After(0) should fire at once")
	}
	if f.Pending() != 0 {
		t.Fatalf("pending %d", f.Pending())
	}
}
