package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gofrs/flock"

	"github.com/aimonitor/aimonitor/backend/claudecode"
	"github.com/aimonitor/aimonitor/backend/config"
	"github.com/aimonitor/aimonitor/backend/daemon"
	"github.com/aimonitor/aimonitor/backend/egress"
	"github.com/aimonitor/aimonitor/backend/keyring"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/words"
)

// probeService names the throw-away item the keyring check writes and
// deletes: reading alone cannot tell a locked keyring from an empty one.
const probeService = "aimonitor-doctor-probe"

func (d *run) checkKeyring(ctx context.Context) {
	backend := d.svc.KeyringBackend()
	d.r.add(AreaKeyring, OK, fmt.Sprintf("saved logins are kept in: %s (keyring.backend is %s)", backendName(backend), d.svc.Config().Keyring.Backend), "")
	if backend == config.KeyringFile {
		if d.checkFileKeyring(ctx) {
			d.checkStashes(ctx, d.svc.FileKeyring())
		}
		return
	}
	kr, err := d.svc.Keyring()
	if err != nil {
		d.r.add(AreaKeyring, Fail, "no keyring: "+err.Error(), "on macOS use a build made with cgo, or keep logins in an encrypted file: aimonitor config set keyring.backend file")
		return
	}
	err = kr.Set(ctx, probeService, d.krAcct, "aimonitor: doctor's test item (safe to delete)", []byte("probe"))
	if err == nil {
		err = kr.Delete(ctx, probeService, d.krAcct)
	}
	switch {
	case errors.Is(err, keyring.ErrLocked):
		d.r.add(AreaKeyring, Fail, "the keyring is locked, so saved logins cannot be read or switched to",
			"unlock it: log out and in again, or open your keyring app (Passwords and Keys, KeePassXC, Keychain Access) and unlock the login keyring")
		d.skipStashes("the keyring is locked")
		return
	case errors.Is(err, keyring.ErrUnavailable):
		d.r.add(AreaKeyring, Fail, "no keyring can be reached: "+err.Error(),
			"start a keyring in your desktop session (gnome-keyring, or KeePassXC with Secret Service enabled); or, on a machine without one, keep logins in a passphrase-encrypted file: aimonitor config set keyring.backend file")
		d.skipStashes("no keyring can be reached")
		return
	case err != nil:
		d.r.add(AreaKeyring, Fail, "the keyring refused a test item: "+err.Error(), "check your keyring app; it must accept new items in the default keyring")
		d.skipStashes("the keyring does not work")
		return
	}
	d.r.add(AreaKeyring, OK, "the keyring is reachable and unlocked", "")
	d.checkStashes(ctx, kr)
}

func backendName(b string) string {
	switch b {
	case config.KeyringSecretService:
		return "the Secret Service (secret-service)"
	case config.KeyringKeychain:
		return "the macOS Keychain (keychain)"
	case config.KeyringFile:
		return "an encrypted file (file)"
	}
	return b
}

// checkFileKeyring reports on the file keyring without ever asking for a
// passphrase or creating anything; it returns whether the saved logins can
// be read now.
func (d *run) checkFileKeyring(ctx context.Context) bool {
	fk := d.svc.FileKeyring()
	st := fk.Status()
	var fe *filekeyring.FormatError
	switch {
	case errors.As(st.FormatErr, &fe) && fe.Newer:
		d.r.add(AreaKeyring, Fail, st.FormatErr.Error(), "update aimonitor to the version that wrote it")
		d.skipStashes("the file keyring cannot be read")
		return false
	case st.FormatErr != nil:
		d.r.add(AreaKeyring, Fail, st.FormatErr.Error(), "restore "+shellQuote(st.Path)+" from a copy; or move it aside and add the accounts again")
		d.skipStashes("the file keyring cannot be read")
		return false
	case !st.Exists:
		d.r.add(AreaKeyring, Warn, fmt.Sprintf("there is no file keyring yet (%s)", st.Path),
			"it is made, with a passphrase you choose, when you add the first account (aimonitor add --adopt-current --label NAME)")
		d.skipStashes("there is no file keyring")
		return false
	}
	if fi, err := os.Stat(st.Path); err == nil {
		checkMode(d.r, AreaKeyring, "the file keyring", st.Path, fi.Mode(), false)
	}
	if fi, err := os.Stat(filepath.Dir(st.Path)); err == nil {
		checkMode(d.r, AreaKeyring, "the file keyring's directory", filepath.Dir(st.Path), fi.Mode(), true)
	}
	if st.CacheErr != nil {
		d.r.add(AreaKeyring, Warn, st.CacheErr.Error(), "give the daemon its passphrase in a file: aimonitor service install --passphrase-file FILE")
	}
	if st.Unlocked {
		d.r.add(AreaKeyring, OK, fmt.Sprintf("the file keyring is unlocked: its key is kept in the kernel keyring (%d saved logins)", st.Entries), "")
		return true
	}
	source := filekeyring.DescribeSource(d.svc.Getenv, false)
	if d.svc.Getenv(filekeyring.PassphraseEnv) == "" && d.svc.Getenv(filekeyring.PassphraseFileEnv) == "" {
		d.r.add(AreaKeyring, Warn, "the file keyring is locked: commands ask for its passphrase on a terminal, but the daemon and scripts cannot read saved logins",
			fmt.Sprintf("run `aimonitor keyring unlock` (it stays unlocked for keyring.unlock_timeout_min, now %d minutes), or set %s to a file holding the passphrase",
				d.svc.Config().Keyring.UnlockTimeoutMin, filekeyring.PassphraseFileEnv))
		d.skipStashes("the file keyring is locked")
		return false
	}
	if _, err := fk.Items(ctx); err != nil {
		fix := "check " + filekeyring.PassphraseEnv + " and " + filekeyring.PassphraseFileEnv
		if errors.Is(err, filekeyring.ErrWrongPassphrase) {
			fix = "put the right passphrase in " + source
		}
		d.r.add(AreaKeyring, Fail, fmt.Sprintf("the file keyring does not open with the passphrase from %s: %v", source, err), fix)
		d.skipStashes("the file keyring does not open")
		return false
	}
	d.r.add(AreaKeyring, OK, fmt.Sprintf("the file keyring opens with the passphrase from %s (%d saved logins)", source, st.Entries), "")
	return true
}

