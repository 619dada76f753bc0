package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/aimonitor/aimonitor/backend/keyring"
)

// MoveReport says what MoveLogins did.
type MoveReport struct {
	// Moved are the labels whose saved login now lives in the new keyring.
	Moved []string
	// Missing are labels whose login was in neither keyring (doctor reports
	// them; they need adding again).
	Missing []string
	// Leftovers are old copies that could not be deleted after the move
	// (the new copies are in use; these can be removed by hand).
	Leftovers []string
}

// MoveLogins moves every saved login from the manager's keyring to dest:
// each is copied, read back and compared; only when all are in place does
// commit run (it points the configuration at dest), and only then are the
// old copies deleted. It holds the account lock throughout, so no switch or
// token refresh writes a login meanwhile. A failure before commit removes
// the copies it made and leaves the old keyring as it was; running it again
// after an interruption finishes the job.
func (m *Manager) MoveLogins(ctx context.Context, dest keyring.Keyring, commit func() error) (*MoveReport, error) {
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	list, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	rep := &MoveReport{}
	var made, moved []Account // made: copies this run created in dest
	undo := func() {
		for _, a := range made {
			_ = dest.Delete(context.WithoutCancel(ctx), a.KeyringRef, m.krAcct)
		}
	}
	for _, a := range list {
		blob, err := m.kr.Get(ctx, a.KeyringRef, m.krAcct)
		if errors.Is(err, keyring.ErrNotFound) {
			// Already moved by an interrupted run?
			if have, derr := dest.Get(ctx, a.KeyringRef, m.krAcct); derr == nil {
				clear(have)
				rep.Moved = append(rep.Moved, a.Label)
				continue
			}
			rep.Missing = append(rep.Missing, a.Label)
			continue
		}
		if err != nil {
			undo()
			return nil, fmt.Errorf("reading the saved login of %q (nothing was moved): %w", a.Label, err)
		}
		existed := false
		if old, derr := dest.Get(ctx, a.KeyringRef, m.krAcct); derr == nil {
			existed = true
			clear(old)
		}
		err = dest.Set(ctx, a.KeyringRef, m.krAcct, stashLabel(a.Email, a.OrgName), blob)
		if err == nil && !existed {
			made = append(made, a)
		}
		if err == nil {
			var back []byte
			back, err = dest.Get(ctx, a.KeyringRef, m.krAcct)
			if err == nil && !bytes.Equal(back, blob) {
				err = errors.New("it reads back different from what was written")
			}
			clear(back)
		}
		clear(blob)
		if err != nil {
			undo()
			return nil, fmt.Errorf("copying the saved login of %q to the new keyring (nothing was moved): %w", a.Label, err)
		}
		moved = append(moved, a)
		rep.Moved = append(rep.Moved, a.Label)
	}
	if err := commit(); err != nil {
		undo()
		return nil, fmt.Errorf("the logins were copied but the setting could not be changed, so they stay where they were: %w", err)
	}
	for _, a := range moved {
		if err := m.kr.Delete(ctx, a.KeyringRef, m.krAcct); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			rep.Leftovers = append(rep.Leftovers, a.Label)
			m.log.Warn("the old copy of a moved login could not be deleted", "account", a.Label, "err", err)
		}
	}
	return rep, nil
}
