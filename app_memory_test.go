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
	if env[dmabufEnv] != "1" {
		t.Errorf("%s = %q, want 1", dmabufEnv, env[dmabufEnv])
	}
	if gc != widgetGCPercent {
		t.Errorf("GC percent = %d, want %d", gc, widgetGCPercent)
	}
}

func TestWidgetMemoryDefaultsLeaveTheUsersChoices(t *testing.T) {
	env := fakeEnv{jitEnv: "true", dmabufEnv: "0", "GOGC": "200"}
	called := false
	if err := applyWidgetMemoryDefaults(env.get, env.set, func(int) int { called = true; return 100 }); err != nil {
		t.Fatal(err)
	}
	if env[jitEnv] != "true" || env[dmabufEnv] != "0" {
		t.Errorf("the user's settings were overwritten: %v", env)
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