// checkStashes reads every saved account's login from kr.
func (d *run) checkStashes(ctx context.Context, kr keyring.Keyring) {
	if d.db == nil || len(d.db.accounts) == 0 {
		return
	}
	d.stashes = map[int64][]byte{}
	present := 0
	for _, a := range d.db.accounts {
		blob, err := kr.Get(ctx, a.KeyringRef, d.krAcct)
		switch {
		case errors.Is(err, keyring.ErrNotFound):
			d.r.add(AreaKeyring, Fail, fmt.Sprintf("the saved login of %s is missing from the keyring (item %q)", a, a.KeyringRef),
				fmt.Sprintf("run `aimonitor relogin %s` and log in as %s when it asks; or import a backup that holds it",
					a.Label, a.Email))
			continue
		case err != nil:
			d.r.add(AreaKeyring, Fail, fmt.Sprintf("the saved login of %s cannot be read: %v", a, err), "unlock the keyring and run doctor again")
			continue
		}
		c, err := claudecode.ParseCredentials(blob)
		if err != nil || !c.HasLogin() {
			clear(blob)
			d.r.add(AreaKeyring, Fail, fmt.Sprintf("the saved login of %s is damaged (it holds no Claude login)", a),
				fmt.Sprintf("run `aimonitor remove %s --purge` and add the account again", a.Label))
			continue
		}
		c.Zero()
		d.stashes[a.ID] = blob
		present++
		if a.NeedsRelogin {
			reason := a.ReloginReason
			if reason == "" {
				reason = "the login expired or was revoked"
			}
			d.r.add(AreaKeyring, Warn, fmt.Sprintf("the saved login of %s no longer works: %s", a, reason),
				fmt.Sprintf("run `aimonitor relogin %s` and log in as %s when it asks (the account, its history and settings are kept)", a.Label, a.Email))
		}
	}
	if present == len(d.db.accounts) {
		d.r.add(AreaKeyring, OK, fmt.Sprintf("all %d saved logins are in the keyring", present), "")
	}
}

func (d *run) skipStashes(why string) {
	if d.db != nil && len(d.db.accounts) > 0 {
		d.r.add(AreaKeyring, Warn, fmt.Sprintf("the %d saved logins were not checked: %s", len(d.db.accounts), why), "fix the keyring first")
	}
}

