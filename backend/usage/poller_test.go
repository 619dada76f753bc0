package usage_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/anthropic/sim"
	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/usage"
	"github.com/aimonitor/aimonitor/backend/usage/usagetest"
)

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type world struct {
	*usagetest.Env
	poller *usage.Poller
	log    *lockedBuffer
}

func newWorld(t *testing.T) *world {
	t.Helper()
	e := usagetest.New(t)
	buf := &lockedBuffer{}
	// Unredacted on purpose: the test proves the poller itself never logs
	// a token, not that the redactor catches it.
	log := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := usage.NewPoller(usage.NewHistory(e.Store), e.Accounts, e.Client, e.Clock, usage.PollerOptions{Jitter: func() float64 { return 0 }, Log: log})
	t.Cleanup(func() {
		if strings.Contains(buf.String(), "sk-ant-") {
			t.Errorf("a token reached the log:\n%s", buf.String())
		}
	})
	return &world{Env: e, poller: p, log: buf}
}

func (w *world) account(t *testing.T, id int64) usage.Account {
	t.Helper()
	list, err := w.Accounts.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no account %d", id)
	return usage.Account{}
}

func (w *world) fetch(t *testing.T, id int64) usage.Result {
	t.Helper()
	return w.poller.Fetch(context.Background(), w.account(t, id))
}

func TestFetchStoresWhatTheEndpointSays(t *testing.T) {
	w := newWorld(t)
	id, _ := w.Add(t, "work", map[string]sim.WindowSpec{
		sim.FiveHour: {Utilization: 42, ResetsIn: 2 * time.Hour},
		sim.SevenDay: {Utilization: 17, ResetsIn: 80 * time.Hour},
	})
	res := w.fetch(t, id)
	if res.Outcome != usage.Fetched || res.Err != nil {
		t.Fatalf("outcome %s, err %v", res.Outcome, res.Err)
	}
	if u := res.Sample.Usage; u.FiveHour.Utilization != 42 || u.SevenDay.Utilization != 17 || !u.FiveHour.ResetsAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("sample %+v %+v", u.FiveHour, u.SevenDay)
	}
	stored, found, err := w.poller.History().LatestFor(context.Background(), id)
	if err != nil || !found || stored.Usage.FiveHour.Utilization != 42 || !stored.FetchedAt.Equal(t0) {
		t.Fatalf("stored %+v found=%v err=%v", stored, found, err)
	}
	if !res.NotBefore.Equal(t0.Add(usage.DefaultSpacing)) {
		t.Fatalf("NotBefore %v, want spacing after now", res.NotBefore)
	}
}

func TestFetchInsideSpacingServesTheStoredSample(t *testing.T) {
	w := newWorld(t)
	id, uuid := w.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: time.Hour}})
	w.fetch(t, id)
	w.Clock.Advance(30 * time.Second)
	res := w.fetch(t, id)
	if res.Outcome != usage.Fresh || res.Sample == nil || res.Sample.Usage.FiveHour.Utilization != 10 {
		t.Fatalf("second fetch: %s %+v", res.Outcome, res.Sample)
	}
	if n := w.Requests(uuid); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	w.Clock.Advance(30 * time.Second)
	if res := w.fetch(t, id); res.Outcome != usage.Fetched {
		t.Fatalf("after the spacing: %s", res.Outcome)
	}
}

