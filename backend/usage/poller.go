package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/anthropic"
	"github.com/aimonitor/aimonitor/backend/clock"
	"github.com/aimonitor/aimonitor/backend/logging"
)

// Defaults of PollerOptions.
const (
	// DefaultSpacing is the shortest gap between two requests for one
	// account from any process; a refresh inside it is served from the
	// database.
	DefaultSpacing = 60 * time.Second
	// DefaultBackoffBase and DefaultBackoffMax bound the exponential
	// backoff after 5xx answers, timeouts and unreadable answers.
	DefaultBackoffBase = 60 * time.Second
	DefaultBackoffMax  = 30 * time.Minute
	// DefaultReloginRetry is how often an account whose login is dead is
	// tried again (in case it was logged in again meanwhile).
	DefaultReloginRetry = 15 * time.Minute
	// inFlightHold closes the gate while a request is out, so another
	// process does not send a twin; it reopens by itself if we crash.
	inFlightHold = 2 * time.Minute
)

// Kinds of failure, as stored in usage_poll.error_kind and shown.
const (
	KindThrottled = "throttled"
	KindServer    = "server"
	KindNetwork   = "network"
	KindMalformed = "malformed"
	KindRelogin   = "relogin"
	KindToken     = "token"
	KindOther     = "other"
)

// Outcome says what a Fetch did.
type Outcome string

const (
	// Fetched: the endpoint answered and the sample was stored.
	Fetched Outcome = "fetched"
	// Fresh: another request went out less than Spacing ago; the stored
	// sample is current enough, nothing was sent.
	Fresh Outcome = "fresh"
	// Waiting: a Retry-After or a backoff is in force; nothing was sent.
	Waiting Outcome = "waiting"
	// Failed: the request failed; NotBefore says when to try again.
	Failed Outcome = "failed"
	// Relogin: the login is dead; the account was flagged needs_relogin.
	Relogin Outcome = "relogin"
)

// Result is the outcome of fetching one account.
type Result struct {
	AccountID int64   `json:"account_id"`
	Outcome   Outcome `json:"outcome"`
	// Sample is the newest sample: the new one, or the stored one when
	// nothing was fetched (nil if the account never had one).
	Sample *Sample `json:"sample,omitempty"`
	// NotBefore is when this account may be asked again.
	NotBefore time.Time `json:"not_before"`
	// Err explains Failed, Waiting and Relogin, in words for the user.
	Err error `json:"-"`
}

// PollerOptions tune a Poller; zero values take the defaults.
type PollerOptions struct {
	Spacing      time.Duration
	BackoffBase  time.Duration
	BackoffMax   time.Duration
	ReloginRetry time.Duration
	// Jitter returns a number in [0,1); math/rand/v2 when nil.
	Jitter func() float64
	Log    *slog.Logger
}

