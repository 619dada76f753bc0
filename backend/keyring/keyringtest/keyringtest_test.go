package keyringtest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring"
)

func TestMemoryConformance(t *testing.T) {
	Conformance(t, New())
}

func TestMemorySimulatedStates(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		arrange func(m *Memory)
		want    error
	}{
		{"locked", func(m *Memory) { m.SetLocked(true) }, keyring.ErrLocked},
		{"unavailable", func(m *Memory) { m.SetUnavailable(true) }, keyring.ErrUnavailable},
		{"custom failure", func(m *Memory) {
			m.FailWith(func(Op, string, string) error { return errBoom })
		}, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			if err := m.Set(ctx, "s", "a", "", []byte("v")); err != nil {
				t.Fatal(err)
			}
			tt.arrange(m)
			_, err := m.Get(ctx, "s", "a")
			if !errors.Is(err, tt.want) {
				t.Errorf("Get: %v, want %v", err, tt.want)
			}
			if err := m.Set(ctx, "s", "a", "", []byte("w")); !errors.Is(err, tt.want) {
				t.Errorf("Set: %v, want %v", err, tt.want)
			}
			if err := m.Delete(ctx, "s", "a"); !errors.Is(err, tt.want) {
				t.Errorf("Delete: %v, want %v", err, tt.want)
			}
			// The failures changed nothing.
			if v, ok := m.Peek("s", "a"); !ok || string(v) != "v" {
				t.Errorf("item after failed calls: %q %v", v, ok)
			}
		})
	}
}

var errBoom = errors.New("boom")

func TestMemoryStatesClear(t *testing.T) {
	ctx := context.Background()
	m := New()
	m.SetLocked(true)
	m.SetUnavailable(true) // replaces locked
	m.SetLocked(false)     // not the current state: no effect
	if _, err := m.Get(ctx, "s", "a"); !errors.Is(err, keyring.ErrUnavailable) {
		t.Fatalf("Get: %v, want ErrUnavailable", err)
	}
	m.SetUnavailable(false)
	if _, err := m.Get(ctx, "s", "a"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get after clearing: %v, want ErrNotFound", err)
	}
}

func TestMemoryFailNext(t *testing.T) {
	ctx := context.Background()
	m := New()
	m.FailNext(OpSet, errBoom)
	if _, err := m.Get(ctx, "s", "a"); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("Get was affected: %v", err)
	}
	if err := m.Set(ctx, "s", "a", "", []byte("v")); !errors.Is(err, errBoom) {
		t.Fatalf("first Set: %v, want boom", err)
	}
	if err := m.Set(ctx, "s", "a", "", []byte("v")); err != nil {
		t.Fatalf("second Set: %v", err)
	}
}

func TestMemoryRecordsCallsAndLabels(t *testing.T) {
	ctx := context.Background()
	m := New()
	_ = m.Set(ctx, "s2", "b", "label b", []byte("x"))
	_ = m.Set(ctx, "s1", "a", "label a", []byte("y"))
	_, _ = m.Get(ctx, "s1", "a")
	_ = m.Delete(ctx, "s9", "z")
	want := []Call{{OpSet, "s2", "b"}, {OpSet, "s1", "a"}, {OpGet, "s1", "a"}, {OpDelete, "s9", "z"}}
	if got := m.Calls(); !slices.Equal(got, want) {
		t.Errorf("Calls = %v, want %v", got, want)
	}
	if got := m.Keys(); !slices.Equal(got, []Key{{"s1", "a"}, {"s2", "b"}}) {
		t.Errorf("Keys = %v", got)
	}
	if l, ok := m.Label("s2", "b"); !ok || l != "label b" {
		t.Errorf("Label = %q %v", l, ok)
	}
}

func TestMemoryHonoursContext(t *testing.T) {
	m := New()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Set(ctx, "s", "a", "", []byte("v")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Set with a cancelled context: %v", err)
	}
	if _, ok := m.Peek("s", "a"); ok {
		t.Fatal("stored despite the cancelled context")
	}
}

// Replacing or deleting wipes the old bytes held in memory.
func TestMemoryWipesReplacedSecrets(t *testing.T) {
	ctx := context.Background()
	m := New()
	_ = m.Set(ctx, "s", "a", "", []byte("old secret"))
	m.mu.Lock()
	held := m.items[Key{"s", "a"}].secret
	m.mu.Unlock()
	_ = m.Set(ctx, "s", "a", "", []byte("new"))
	if !bytes.Equal(held, make([]byte, len(held))) {
		t.Fatalf("replaced secret still in memory: %q", held)
	}
}