func (d *run) checkClaudeCode(ctx context.Context) {
	defer func() {
		for _, b := range d.stashes {
			clear(b)
		}
		d.stashes = nil
	}()
	kr, _ := d.svc.Keyring()
	slot, err := d.svc.ClaudeCode(kr)
	if err != nil {
		d.r.add(AreaClaudeCode, Fail, "Claude Code's login cannot be located: "+err.Error(), "")
		return
	}
	if path := slot.CredentialsPath(); path != "" {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			d.r.add(AreaClaudeCode, Fail, fmt.Sprintf("Claude Code's login file %s can be read by other users (mode %04o)", path, fi.Mode().Perm()),
				"chmod 600 "+shellQuote(path))
		}
	}
	blob, err := slot.ReadCredentials(ctx)
	if err != nil {
		d.r.add(AreaClaudeCode, Fail, "Claude Code's login cannot be read: "+err.Error(),
			"run `claude`, then /login, to write a fresh login")
		return
	}
	defer clear(blob)
	loggedIn := false
	if blob != nil {
		creds, err := claudecode.ParseCredentials(blob)
		if err != nil {
			d.r.add(AreaClaudeCode, Fail, fmt.Sprintf("Claude Code's login in %s is damaged: %v", slot.Describe(), err),
				"run `claude`, then /login, to write a fresh login")
			return
		}
		loggedIn = creds.HasLogin()
		creds.Zero()
	}
	if !loggedIn {
		fix := "run `claude`, then /login"
		if d.db != nil && len(d.db.accounts) > 0 {
			fix += ", or `aimonitor switch " + d.db.accounts[0].Label + "` to use a saved account"
		}
		d.r.add(AreaClaudeCode, Warn, fmt.Sprintf("Claude Code is not logged in with a Claude account (%s)", slot.Describe()), fix)
		return
	}
	id, err := slot.ReadIdentity(ctx)
	if err != nil {
		d.r.add(AreaClaudeCode, Fail, "Claude Code's account details cannot be read: "+err.Error(),
			"repair or move aside "+shellQuote(slot.ConfigPath())+"; Claude Code rewrites it")
		return
	}
	who := "an account whose name Claude Code has not recorded"
	if id == nil || id.AccountUUID == "" {
		d.r.add(AreaClaudeCode, Warn, fmt.Sprintf("Claude Code is logged in, but %s has no oauthAccount saying who", slot.ConfigPath()),
			"start `claude` once; it fills in the account details")
	} else {
		who = id.EmailAddress
		if id.OrganizationName != "" {
			who += " (" + id.OrganizationName + ")"
		}
	}
	if d.db == nil {
		d.r.add(AreaClaudeCode, OK, "Claude Code is logged in as "+who+"; which saved account that is was not checked (see the database)", "")
		return
	}
	var byCreds, byIdentity *dbAccount
	for i := range d.db.accounts {
		a := &d.db.accounts[i]
		if stash, ok := d.stashes[a.ID]; ok && claudecode.SameBlob(blob, stash) && byCreds == nil {
			byCreds = a
		}
		if id != nil && id.AccountUUID != "" && id.AccountUUID == a.AccountUUID && id.OrganizationUUID == a.OrgUUID {
			byIdentity = a
		}
	}
	switch {
	case byCreds != nil:
		d.r.add(AreaClaudeCode, OK, fmt.Sprintf("Claude Code is logged in as %s: the saved account %q", who, byCreds.Label), "")
	case byIdentity != nil:
		d.r.add(AreaClaudeCode, OK, fmt.Sprintf("Claude Code is logged in as %s: the saved account %q (Claude Code has renewed the login since; aimonitor saves the new one at the next switch)", who, byIdentity.Label), "")
	default:
		d.r.add(AreaClaudeCode, Warn, fmt.Sprintf("Claude Code is logged in as %s, a login aimonitor has not saved: switching away from it would lose it", who),
			"save it with `aimonitor add --adopt-current --label NAME`")
	}
}

func (d *run) checkPoller() {
	lockFile := filepath.Join(d.p.DataDir, daemon.LockName)
	held := false
	if _, err := os.Stat(lockFile); err == nil {
		fl := flock.New(lockFile)
		ok, err := fl.TryLock()
		if err == nil && ok {
			_ = fl.Unlock()
		}
		held = err == nil && !ok
	}
	now := d.o.Now()
	var doc *daemon.Document
	if d.db != nil {
		doc = d.db.status
	}
	switch {
	case held && doc != nil && doc.Alive(now):
		d.r.add(AreaPoller, OK, fmt.Sprintf("the %s (pid %d) polls usage; its last heartbeat was %s", doc.Owner.Mode, doc.Owner.PID, words.Ago(now, doc.Heartbeat)), "")
		if doc.LastError != "" {
			d.r.add(AreaPoller, Warn, "the poller's last error: "+doc.LastError, "see `aimonitor usage` and the log (log.file true) for details")
		}
	case held && doc != nil && !doc.Heartbeat.IsZero():
		d.r.add(AreaPoller, Warn, fmt.Sprintf("pid %d holds the poller lock but last wrote its status %s: it may be stuck", doc.Owner.PID, words.Ago(now, doc.Heartbeat)),
			fmt.Sprintf("quit that aimonitor (kill %d) and start the widget or `aimonitor daemon` again", doc.Owner.PID))
	case held:
		d.r.add(AreaPoller, OK, "a process holds the poller lock and has not published a status yet (starting up?)", "")
	case doc != nil && !doc.Heartbeat.IsZero():
		d.r.add(AreaPoller, OK, fmt.Sprintf("nobody polls usage now (the %s, pid %d, last wrote %s); it resumes when the widget or `aimonitor daemon` runs",
			doc.Owner.Mode, doc.Owner.PID, words.Ago(now, doc.Heartbeat)), "")
	default:
		d.r.add(AreaPoller, OK, "nobody polls usage now; it runs while the widget or `aimonitor daemon` is open", "")
	}
}