func (o PollerOptions) withDefaults() PollerOptions {
	if o.Spacing <= 0 {
		o.Spacing = DefaultSpacing
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = DefaultBackoffBase
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.ReloginRetry <= 0 {
		o.ReloginRetry = DefaultReloginRetry
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Log == nil {
		o.Log = logging.Discard()
	}
	return o
}

// Poller fetches the usage of one account at a time, obeying and updating
// the gate every process shares. It is safe for concurrent use.
type Poller struct {
	hist     *History
	accounts Accounts
	client   Client
	clock    clock.Clock
	opts     PollerOptions

	// inFlight serialises requests per account inside this process (the
	// database gate does it between processes).
	mu       sync.Mutex
	inFlight map[int64]*sync.Mutex
}

// NewPoller returns a Poller.
func NewPoller(hist *History, accounts Accounts, client Client, clk clock.Clock, opts PollerOptions) *Poller {
	return &Poller{hist: hist, accounts: accounts, client: client, clock: clk, opts: opts.withDefaults(), inFlight: map[int64]*sync.Mutex{}}
}

// History is the store the poller writes to.
func (p *Poller) History() *History { return p.hist }

// Spacing is the shortest gap between two requests for one account.
func (p *Poller) Spacing() time.Duration { return p.opts.Spacing }

func (p *Poller) accountLock(id int64) *sync.Mutex {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, ok := p.inFlight[id]
	if !ok {
		m = &sync.Mutex{}
		p.inFlight[id] = m
	}
	return m
}

// Fetch asks the usage endpoint for acct's windows, unless the shared gate
// is closed (a Retry-After, a backoff, or a request less than Spacing ago),
// in which case it returns the stored sample without sending anything.
func (p *Poller) Fetch(ctx context.Context, acct Account) Result {
	lock := p.accountLock(acct.ID)
	lock.Lock()
	defer lock.Unlock()

	now := p.clock.Now()
	res := Result{AccountID: acct.ID}
	ok, notBefore, err := p.hist.claim(ctx, acct.ID, now, inFlightHold)
	if err != nil {
		res.Outcome, res.Err, res.NotBefore = Failed, err, now.Add(p.opts.BackoffBase)
		return res
	}
	if !ok {
		res.NotBefore = notBefore
		if s, found, err := p.hist.LatestFor(ctx, acct.ID); err == nil && found {
			res.Sample = &s
			if now.Sub(s.FetchedAt) < p.opts.Spacing {
				res.Outcome = Fresh
				return res
			}
		}
		res.Outcome = Waiting
		res.Err = fmt.Errorf("usage of %s is not asked for again before %s (%s)", acct.Label, notBefore.Local().Format("15:04:05"), p.waitReason(ctx, acct.ID))
		return res
	}

	u, err := p.request(ctx, acct)
	now = p.clock.Now()
	if err == nil {
		s := Sample{AccountID: acct.ID, FetchedAt: now, Usage: u}
		if err := p.hist.recordSuccess(ctx, s, p.opts.Spacing); err != nil {
			res.Outcome, res.Err, res.NotBefore = Failed, err, now.Add(p.opts.Spacing)
			return res
		}
		if acct.NeedsRelogin {
			if err := p.accounts.ClearNeedsRelogin(ctx, acct.ID); err != nil {
				p.opts.Log.Warn("usage: could not clear the re-login flag", "account", acct.Label, "err", err)
			}
		}
		res.Outcome, res.Sample, res.NotBefore = Fetched, &s, now.Add(p.opts.Spacing)
		return res
	}
	return p.fail(ctx, acct, now, err)
}

// waitReason words the stored cause of a closed gate.
func (p *Poller) waitReason(ctx context.Context, id int64) string {
	states, err := p.hist.PollStates(ctx)
	if err != nil {
		return "the gate is closed"
	}
	switch st := states[id]; st.ErrorKind {
	case KindThrottled:
		return "Anthropic asked to wait"
	case "":
		return "asked moments ago"
	default:
		return "backing off after: " + st.LastError
	}
}

// errRelogin marks failures only a new login fixes.
type errRelogin struct{ reason string }

func (e *errRelogin) Error() string { return e.reason }

// request gets a token and asks for the usage, refreshing the token once
// after a 401.
func (p *Poller) request(ctx context.Context, acct Account) (*anthropic.Usage, error) {
	tok, err := p.accounts.AccessToken(ctx, acct.ID)
	if err != nil {
		clear(tok)
		if errors.Is(err, anthropic.ErrRefreshDead) {
			return nil, &errRelogin{reason: "the login has expired or was revoked; log in again with Claude Code"}
		}
		return nil, fmt.Errorf("getting the access token: %w", err)
	}
	u, err := p.client.Usage(ctx, tok)
	clear(tok)
	if errors.Is(err, anthropic.ErrUnauthorized) {
		p.opts.Log.Info("usage: access token refused, refreshing it once", "account", acct.Label)
		tok, rerr := p.accounts.ForceRefresh(ctx, acct.ID)
		if rerr != nil {
			clear(tok)
			if errors.Is(rerr, anthropic.ErrRefreshDead) {
				return nil, &errRelogin{reason: "the login has expired or was revoked; log in again with Claude Code"}
			}
			return nil, fmt.Errorf("refreshing the access token: %w", rerr)
		}
		u, err = p.client.Usage(ctx, tok)
		clear(tok)
		if errors.Is(err, anthropic.ErrUnauthorized) {
			return nil, &errRelogin{reason: "Anthropic refuses this login even with a fresh token; log in again with Claude Code"}
		}
	}
	if errors.Is(err, anthropic.ErrMissingScope) {
		return nil, &errRelogin{reason: "the login lacks the user:profile permission; log in again with Claude Code"}
	}
	return u, err
}

func (p *Poller) backoff(failures int) time.Duration {
	d := float64(p.opts.BackoffBase) * math.Pow(2, float64(max(0, failures-1)))
	d = math.Min(d, float64(p.opts.BackoffMax))
	return time.Duration(d * (1 + 0.2*p.opts.Jitter()))
}

func kindOf(err error) string {
	switch {
	case errors.Is(err, anthropic.ErrThrottled):
		return KindThrottled
	case errors.Is(err, anthropic.ErrServer):
		return KindServer
	case errors.Is(err, anthropic.ErrNetwork):
		return KindNetwork
	case errors.Is(err, anthropic.ErrMalformed), errors.Is(err, anthropic.ErrUnexpectedStatus):
		return KindMalformed
	}
	return KindOther
}

func (p *Poller) fail(ctx context.Context, acct Account, now time.Time, err error) Result {
	res := Result{AccountID: acct.ID}
	if s, found, lerr := p.hist.LatestFor(ctx, acct.ID); lerr == nil && found {
		res.Sample = &s
	}
	msg := logging.Redact(err.Error())
	if ctx.Err() != nil {
		// Shutting down: reopen the gate for whoever polls next.
		p.hist.recordFailure(context.WithoutCancel(ctx), failure{accountID: acct.ID, at: now, kind: KindNetwork, message: msg,
			notBefore: func(int) time.Time { return now }})
		res.Outcome, res.Err, res.NotBefore = Failed, err, now
		return res
	}
	var relogin *errRelogin
	if errors.As(err, &relogin) {
		reason := relogin.reason
		if serr := p.accounts.SetNeedsRelogin(ctx, acct.ID, reason); serr != nil {
			p.opts.Log.Warn("usage: could not flag the account for re-login", "account", acct.Label, "err", serr)
		}
		nb, rerr := p.hist.recordFailure(ctx, failure{accountID: acct.ID, at: now, kind: KindRelogin, message: reason,
			notBefore: func(int) time.Time { return now.Add(p.opts.ReloginRetry) }})
		if rerr != nil {
			nb = now.Add(p.opts.ReloginRetry)
		}
		p.opts.Log.Warn("usage: the login needs to be renewed", "account", acct.Label, "reason", reason)
		res.Outcome, res.Err, res.NotBefore = Relogin, err, nb
		return res
	}

	kind := kindOf(err)
	var aerr *anthropic.Error
	if kind == KindOther && !errors.As(err, &aerr) {
		kind = KindToken // from the accounts Manager: keyring, refresh plumbing
	}
	f := failure{accountID: acct.ID, at: now, kind: kind, message: msg, count: true}
	if kind == KindThrottled && errors.As(err, &aerr) {
		// Honour Retry-After, and grow the wait when 429s persist (the
		// endpoint is known to keep answering 429 with retry-after: 0).
		wait := aerr.RetryAfter
		f.cooldown = true
		f.notBefore = func(n int) time.Time { return now.Add(max(wait, p.backoff(n))) }
	} else {
		f.notBefore = func(n int) time.Time { return now.Add(p.backoff(n)) }
	}
	nb, rerr := p.hist.recordFailure(ctx, f)
	if rerr != nil {
		nb = now.Add(p.opts.BackoffBase)
	}
	p.opts.Log.Info("usage: request failed", "account", acct.Label, "kind", kind, "err", msg, "retry_at", nb)
	res.Outcome, res.Err, res.NotBefore = Failed, err, nb
	return res
}
