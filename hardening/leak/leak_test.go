package leak

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const canary = "sk-ant-oat01-Zq3vN8pXw2LrT5yKc7HbM1dF9gJs4QeUa6VoBiYnR0tExPlWzCuGkDhSj_-AbCdEfGhIjKlMnOpQrStUvWxYzAA"

func scanner() *Scanner {
	s := New()
	s.Secret("the access token of work", []byte(canary))
	return s
}

// Every way a token might be printed is found; ordinary text is not.
func TestScanTextFindsEveryEncoding(t *testing.T) {
	body := strings.TrimPrefix(canary, TokenPrefix)
	cases := []struct {
		name, text string
		want       string // a substring of the finding, "" for none
	}{
		{"raw", "token=" + canary, "the access token of work"},
		{"truncated without prefix", "…" + body[10:40] + "…", "the access token of work (in part)"},
		{"hex", hex.EncodeToString([]byte(canary)), "hex-encoded"},
		{"HEX", strings.ToUpper(hex.EncodeToString([]byte(canary))), "hex-encoded"},
		{"decimal bytes", fmt.Sprint([]byte(canary)), "as decimal bytes"},
		{"base64", base64.StdEncoding.EncodeToString([]byte(canary)), "base64-encoded"},
		{"base64 shifted by one", base64.StdEncoding.EncodeToString([]byte("x" + canary)), "base64-encoded"},
		{"base64 shifted by two", base64.URLEncoding.EncodeToString([]byte("xy" + canary)), "base64-encoded"},
		{"another token of the same shape", "sk-ant-ort01-somethingelse", "token-shaped"},
		{"prefix in hex", hex.EncodeToString([]byte("sk-ant-api03-xyz")), "token-shaped string (sk-ant-), hex-encoded"},
		{"clean", "switched Claude Code's login from=a0 to=a1 [REDACTED] accessToken", ""},
		{"clean JSON", `{"accounts":[{"label":"work","email":"a@example.com","active":true}]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Report(scanner().ScanText("out", []byte(c.text)))
			if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if strings.Contains(got, body[:20]) {
				t.Fatal("a finding repeats the secret")
			}
		})
	}
}

func TestScanTreeSkipsOnlyAllowedFiles(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(root, rel)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	creds := write(".claude/.credentials.json", canary)
	write("data/aimonitor.db-wal", "\x00\x01page "+canary[:40]+"\x00")
	write("logs/aimonitor.log", "all fine")
	write("sk-ant-in-a-name", "x")
	s := scanner()
	s.Allow(creds)
	fs, files, err := s.ScanTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if files != 3 {
		t.Fatalf("read %d files, want 3", files)
	}
	got := Report(fs)
	if !strings.Contains(got, "aimonitor.db-wal") || !strings.Contains(got, "the name ") || strings.Contains(got, ".credentials.json") || strings.Contains(got, "aimonitor.log") {
		t.Fatalf("findings:\n%s", got)
	}
}

func TestModes(t *testing.T) {
	root := t.TempDir()
	os.Chmod(root, 0o700)
	os.Mkdir(filepath.Join(root, "ok"), 0o700)
	os.WriteFile(filepath.Join(root, "ok", "db"), nil, 0o600)
	os.Mkdir(filepath.Join(root, "open"), 0o755)
	os.Chmod(filepath.Join(root, "open"), 0o755)
	os.WriteFile(filepath.Join(root, "ok", "log"), nil, 0o644)
	os.Chmod(filepath.Join(root, "ok", "log"), 0o644)
	os.Mkdir(filepath.Join(root, "skipped"), 0o777)
	os.Chmod(filepath.Join(root, "skipped"), 0o777)
	fs, err := Modes(root, func(p string) bool { return filepath.Base(p) == "skipped" })
	if err != nil {
		t.Fatal(err)
	}
	got := Report(fs)
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "mode 0755") || !strings.Contains(got, "mode 0644") {
		t.Fatalf("findings:\n%s", got)
	}
}