// A 429 with Retry-After 120 s closes the gate for every process on the
// database: a second poller with its own connection pool and HTTP client
// (a CLI refresh, say) sends nothing until the 120 s are over.
func TestRetryAfterIsObeyedByEveryProcess(t *testing.T) {
	w := newWorld(t)
	id, uuid := w.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: time.Hour}})
	if err := w.Sim.SetFault(sim.Fault{Kind: sim.FaultThrottle, Endpoint: sim.EndpointUsage, RetryAfter: "120", Times: 1}); err != nil {
		t.Fatal(err)
	}
	res := w.fetch(t, id)
	if res.Outcome != usage.Failed || !errors.Is(res.Err, anthropic.ErrThrottled) || !res.NotBefore.Equal(t0.Add(120*time.Second)) {
		t.Fatalf("first fetch: %s %v until %v", res.Outcome, res.Err, res.NotBefore)
	}
	// The cooldown is where the rest of the app reads it.
	if a := w.account(t, id); a.CooldownUntil == nil || !a.CooldownUntil.Equal(t0.Add(120*time.Second)) {
		t.Fatalf("accounts.cooldown_until = %v", a.CooldownUntil)
	}

	other := usagetest.OpenStore(t, w.DBFile)
	otherAccounts := w.Accounts.Sibling(other, usagetest.NewClient(t, w.Clock, w.URL))
	second := usage.NewPoller(usage.NewHistory(other), otherAccounts, usagetest.NewClient(t, w.Clock, w.URL), w.Clock, usage.PollerOptions{})
	for _, step := range []time.Duration{0, 60 * time.Second, 59 * time.Second} {
		w.Clock.Advance(step)
		for name, p := range map[string]*usage.Poller{"same process": w.poller, "other process": second} {
			acct := w.account(t, id)
			if r := p.Fetch(context.Background(), acct); r.Outcome != usage.Waiting || r.Err == nil {
				t.Fatalf("%s at +%v: %s (%v)", name, w.Clock.Now().Sub(t0), r.Outcome, r.Err)
			}
		}
	}
	if n := w.Requests(uuid); n != 1 {
		t.Fatalf("%d usage requests inside the Retry-After, want only the throttled one", n)
	}
	w.Clock.Advance(time.Second) // exactly 120 s
	if r := second.Fetch(context.Background(), w.account(t, id)); r.Outcome != usage.Fetched {
		t.Fatalf("after Retry-After: %s %v", r.Outcome, r.Err)
	}
	if n := w.Requests(uuid); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestServerErrorsBackOffExponentially(t *testing.T) {
	w := newWorld(t)
	id, uuid := w.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 10, ResetsIn: time.Hour}})
	if err := w.Sim.SetFault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage, Status: 503, Times: 3}); err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	for i := 0; i < 3; i++ {
		res := w.fetch(t, id)
		if res.Outcome != usage.Failed || !errors.Is(res.Err, anthropic.ErrServer) {
			t.Fatalf("attempt %d: %s %v", i, res.Outcome, res.Err)
		}
		waits = append(waits, res.NotBefore.Sub(w.Clock.Now()))
		// Knocking early is refused without a request.
		w.Clock.Advance(waits[i] - time.Second)
		if r := w.fetch(t, id); r.Outcome != usage.Waiting {
			t.Fatalf("attempt %d: early knock %s", i, r.Outcome)
		}
		w.Clock.Advance(time.Second)
	}
	want := []time.Duration{60 * time.Second, 120 * time.Second, 240 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("backoff %v, want %v", waits, want)
		}
	}
	if res := w.fetch(t, id); res.Outcome != usage.Fetched {
		t.Fatalf("after the faults: %s", res.Outcome)
	}
	states, _ := w.poller.History().PollStates(context.Background())
	if st := states[id]; st.Failures != 0 || st.LastError != "" {
		t.Fatalf("success did not reset the backoff: %+v", st)
	}
	if n := w.Requests(uuid); n != 4 {
		t.Fatalf("%d requests, want 4", n)
	}
}

func TestExpiredTokenIsRefreshedOnce(t *testing.T) {
	w := newWorld(t)
	id, uuid := w.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 33, ResetsIn: time.Hour}})
	if err := w.Sim.ExpireAccessTokens(uuid); err != nil {
		t.Fatal(err)
	}
	res := w.fetch(t, id)
	if res.Outcome != usage.Fetched || res.Sample.Usage.FiveHour.Utilization != 33 {
		t.Fatalf("%s %v", res.Outcome, res.Err)
	}
	if n := w.Accounts.Refreshes(); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	if w.account(t, id).NeedsRelogin {
		t.Fatal("a refreshable login was flagged")
	}
}

