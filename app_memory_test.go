package main

import (
	"errors"
	"testing"
)

type fakeEnv map[string]string

func (e fakeEnv) get(k string) string { return e[k] }
func (e fakeEnv) set(k, v string) error {
	e[k] = v
	return nil
}

func TestWidgetMemoryDefaultsTurnOffTheJITAndTightenTheGC(t *testing.T) {
	env := fakeEnv{}
	gc := -1
	if err := applyWidgetMemoryDefaults(env.get, env.set, func(p int) int { gc = p; return 100 }); err != nil {
		t.Fatal(err)
	}
	if env[jitEnv] != "false" {
		t.Errorf("%s = %q, want false", jitEnv, env[jitEnv])
	}
	if gc != widgetGCPercent {
		t.Errorf("GC percent = %d, want %d", gc, widgetGCPercent)
	}
}

func TestWidgetMemoryDefaultsLeaveTheUsersChoices(t *testing.T) {
	env := fakeEnv{jitEnv: "true", "GOGC": "200"}
	called := false
	if err := applyWidgetMemoryDefaults(env.get, env.set, func(int) int { called = true; return 100 }); err != nil {
		t.Fatal(err)
	}
	if env[jitEnv] != "true" {
		t.Errorf("%s overwritten: %q", jitEnv, env[jitEnv])
	}
	if called {
		t.Error("GC percent changed although GOGC was set")
	}
}

func TestWidgetMemoryDefaultsReportASetenvFailure(t *testing.T) {
	boom := errors.New("boom")
	err := applyWidgetMemoryDefaults(func(string) string { return "" }, func(string, string) error { return boom }, func(int) int { return 100 })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}