func (d *run) checkNetwork() {
	// From the environment itself: when the configuration does not load,
	// the service runs without the AIMONITOR_* variables.
	get := func(k string) string { v, _ := lookup(d.o.Environ)(k); return v }
	overrides := []struct{ env, value string }{
		{"AIMONITOR_API_BASE", get("AIMONITOR_API_BASE")}, {"AIMONITOR_TOKEN_URL", get("AIMONITOR_TOKEN_URL")},
		{"AIMONITOR_RELEASES_URL", get("AIMONITOR_RELEASES_URL")},
	}
	ownHost := []string{"api.anthropic.com", "platform.claude.com", "api.github.com"}
	found := false
	for i, o := range overrides {
		if o.value == "" {
			continue
		}
		found = true
		args := make([]string, 3)
		args[i] = o.value
		host := hostOf(o.value)
		if _, err := egress.PolicyFromOverrides(args[0], args[1], args[2]); err != nil {
			d.r.add(AreaNetwork, Fail, fmt.Sprintf("%s (%s) is refused: %v", o.env, host, err),
				"unset "+o.env+"; an override may name only its own host ("+ownHost[i]+") or a loopback address, for tests and the demo")
			continue
		}
		u, _ := url.Parse(o.value)
		switch {
		case strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), ownHost[i]):
			d.r.add(AreaNetwork, OK, fmt.Sprintf("%s names %s, the host it is for, over HTTPS", o.env, ownHost[i]), "")
		case u.Scheme == "http":
			d.r.add(AreaNetwork, Warn, fmt.Sprintf("%s sends aimonitor's requests to %s over plain HTTP (unencrypted; allowed only on loopback) instead of %s", o.env, host, ownHost[i]),
				"unset "+o.env+" unless you are testing against a simulator")
		default:
			d.r.add(AreaNetwork, Warn, fmt.Sprintf("%s sends aimonitor's requests to %s instead of %s (allowed: loopback)", o.env, host, ownHost[i]),
				"unset "+o.env+" unless you are testing against a simulator")
		}
	}
	if !found {
		d.r.add(AreaNetwork, OK, "no endpoint overrides: aimonitor talks only to "+strings.Join(egress.AllowedHosts(), ", ")+" over HTTPS", "")
	}
}

// hostOf is scheme://host:port of an override, never its path or query.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "an unparsable URL"
	}
	return u.Scheme + "://" + u.Host
}

func (d *run) checkAutostart() {
	cfg := d.svc.Config()
	entry, err := d.svc.Autostart()
	if err != nil {
		d.r.add(AreaAutostart, Warn, "the start-at-login entry cannot be located: "+err.Error(), "")
		return
	}
	path, err := entry.Path()
	if err != nil {
		d.r.add(AreaAutostart, OK, "starting at login is not supported on this system", "")
		return
	}
	installed, run, err := entry.Installed()
	if err != nil {
		d.r.add(AreaAutostart, Warn, "the start-at-login entry cannot be read: "+err.Error(), "")
		return
	}
	switch {
	case cfg.Autostart && !installed:
		d.r.add(AreaAutostart, Warn, "autostart is on in the settings, but there is no entry at "+path,
			"`aimonitor config set autostart true` writes it again")
	case !cfg.Autostart && installed:
		d.r.add(AreaAutostart, Warn, "autostart is off in the settings, but "+path+" still starts aimonitor at login",
			"`aimonitor config set autostart false` removes it")
	case installed && run != cfg.AutostartRun:
		d.r.add(AreaAutostart, Warn, fmt.Sprintf("the entry at %s starts the %s, but the settings ask for the %s", path, run, cfg.AutostartRun),
			"`aimonitor config set autostart_run "+cfg.AutostartRun+"` rewrites it")
	case installed:
		d.r.add(AreaAutostart, OK, fmt.Sprintf("the %s starts at login (%s)", run, path), "")
	default:
		d.r.add(AreaAutostart, OK, "aimonitor does not start at login (autostart is off)", "")
	}
}
