package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"zombiezen.com/go/sqlite"
	"zombiezen.com/go/sqlite/sqlitex"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/store"
)

// Steps of a switch, reported through the progress callback (and, in the
// app, as "switch:progress" events).
const (
	StepLock     = "lock"     // waiting for other aimonitor processes
	StepRefresh  = "refresh"  // refreshing the target's expired access token
	StepSnapshot = "snapshot" // saving Claude Code's current login back to its account
	StepWrite    = "write"    // writing Claude Code's credential
	StepIdentity = "identity" // updating oauthAccount in .claude.json
	StepVerify   = "verify"   // reading both back
)

// Step states.
const (
	StateRunning = "running"
	StateDone    = "done"
	StateSkipped = "skipped"
	StateFailed  = "failed"
)

// Event names the app emits (the payloads are Step, SwitchResult and
// CaptureEvent).
const (
	EventSwitchProgress = "switch:progress"
	EventSwitchResult   = "switch:result"
	EventAddProgress    = "add:progress"
)

// Step is one progress report of a switch.
type Step struct {
	Step    string `json:"step"`
	State   string `json:"state"`
	Message string `json:"message,omitempty"`
}

// SwitchResult describes a switch.
type SwitchResult struct {
	From *Account `json:"from"` // nil when Claude Code was logged out
	To   Account  `json:"to"`
	// AlreadyActive: Claude Code was already using the target; nothing
	// was written.
	AlreadyActive bool `json:"already_active"`
	// Refreshed: the target's access token was renewed on the way.
	Refreshed bool `json:"refreshed"`
	// Snapshotted: the outgoing login had changed (Claude Code refreshed
	// it) and was saved back to its account.
	Snapshotted bool      `json:"snapshotted"`
	At          time.Time `json:"at"`
}

// Switch makes Claude Code use the account labelled label: its saved login
// goes into Claude Code's live slot and its identity into .claude.json.
// trigger is TriggerManual, TriggerAuto or TriggerRestore; reason is
// recorded in the audit. progress (may be nil) sees each step. On any
// failure the previous login stays live.
func (m *Manager) Switch(ctx context.Context, label, trigger, reason string, progress func(Step)) (*SwitchResult, error) {
	if progress == nil {
		progress = func(Step) {}
	}
	report := progress
	progress = func(s Step) {
		m.log.Debug("switch step", "to", label, "step", s.Step, "state", s.State, "detail", s.Message)
		report(s)
	}
	if !validTrigger(trigger) {
		return nil, fmt.Errorf("unknown switch trigger %q", trigger)
	}
	target, err := m.ByLabel(ctx, label)
	if err != nil {
		return nil, err
	}
	progress(Step{Step: StepLock, State: StateRunning})
	unlock, err := m.lock(ctx)
	if err != nil {
		progress(Step{Step: StepLock, State: StateFailed, Message: err.Error()})
		return nil, err
	}
	defer unlock()
	progress(Step{Step: StepLock, State: StateDone})

	res := &SwitchResult{To: *target}
	var from *Account
	fromLabel := ""
	journaled := false
	err = m.switchLocked(ctx, target, trigger, reason, res, &from, &fromLabel, &journaled, progress)
	cleared := false
	if journaled {
		// Cleared last, under the lock: until then a crash is settled by
		// the next process to take the lock (see recover.go). A switch
		// that succeeded clears it with its record (recordSwitch).
		defer func() {
			if !cleared {
				m.clearIntent(ctx)
			}
		}()
	}
	if err != nil {
		m.audit(ctx, from, target, fromLabel, "", trigger, reason, err)
		m.log.Debug("switch failed; the previous login stays", "to", target.Label, "trigger", trigger, "err", err)
		return nil, fmt.Errorf("switching to %q (Claude Code's previous login is still in place): %w", target.Label, err)
	}
	if res.AlreadyActive {
		return res, nil
	}
	res.At = m.clk.Now()
	res.From = from
	cleared = m.recordSwitch(ctx, from, target, fromLabel, trigger, reason, res.At, journaled)
	m.log.Debug("switched Claude Code's login", "from", labelOf(from, fromLabel), "to", target.Label, "trigger", trigger,
		"reason", reason, "refreshed", res.Refreshed, "saved_outgoing", res.Snapshotted)
	if a, err := m.Get(ctx, target.ID); err == nil {
		res.To = *a
	}
	return res, nil
}

