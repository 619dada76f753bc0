package accounts_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/backend/keyring/keyringtest"
	"github.com/aimonitor/aimonitor/backend/store"
)

// harness is a temp HOME with Claude Code's files, an in-memory keyring,
// a real database and the simulator on loopback.
type harness struct {
	t       testing.TB
	ctx     context.Context
	home    string
	dataDir string
	kr      *keyringtest.Memory
	sim     *sim.Server
	url     string // the simulator's
	api     *anthropic.Client
	db      *store.Store
	slot    *claudecode.Slot
	m       *accounts.Manager
}

const krAccount = "tester"

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), home: t.TempDir(), dataDir: t.TempDir(), kr: keyringtest.New()}
	h.sim = sim.New(clock.Real{})
	srv := httptest.NewServer(h.sim)
	t.Cleanup(func() { h.sim.Close(); srv.Close() })
	h.url = srv.URL
	policy, err := egress.PolicyFromOverrides(srv.URL, srv.URL+sim.TokenPath, "")
	if err != nil {
		t.Fatal(err)
	}
	h.api, err = anthropic.New(egress.NewClient(policy), clock.Real{}, anthropic.WithBaseURL(srv.URL), anthropic.WithTokenURL(srv.URL+sim.TokenPath))
	if err != nil {
		t.Fatal(err)
	}
	h.db, err = store.Open(h.ctx, filepath.Join(h.dataDir, "aimonitor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.db.Close() })
	h.slot = h.newSlot(2 * time.Second)
	h.m = h.newManager(h.slot)
	return h
}

func (h *harness) newSlot(lockWait time.Duration) *claudecode.Slot {
	s, err := claudecode.New(claudecode.Options{Env: claudecode.Env{Home: h.home, GOOS: "linux"}, LockWait: lockWait, ReadRetryDelay: 5 * time.Millisecond})
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) newManager(slot *claudecode.Slot) *accounts.Manager {
	m, err := accounts.New(accounts.Deps{
		Store: h.db, Keyring: h.kr, ClaudeCode: slot, Anthropic: h.api,
		LockFile: filepath.Join(h.dataDir, "accounts.lock"), KeyringAccount: krAccount,
		LockWait: 5 * time.Second, CapturePoll: 10 * time.Millisecond,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

func (h *harness) account(email string) sim.Credentials {
	h.t.Helper()
	c, err := h.sim.AddAccount(sim.AccountSpec{Email: email, OrganizationName: strings.ToUpper(email[:1]) + " Org"})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) credsPath() string  { return filepath.Join(h.home, ".claude", ".credentials.json") }
func (h *harness) configPath() string { return filepath.Join(h.home, ".claude.json") }

// login plays Claude Code's /login: it writes the credential (with a
// machine-wide mcpOAuth member aimonitor must keep) and oauthAccount.
func (h *harness) login(c sim.Credentials) {
	h.t.Helper()
	blob, err := setMember(c.ClaudeCodeJSON(), "mcpOAuth", []byte(`{"github":{"accessToken":"mcp-token","expiresAt":0}}`))
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(h.credsPath()), 0o700); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.credsPath(), blob, 0o600); err != nil {
		h.t.Fatal(err)
	}
	cfg, err := os.ReadFile(h.configPath())
	if os.IsNotExist(err) {
		cfg = []byte("{\n  \"numStartups\": 3,\n  \"theme\": \"dark\",\n  \"projects\": {\n    \"/tmp/x\": {\n      \"allowedTools\": []\n    }\n  }\n}\n")
	}
	cfg, err = setMember(cfg, "oauthAccount", c.OAuthAccountJSON())
	if err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(h.configPath(), cfg, 0o600); err != nil {
		h.t.Fatal(err)
	}
}

// setMember sets a top-level member through a map (tests only: it does not
// keep key order).
func setMember(doc []byte, key string, value []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	m[key] = value
	return json.MarshalIndent(m, "", "  ")
}

func (h *harness) files() (creds, config string) {
	h.t.Helper()
	c, _ := os.ReadFile(h.credsPath())
	g, _ := os.ReadFile(h.configPath())
	return string(c), string(g)
}

// liveRefresh is the refresh token in Claude Code's live slot.
func (h *harness) liveRefresh() string {
	h.t.Helper()
	b, err := os.ReadFile(h.credsPath())
	if err != nil {
		h.t.Fatal(err)
	}
	c, err := claudecode.ParseCredentials(b)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(c.RefreshToken)
}

func (h *harness) stash(a *accounts.Account) []byte {
	h.t.Helper()
	b, ok := h.kr.Peek(a.KeyringRef, krAccount)
	if !ok {
		h.t.Fatalf("no stash for %s", a.Label)
	}
	return b
}

func (h *harness) stashCreds(a *accounts.Account) *claudecode.Credentials {
	h.t.Helper()
	c, err := claudecode.ParseCredentials(h.stash(a))
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// expireStash makes the saved login's access token expired, on both sides.
func (h *harness) expireStash(a *accounts.Account) {
	h.t.Helper()
	blob := h.stash(a)
	c, _ := claudecode.ParseCredentials(blob)
	next, err := claudecode.WithTokens(blob, c.AccessToken, c.RefreshToken, time.Now().Add(-time.Minute), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.kr.Set(h.ctx, a.KeyringRef, krAccount, "", next); err != nil {
		h.t.Fatal(err)
	}
	if err := h.sim.ExpireAccessTokens(a.AccountUUID); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) adopt(c sim.Credentials, label string) *accounts.Account {
	h.t.Helper()
	h.login(c)
	a, err := h.m.AdoptCurrent(h.ctx, label)
	if err != nil {
		h.t.Fatalf("adopt %s: %v", label, err)
	}
	return a
}

// capture saves c as label while the current login stays live, playing the
// user who logs in elsewhere once aimonitor waits.
func (h *harness) capture(c sim.Credentials, label string) *accounts.Account {
	h.t.Helper()
	var once bool
	a, err := h.m.CaptureNewLogin(h.ctx, label, 10*time.Second, func(ev accounts.CaptureEvent) {
		if ev.State == accounts.CaptureWaiting && !once {
			once = true
			go h.login(c)
		}
	})
	if err != nil {
		h.t.Fatalf("capture %s: %v", label, err)
	}
	return a
}

func (h *harness) active() *accounts.Live {
	h.t.Helper()
	l, err := h.m.Active(h.ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

func (h *harness) assertActive(want *accounts.Account) {
	h.t.Helper()
	l := h.active()
	if l.Account == nil || l.Account.ID != want.ID {
		h.t.Fatalf("active = %+v, want %s", l.Account, want.Label)
	}
	creds, cfg := h.files()
	if !strings.Contains(cfg, want.Email) || !strings.Contains(creds, "mcp-token") {
		h.t.Fatalf("files do not show %s (or lost mcpOAuth):\n%s", want.Email, cfg)
	}
}

func (h *harness) tokenCalls(acct string) (ok, failed int) {
	for _, r := range h.sim.Log().Requests {
		if r.Endpoint == sim.EndpointToken && r.Account == acct {
			if r.Status == 200 {
				ok++
			} else {
				failed++
			}
		}
	}
	return ok, failed
}
