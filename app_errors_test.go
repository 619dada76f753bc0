package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/service"
)

// Errors returned by bound methods reach the frontend through the window's
// ErrorFormatter, which redacts them.
func TestBoundMethodErrorsAreRedacted(t *testing.T) {
	env := []string{"HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir(), "XDG_DATA_HOME=" + t.TempDir(), "XDG_STATE_HOME=" + t.TempDir()}
	svc, err := service.New(service.Options{Environ: env, GOOS: "linux"})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	opts := newApp(svc, cli.GUIOptions{}).windowOptions()
	if opts.ErrorFormatter == nil {
		t.Fatal("the window has no ErrorFormatter: bound methods' errors reach the frontend unredacted")
	}
	got, _ := opts.ErrorFormatter(errors.New(`refresh failed: {"refresh_token":"sk-ant-ort01-FrontLeakFrontLeakFrontLeak"}`)).(string)
	if got == "" || strings.Contains(got, "FrontLeak") || !strings.Contains(got, "refresh failed") {
		t.Fatalf("formatted error %q", got)
	}
}