func (m *Manager) switchLocked(ctx context.Context, target *Account, trigger, reason string, res *SwitchResult, from **Account, fromLabel *string, journaled *bool, progress func(Step)) error {
	fail := func(step string, err error) error {
		progress(Step{Step: step, State: StateFailed, Message: err.Error()})
		return err
	}
	// Check both of Claude Code's files before doing anything: a malformed
	// one must stop the switch with nothing changed.
	pre, err := m.readLive(ctx)
	if err != nil {
		return fail(StepWrite, err)
	}
	// When Claude Code already uses the target (perhaps with tokens it
	// refreshed itself), its stash may hold a spent refresh token: the live
	// login is the one to keep, and nothing needs refreshing. The stash is
	// read from the keyring once, for this and for what follows.
	raw, rawErr := m.kr.Get(ctx, target.KeyringRef, m.krAcct)
	targetLive := belongsToStash(pre, target, raw, rawErr)
	pre.done()
	if _, err := m.slot.ReadConfig(ctx); err != nil {
		clear(raw)
		return fail(StepIdentity, err)
	}

	// The target's login, refreshed if its access token is (nearly)
	// expired. The rotated refresh token goes to the keyring first.
	stash, err := m.resolveStash(target, raw, rawErr)
	if err != nil {
		return fail(StepRefresh, err)
	}
	defer func() { clear(stash) }()
	tc, err := claudecode.ParseCredentials(stash)
	if err != nil {
		return fail(StepRefresh, fmt.Errorf("the saved login of %q: %w", target.Label, err))
	}
	stale := tc.ExpiresWithin(m.clk.Now(), m.margin) && !targetLive
	tc.Zero()
	if stale {
		progress(Step{Step: StepRefresh, State: StateRunning, Message: "renewing the access token of " + target.Label})
		tok, err := m.refresh(ctx, target, stash)
		if err != nil {
			return fail(StepRefresh, err)
		}
		next, err := withTokens(stash, tok)
		tok.Zero()
		if err != nil {
			return fail(StepRefresh, err)
		}
		if err := m.keepRenewed(ctx, target, stash, next); err != nil {
			clear(next)
			return fail(StepRefresh, err)
		}
		clear(stash)
		stash = next
		res.Refreshed = true
		progress(Step{Step: StepRefresh, State: StateDone})
		if err := ctx.Err(); err != nil {
			return fail(StepRefresh, fmt.Errorf("stopped after renewing the login of %q (the renewed login is saved): %w", target.Label, err))
		}
	} else {
		progress(Step{Step: StepRefresh, State: StateSkipped, Message: "the access token is still valid"})
	}
	targetIdentity, err := m.storedIdentity(ctx, target)
	if err != nil {
		return fail(StepIdentity, err)
	}

	// From here on Claude Code must not refresh: it would rotate the
	// outgoing login under us.
	release, err := m.slot.LockRefresh(ctx)
	if err != nil {
		return fail(StepWrite, err)
	}
	defer release()
	live, err := m.readLive(ctx)
	if err != nil {
		return fail(StepWrite, err)
	}
	defer live.done()
	all, err := m.List(ctx)
	if err != nil {
		return fail(StepSnapshot, err)
	}
	outgoing, how, err := m.match(ctx, live, all)
	if err != nil {
		return fail(StepSnapshot, err)
	}
	*from = outgoing
	if outgoing == nil && live.creds.HasLogin() {
		who := "an account"
		if live.identity != nil {
			who = live.identity.EmailAddress
			*fromLabel = "(not saved) " + who
		}
		return fail(StepSnapshot, fmt.Errorf("%w: Claude Code is logged in as %s, which aimonitor has not saved, and switching would lose that login; save it first with `aimonitor add --adopt-current --label NAME`", ErrUnknownLive, who))
	}
	if outgoing != nil && outgoing.ID == target.ID && how == MatchCredentials && live.identity.Same(identityOf(targetIdentity)) {
		res.AlreadyActive = true
		progress(Step{Step: StepVerify, State: StateDone, Message: target.Label + " is already active"})
		return nil
	}
	if outgoing != nil && how == MatchIdentity {
		// Claude Code refreshed (or re-logged) the outgoing account: its
		// stash holds a spent refresh token, the live slot the good one.
		// (Unless an interrupted switch left the identity unreliable.)
		if err := m.identityTrusted(ctx); err != nil {
			return fail(StepSnapshot, err)
		}
		progress(Step{Step: StepSnapshot, State: StateRunning, Message: "saving the refreshed login of " + outgoing.Label})
		if outgoing.ID == target.ID {
			// Switching to the account that is live: keep the live login.
			clear(stash)
			stash = append([]byte(nil), live.blob...)
		}
		if err := m.saveStash(ctx, outgoing, live.blob); err != nil {
			return fail(StepSnapshot, err)
		}
		if live.identity != nil {
			if err := m.db.SetSetting(ctx, identityKey(outgoing.ID), string(live.identity.Raw)); err != nil {
				m.log.Warn("could not save the outgoing identity", "err", err)
			}
		}
		res.Snapshotted = true
		progress(Step{Step: StepSnapshot, State: StateDone})
	} else {
		progress(Step{Step: StepSnapshot, State: StateSkipped})
	}

	progress(Step{Step: StepWrite, State: StateRunning, Message: "writing " + m.slot.Describe() + " and " + m.slot.ConfigPath()})
	in := switchIntent{To: target.ID, Trigger: trigger, Reason: reason, At: m.clk.Now().UnixMilli()}
	if outgoing != nil {
		in.From = outgoing.ID
	}
	if err := m.writeIntent(ctx, in); err != nil {
		return fail(StepWrite, err)
	}
	*journaled = true
	previous := append([]byte(nil), live.blob...)
	defer clear(previous)
	prevIdentity, err := m.slot.ReplaceLogin(ctx, func(cur []byte) ([]byte, error) {
		if !bytes.Equal(cur, live.blob) {
			return nil, errors.New("Claude Code's login changed while switching; nothing was changed, try again")
		}
		return claudecode.WithLogin(cur, stash)
	}, targetIdentity)
	if err != nil {
		return fail(StepWrite, err)
	}
	progress(Step{Step: StepWrite, State: StateDone})
	progress(Step{Step: StepIdentity, State: StateDone})

	progress(Step{Step: StepVerify, State: StateRunning})
	after, err := m.readLive(ctx)
	if err == nil {
		ok := claudecode.SameBlob(after.blob, stash) && after.identity != nil && after.identity.AccountUUID == target.AccountUUID
		after.done()
		if !ok {
			err = errors.New("Claude Code's files did not read back as written")
		}
	}
	if err != nil {
		m.rollback(ctx, previous, stash, prevIdentity)
		return fail(StepVerify, err)
	}
	progress(Step{Step: StepVerify, State: StateDone})
	return nil
}

