package logging

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	access  = "sk-ant-oat01-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcdefghijklmnop"
	refresh = "sk-ant-ort01-ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210_-zyxwvutsrqponm"
	opaque  = "opaque-secret-value-without-prefix-123456"
)

type credential struct {
	AccessToken  string
	RefreshToken string
}

type stringer struct{}

func (stringer) String() string { return "token is " + access }

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("Bearer " + opaque) }

// Every way a token could reach a log line.
func TestNoTokenSurvivesAnyLoggingPath(t *testing.T) {
	for _, json := range []bool{false, true} {
		var buf bytes.Buffer
		dir := t.TempDir()
		file := filepath.Join(dir, "logs", "aimonitor.log")
		log, closeFn, err := New(Options{Level: slog.LevelDebug, Stderr: &buf, File: file, JSON: json})
		if err != nil {
			t.Fatal(err)
		}
		blob := fmt.Sprintf(`{"claudeAiOauth":{"accessToken":"%s","refreshToken":"%s","expiresAt":1}}`, access, refresh)
		log.Debug("raw "+access, "k", refresh)
		log.Info("blob", "data", blob, "bytes", []byte(blob))
		log.Info("header", "h", "Authorization: Bearer "+opaque)
		log.Info("snake", "body", `{"access_token":"`+opaque+`","refresh_token":"`+opaque+`"}`)
		log.Info("escaped", "s", `{\"accessToken\":\"`+opaque+`\"}`)
		log.Info("form", "q", "grant_type=refresh_token&refresh_token="+opaque)
		log.Info("by key", "token", opaque, "Authorization", opaque, "refresh_token", []byte(opaque), "passphrase", opaque)
		log.Info("struct", "cred", credential{AccessToken: opaque, RefreshToken: refresh}, "ptr", &credential{AccessToken: access})
		log.Info("map", "m", map[string]string{"accessToken": access})
		log.Info("error", "err", fmt.Errorf("refresh failed: %w", errors.New("bad "+refresh)))
		log.Warn("stringer", "s", stringer{}, "v", valuer{})
		log.Info("group", slog.Group("g", slog.String("x", access), slog.Group("inner", slog.String("accessToken", opaque))))
		log.With("preset", access, slog.String("secret", opaque)).WithGroup("grp").Info("with", "y", refresh)
		log.Info(fmt.Sprintf("%v", []byte(access)))
		closeFn()

		fileData, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
			t.Fatalf("log file mode %o", st.Mode().Perm())
		}
		for name, out := range map[string]string{"stderr": buf.String(), "file": string(fileData)} {
			for _, secret := range []string{access, refresh, opaque, access[:24], refresh[len(refresh)-20:]} {
				if strings.Contains(out, secret) {
					t.Errorf("json=%v %s leaked %q:\n%s", json, name, secret[:16], out)
				}
			}
			if regexp.MustCompile(`sk-ant-o[ar]t01-[A-Za-z0-9]`).MatchString(out) {
				t.Errorf("json=%v %s has a token-shaped string:\n%s", json, name, out)
			}
			if !strings.Contains(out, Mask) {
				t.Errorf("nothing was masked in %s", name)
			}
		}
	}
}

func TestRedactKeepsOrdinaryText(t *testing.T) {
	for _, s := range []string{
		"switched to bob (5h 81.5%, 7d 40%)",
		"usage endpoint answered 429; retrying in 2m0s",
		"token expired at 2026-11-28T10:00:00Z; refreshing",
	} {
		if got := Redact(s); got != s {
			t.Errorf("Redact(%q) = %q", s, got)
		}
	}
}

// A one-shot command's terminal gets warnings and errors only; the log file
// keeps the configured level, and both are still redacted.
func TestQuietKeepsStderrToWarnings(t *testing.T) {
	for _, json := range []bool{false, true} {
		var stderr bytes.Buffer
		file := filepath.Join(t.TempDir(), "aimonitor.log")
		log, closeFn, err := New(Options{Level: slog.LevelInfo, Stderr: &stderr, File: file, JSON: json, Quiet: true})
		if err != nil {
			t.Fatal(err)
		}
		log.Debug("debug detail")
		log.With("account", "work").Info("usage: request failed", "err", "Bearer "+opaque)
		log.Warn("could not record the last use")
		closeFn()
		fileData, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out := stderr.String()
		if strings.Contains(out, "request failed") || strings.Contains(out, "debug detail") || !strings.Contains(out, "could not record the last use") {
			t.Errorf("json=%v stderr:\n%s", json, out)
		}
		got := string(fileData)
		if !strings.Contains(got, "usage: request failed") || !strings.Contains(got, "work") || !strings.Contains(got, "could not record") || strings.Contains(got, "debug detail") {
			t.Errorf("json=%v file:\n%s", json, got)
		}
		if strings.Contains(got, opaque) || !strings.Contains(got, Mask) {
			t.Errorf("json=%v file not redacted:\n%s", json, got)
		}
	}

	// Quiet never lowers the level: at error, a warning stays out too.
	var stderr bytes.Buffer
	log, _, err := New(Options{Level: slog.LevelError, Stderr: &stderr, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	log.Warn("a warning")
	log.Error("an error")
	if out := stderr.String(); strings.Contains(out, "a warning") || !strings.Contains(out, "an error") {
		t.Errorf("level error, quiet: %s", out)
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("accepted an unknown level")
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("x " + access)
	f.Add(`{"refreshToken":"` + opaque + `"}`)
	f.Add("bearer " + opaque)
	f.Fuzz(func(t *testing.T, s string) {
		out := Redact(s + " " + access + " Bearer " + opaque)
		if strings.Contains(out, access) || strings.Count(out, opaque) > strings.Count(s, opaque) {
			t.Fatalf("leak in %q", out)
		}
	})
}

// A one-shot command's warnings read as CLI lines, still redacted.
func TestQuietStderrIsPlain(t *testing.T) {
	var errb bytes.Buffer
	log, closeFn, err := New(Options{Level: slog.LevelInfo, Stderr: &errb, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	log.Info("not shown")
	log.With("account", "home").Warn("usage: request failed", "err", "rate limited", "token", "sk-ant-oat01-"+strings.Repeat("x", 40))
	want := "aimonitor: warning: usage: request failed (account=home, err=rate limited, token=" + Mask + ")\n"
	if errb.String() != want {
		t.Fatalf("stderr %q, want %q", errb.String(), want)
	}
}
