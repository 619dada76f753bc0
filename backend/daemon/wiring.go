package daemon

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/buildinfo"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/notify"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/update"
	"github.com/aimonitor/aimonitor/backend/usage"
)

// ManagerAccounts adapts the accounts Manager to what the daemon and the
// poller need.
type ManagerAccounts struct{ M *accounts.Manager }

// FromManager wraps m.
func FromManager(m *accounts.Manager) ManagerAccounts { return ManagerAccounts{M: m} }

// List lists the accounts with the one Claude Code uses marked active.
func (a ManagerAccounts) List(ctx context.Context) ([]usage.Account, error) {
	o, err := a.M.Overview(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]usage.Account, 0, len(o.Accounts))
	for _, v := range o.Accounts {
		out = append(out, usage.Account{
			ID: v.ID, Label: v.Label, Email: v.Email, Active: v.Active,
			NeedsRelogin: v.NeedsRelogin, ReloginReason: v.ReloginReason,
			CooldownUntil: v.CooldownUntil, LastUsedAt: v.LastUsedAt,
		})
	}
	return out, nil
}

func (a ManagerAccounts) AccessToken(ctx context.Context, id int64) ([]byte, error) {
	return a.M.AccessToken(ctx, id)
}

func (a ManagerAccounts) ForceRefresh(ctx context.Context, id int64) ([]byte, error) {
	return a.M.ForceRefresh(ctx, id)
}

func (a ManagerAccounts) SetNeedsRelogin(ctx context.Context, id int64, reason string) error {
	return a.M.SetNeedsRelogin(ctx, id, reason)
}

func (a ManagerAccounts) ClearNeedsRelogin(ctx context.Context, id int64) error {
	return a.M.ClearNeedsRelogin(ctx, id)
}

// Switch switches with the Manager, which records it in switch_log.
func (a ManagerAccounts) Switch(ctx context.Context, label, trigger, reason string) error {
	_, err := a.M.Switch(ctx, label, trigger, reason, nil)
	return err
}

// configCheckEvery spaces the stat calls that notice a changed config file.
const configCheckEvery = 5 * time.Second

// FollowConfig returns a Config function for Deps that re-reads the
// service's config file when it changed (another process ran `aimonitor
// config set`, say), at most once per configCheckEvery. A file that no
// longer loads keeps the last good configuration.
func FollowConfig(svc *service.Service) func() config.Config {
	var mu sync.Mutex
	var checked time.Time
	var mtime time.Time
	if st, err := os.Stat(svc.Paths.ConfigFile); err == nil {
		mtime = st.ModTime()
	}
	current := svc.Config().Config
	return func() config.Config {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(checked) < configCheckEvery {
			return current
		}
		checked = time.Now()
		var m time.Time
		if st, err := os.Stat(svc.Paths.ConfigFile); err == nil {
			m = st.ModTime()
		}
		if !m.Equal(mtime) {
			mtime = m
			if l, err := svc.ReloadConfig(); err == nil {
				current = l.Config
			} else {
				svc.Log.Warn("daemon: the changed config file does not load; keeping the previous settings", "err", err)
			}
		}
		return current
	}
}

// FromService builds Deps for mode (ModeDaemon or ModeWidget) from the
// process's service: its database, accounts Manager, Anthropic client,
// logger, notifications on its session bus, and the lock in its data
// directory, and the release check. Set OnStatus before Run where needed.
func FromService(ctx context.Context, svc *service.Service, mode string) (Deps, error) {
	db, err := svc.Store(ctx)
	if err != nil {
		return Deps{}, err
	}
	m, err := svc.Accounts(ctx)
	if err != nil {
		return Deps{}, err
	}
	client, err := svc.Anthropic()
	if err != nil {
		return Deps{}, err
	}
	return Deps{
		Store:    db,
		Accounts: FromManager(m),
		Client:   client,
		Config:   FollowConfig(svc),
		LockFile: filepath.Join(svc.Paths.DataDir, LockName),
		Sender:   notify.NewPlatform(notify.Options{Getenv: svc.Getenv, Log: svc.Log}),
		Log:      svc.Log,
		Mode:     mode,
		ReleaseCheck: func(ctx context.Context) error {
			checker, err := svc.UpdateChecker()
			if err != nil {
				return err
			}
			_, err = update.CheckAndRemember(ctx, checker, db, buildinfo.Version, time.Now())
			return err
		},
	}, nil
}