// recordSwitch stores what a switch that succeeded changed — the target's
// last use, the active account, the audit row — and clears its intent
// (when journaled), in one transaction: one commit (one sync) instead of
// four, and the intent goes only with the record of the switch it guarded.
// It reports whether the intent was cleared. A failure is only logged, as
// each of these writes was on its own: the switch itself is done.
func (m *Manager) recordSwitch(ctx context.Context, from, target *Account, fromLabel, trigger, reason string, at time.Time, journaled bool) (cleared bool) {
	err := m.db.Write(context.WithoutCancel(ctx), func(conn *sqlite.Conn) error {
		if err := sqlitex.Execute(conn, "UPDATE accounts SET last_used_at = ? WHERE id = ?",
			&sqlitex.ExecOptions{Args: []any{at.UnixMilli(), target.ID}}); err != nil {
			return fmt.Errorf("recording the last use: %w", err)
		}
		if err := store.PutSetting(conn, lastActiveKey, strconv.FormatInt(target.ID, 10), m.clk.Now()); err != nil {
			return err
		}
		if err := m.auditRow(conn, from, target, fromLabel, "", trigger, reason, nil); err != nil {
			return fmt.Errorf("recording the switch in the audit log: %w", err)
		}
		if journaled {
			return sqlitex.Execute(conn, "DELETE FROM settings WHERE key = ?", &sqlitex.ExecOptions{Args: []any{switchIntentKey}})
		}
		return nil
	})
	if err != nil {
		m.log.Warn("could not record the switch", "err", err)
		return false
	}
	return journaled
}

// rollback puts the previous login back if the live slot still holds what
// we wrote.
func (m *Manager) rollback(ctx context.Context, previous, written, prevIdentity []byte) {
	_, err := m.slot.ReplaceLogin(context.WithoutCancel(ctx), func(cur []byte) ([]byte, error) {
		if !claudecode.SameBlob(cur, written) {
			return nil, errors.New("Claude Code changed its login meanwhile; leaving it")
		}
		if previous == nil {
			return nil, nil
		}
		return append([]byte(nil), previous...), nil
	}, prevIdentity)
	if err != nil {
		m.log.Error("could not restore Claude Code's previous login after a failed switch", "err", err)
	}
}

func labelOf(a *Account, fallback string) string {
	if a != nil {
		return a.Label
	}
	return fallback
}

func identityOf(raw []byte) *claudecode.Identity {
	id, _ := claudecode.ParseIdentity(raw)
	return id
}