func TestDeadLoginsNeedRelogin(t *testing.T) {
	cases := []struct {
		name   string
		kill   func(w *world, uuid string)
		reason string
	}{
		{"revoked", func(w *world, uuid string) { w.Sim.RevokeLogin(uuid) }, "expired or was revoked"},
		{"token refused even after a refresh", func(w *world, uuid string) {
			w.Sim.SetFault(sim.Fault{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage, Status: 401})
		}, "even with a fresh token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			id, uuid := w.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 5, ResetsIn: time.Hour}})
			c.kill(w, uuid)
			res := w.fetch(t, id)
			if res.Outcome != usage.Relogin {
				t.Fatalf("outcome %s (%v)", res.Outcome, res.Err)
			}
			a := w.account(t, id)
			if !a.NeedsRelogin || !strings.Contains(a.ReloginReason, c.reason) {
				t.Fatalf("needs_relogin=%v reason=%q", a.NeedsRelogin, a.ReloginReason)
			}
			if !res.NotBefore.Equal(w.Clock.Now().Add(usage.DefaultReloginRetry)) {
				t.Fatalf("retry at %v", res.NotBefore)
			}
			if n := w.Accounts.Refreshes(); n != 1 {
				t.Fatalf("%d refreshes, want exactly 1", n)
			}
		})
	}
}

func TestNextSuccessClearsRelogin(t *testing.T) {
	w := newWorld(t)
	id, uuid := w.Add(t, "work", map[string]sim.WindowSpec{sim.FiveHour: {Utilization: 5, ResetsIn: time.Hour}})
	w.Sim.RevokeLogin(uuid)
	if res := w.fetch(t, id); res.Outcome != usage.Relogin {
		t.Fatalf("%s", res.Outcome)
	}
	w.Clock.Advance(usage.DefaultReloginRetry)
	if res := w.fetch(t, id); res.Outcome != usage.Relogin {
		t.Fatalf("the dead login still fails: %s", res.Outcome)
	}
	// The user logs in again; the Manager stores the new login. The next
	// success clears the flag.
	creds, err := w.Sim.Login(uuid)
	if err != nil {
		t.Fatal(err)
	}
	w.Accounts.SetLogin(id, creds)
	w.Clock.Advance(usage.DefaultReloginRetry)
	if res := w.fetch(t, id); res.Outcome != usage.Fetched {
		t.Fatalf("after re-login: %s %v", res.Outcome, res.Err)
	}
	if a := w.account(t, id); a.NeedsRelogin || a.ReloginReason != "" {
		t.Fatalf("flag not cleared: %+v", a)
	}
}

func TestMissingScopeNeedsRelogin(t *testing.T) {
	w := newWorld(t)
	creds, err := w.Sim.AddAccount(sim.AccountSpec{Email: "narrow@example.com", Scopes: []string{"user:inference"}})
	if err != nil {
		t.Fatal(err)
	}
	id := w.Accounts.Add(t, "narrow", creds)
	res := w.fetch(t, id)
	if res.Outcome != usage.Relogin || !strings.Contains(w.account(t, id).ReloginReason, "user:profile") {
		t.Fatalf("%s %q", res.Outcome, w.account(t, id).ReloginReason)
	}
}

func TestErrorsCarryNoToken(t *testing.T) {
	w := newWorld(t)
	id, _ := w.Add(t, "work", nil)
	for _, f := range []sim.Fault{
		{Kind: sim.FaultMalformedJSON, Endpoint: sim.EndpointUsage, Times: 1},
		{Kind: sim.FaultWrongShape, Endpoint: sim.EndpointUsage, Times: 1},
		{Kind: sim.FaultServerError, Endpoint: sim.EndpointUsage, Times: 1},
	} {
		w.Sim.SetFault(f)
		res := w.fetch(t, id)
		if res.Outcome != usage.Failed || res.Err == nil {
			t.Fatalf("%s: %s", f.Kind, res.Outcome)
		}
		if strings.Contains(res.Err.Error(), "sk-ant-") {
			t.Fatalf("%s: token in %v", f.Kind, res.Err)
		}
		w.Clock.Advance(time.Hour)
	}
	states, _ := w.poller.History().PollStates(context.Background())
	if st := states[id]; st.ErrorKind != usage.KindServer || strings.Contains(st.LastError, "sk-ant-") {
		t.Fatalf("stored %+v", st)
	}
	if strings.Contains(logging.Redact(w.log.String()), logging.Mask) {
		t.Fatal("the log needed redacting")
	}
}
