//go:build darwin && cgo

package keyring

import (
	"context"
	"errors"
	"fmt"

	keychain "github.com/keybase/go-keychain"
)

// macKeychain stores generic passwords in the user's default (login)
// Keychain. It is also how the claudecode package reads and writes Claude
// Code's live credential on macOS (service ClaudeCodeService(dir), account
// UserAccount()).
//
// Security.framework calls are synchronous and may wait for the user to
// answer an access or unlock dialog, so every call is bounded by
// PromptTimeout; a call still running then is abandoned (its goroutine
// finishes on its own and wipes any secret it returns).
type macKeychain struct {
	opts Options
}

func openPlatform(opts Options) (Keyring, error) {
	return &macKeychain{opts: opts}, nil
}

func genericPasswordQuery(service, account string) keychain.Item {
	q := keychain.NewItem()
	q.SetSecClass(keychain.SecClassGenericPassword)
	q.SetService(service)
	q.SetAccount(account)
	return q
}

func (k *macKeychain) Get(ctx context.Context, service, account string) ([]byte, error) {
	if err := checkKey(service, account); err != nil {
		return nil, err
	}
	return k.bounded(ctx, "reading a secret", func() ([]byte, error) {
		q := genericPasswordQuery(service, account)
		q.SetMatchLimit(keychain.MatchLimitOne)
		q.SetReturnData(true)
		results, err := keychain.QueryItem(q)
		if err != nil {
			return nil, keychainError("reading a secret", err)
		}
		if len(results) == 0 {
			return nil, fmt.Errorf("keyring: nothing stored for service %q, account %q: %w", service, account, ErrNotFound)
		}
		return results[0].Data, nil
	})
}

// Set updates the item in place when it exists, which keeps its access
// list (for Claude Code's own item, the apps it trusts), and adds it
// otherwise.
func (k *macKeychain) Set(ctx context.Context, service, account, label string, secret []byte) error {
	if err := checkKey(service, account); err != nil {
		return err
	}
	if label == "" {
		label = "aimonitor: " + service
	}
	_, err := k.bounded(ctx, "storing a secret", func() ([]byte, error) {
		update := keychain.NewItem()
		update.SetData(secret)
		update.SetLabel(label)
		err := keychain.UpdateItem(genericPasswordQuery(service, account), update)
		if errors.Is(err, keychain.ErrorItemNotFound) {
			item := keychain.NewGenericPassword(service, account, label, secret, "")
			item.SetSynchronizable(keychain.SynchronizableNo)
			item.SetAccessible(keychain.AccessibleWhenUnlocked)
			err = keychain.AddItem(item)
			if errors.Is(err, keychain.ErrorDuplicateItem) {
				// Someone added it between our two calls: update theirs.
				err = keychain.UpdateItem(genericPasswordQuery(service, account), update)
			}
		}
		if err != nil {
			return nil, keychainError("storing a secret", err)
		}
		return nil, nil
	})
	return err
}

func (k *macKeychain) Delete(ctx context.Context, service, account string) error {
	if err := checkKey(service, account); err != nil {
		return err
	}
	_, err := k.bounded(ctx, "deleting a secret", func() ([]byte, error) {
		if err := keychain.DeleteItem(genericPasswordQuery(service, account)); err != nil {
			if errors.Is(err, keychain.ErrorItemNotFound) {
				return nil, fmt.Errorf("keyring: nothing stored for service %q, account %q: %w", service, account, ErrNotFound)
			}
			return nil, keychainError("deleting a secret", err)
		}
		return nil, nil
	})
	return err
}

// bounded runs fn, giving up after PromptTimeout or when ctx ends.
func (k *macKeychain) bounded(ctx context.Context, what string, fn func() ([]byte, error)) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := fn()
		done <- result{data, err}
	}()
	wait, cancel := context.WithTimeout(ctx, k.opts.PromptTimeout)
	defer cancel()
	select {
	case r := <-done:
		return r.data, r.err
	case <-wait.Done():
		go func() { clear((<-done).data) }()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("keyring: %s: %w", what, ctx.Err())
		}
		return nil, fmt.Errorf("keyring: the macOS Keychain did not answer within %s while %s (is an access dialog waiting for you?): %w", k.opts.PromptTimeout, what, ErrUnavailable)
	}
}

// keychainError maps Security.framework status codes onto our sentinels.
// go-keychain's messages are fixed texts, never item contents.
func keychainError(what string, err error) error {
	var code keychain.Error
	if !errors.As(err, &code) {
		return fmt.Errorf("keyring: the macOS Keychain failed while %s: %w", what, err)
	}
	switch code {
	case keychain.ErrorItemNotFound:
		return fmt.Errorf("keyring: %s: %w", what, ErrNotFound)
	case keychain.ErrorInteractionNotAllowed, keychain.ErrorAuthFailed:
		return fmt.Errorf("keyring: the login Keychain is locked while %s: %w", what, ErrLocked)
	case keychain.ErrorUserCanceled:
		return fmt.Errorf("keyring: access to the Keychain item was denied in the dialog while %s: %w", what, ErrLocked)
	case keychain.ErrorNotAvailable, keychain.ErrorNoSuchKeychain, keychain.ErrorInvalidKeychain:
		return fmt.Errorf("keyring: the macOS Keychain cannot be used while %s (%v): %w", what, code, ErrUnavailable)
	}
	return fmt.Errorf("keyring: the macOS Keychain failed while %s: %v", what, code)
}

var _ Keyring = (*macKeychain)(nil)
