//go:build linux

package keyring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aimonitor/aimonitor/backend/dbusconn"

	"github.com/godbus/dbus/v5"
)

const unavailableHint = "no Secret Service answers on the D-Bus session bus; either start one, such as gnome-keyring (gnome-keyring-daemon) or KeePassXC with its Secret Service integration enabled, or keep saved logins in a passphrase-encrypted file instead: aimonitor config set keyring.backend file"

// D-Bus names of the Secret Service API (freedesktop.org Secret Service 0.2).
const (
	ssBusName       = "org.freedesktop.secrets"
	ssPath          = dbus.ObjectPath("/org/freedesktop/secrets")
	ssIface         = "org.freedesktop.Secret.Service"
	ssCollection    = "org.freedesktop.Secret.Collection"
	ssItem          = "org.freedesktop.Secret.Item"
	ssSession       = "org.freedesktop.Secret.Session"
	ssPrompt        = "org.freedesktop.Secret.Prompt"
	ssLoginPath     = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	noPrompt        = dbus.ObjectPath("/")
	algorithmDH     = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
	algorithmPlain  = "plain"
	genericSchema   = "org.freedesktop.Secret.Generic"
	contentTypeData = "application/octet-stream"
)

// D-Bus error names we act on.
const (
	errNameServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
	errNameNameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
	errNameNoReply        = "org.freedesktop.DBus.Error.NoReply"
	errNameSpawnPrefix    = "org.freedesktop.DBus.Error.Spawn."
	errNameNotSupported   = "org.freedesktop.DBus.Error.NotSupported"
	errNameUnknownObject  = "org.freedesktop.DBus.Error.UnknownObject"
	errNameIsLocked       = "org.freedesktop.Secret.Error.IsLocked"
	errNameNoSuchObject   = "org.freedesktop.Secret.Error.NoSuchObject"
)

// secretStruct is the Secret Service "Secret" type, signature (oayays).
type secretStruct struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

// secretService talks to whichever program owns org.freedesktop.secrets on
// the session bus (gnome-keyring, KeePassXC, KWallet...). An operation opens
// a private connection and an encrypted session (a Diffie-Hellman exchange
// on both sides) and, when it succeeded, leaves both open for sessionKeep,
// so the operations of one command (a switch reads three secrets) share
// them; then they are closed, and nothing stale survives: a session's
// calls go to the unique bus name of the program that opened it, so once
// that program is gone (a restarted keyring daemon has a new unique name)
// they fail and the operation starts over on a new session; and a session
// is never kept after an operation on it failed.
type secretService struct {
	opts    Options
	address string

	// keep is how long an idle session stays open (sessionKeep; tests
	// shorten it).
	keep time.Duration
	mu   sync.Mutex
	idle *ssSessionConn // the session left by the last operation, if any
	// idleTimer closes idle when keep has passed.
	idleTimer *time.Timer

	// preparing is closed when the session Prepare opens is idle (or
	// failed); nil when none is being prepared.
	preparing chan struct{}
	// released: Release was called; no session is kept any more.
	released bool

	// plainWarned makes the "no transport encryption" warning appear once.
	plainWarned atomic.Bool

	// Test seams: forcePlain skips the DH attempt so the plain code path can
	// be exercised against a real provider; sessionOpened reports the
	// algorithm of every session opened.
	forcePlain    bool
	sessionOpened func(algorithm string)
}

func openPlatform(opts Options) (Keyring, error) {
	return newSecretService(opts, os.Getenv), nil
}

func newSecretService(opts Options, getenv func(string) string) *secretService {
	opts = opts.withDefaults()
	addr := opts.BusAddress
	if addr == "" {
		addr = dbusconn.SessionAddress(getenv, os.Getuid())
	}
	return &secretService{opts: opts, address: addr, keep: sessionKeep}
}

// sessionKeep is how long a session stays open after an operation for the
// next one. Long enough for one command's operations, short enough that a
// long-running process holds no session (and no session key) between its
// rare uses of the keyring.
const sessionKeep = 2 * time.Second

func (s *secretService) Get(ctx context.Context, service, account string) ([]byte, error) {
	if err := checkKey(service, account); err != nil {
		return nil, err
	}
	var secret []byte
	err := s.withSession(ctx, "reading a secret", func(sess *ssSessionConn) error {
		unlocked, locked, err := sess.search(ctx, service, account)
		if err != nil {
			return err
		}
		if len(unlocked) == 0 && len(locked) == 0 {
			return fmt.Errorf("keyring: nothing stored for service %q, account %q: %w", service, account, ErrNotFound)
		}
		if len(unlocked) == 0 {
			if unlocked, err = sess.unlock(ctx, locked); err != nil {
				return err
			}
			if len(unlocked) == 0 {
				return sess.lockedError("reading a secret")
			}
		}
		item, err := sess.preferDefault(ctx, unlocked)
		if err != nil {
			return err
		}
		var sec secretStruct
		if err := sess.call(ctx, item, ssItem+".GetSecret", sess.path).Store(&sec); err != nil {
			return sess.ss.callError(ctx, "reading a secret", err)
		}
		secret, err = sess.open(sec)
		return err
	})
	if err != nil {
		return nil, err
	}
	return secret, nil
}

func (s *secretService) Set(ctx context.Context, service, account, label string, secret []byte) error {
	if err := checkKey(service, account); err != nil {
		return err
	}
	if label == "" {
		label = "aimonitor: " + service
	}
	return s.withSession(ctx, "storing a secret", func(sess *ssSessionConn) error {
		collection, err := sess.defaultCollection(ctx)
		if err != nil {
			return err
		}
		sec, err := sess.seal(secret)
		if err != nil {
			return err
		}
		props := map[string]dbus.Variant{
			ssItem + ".Label":      dbus.MakeVariant(label),
			ssItem + ".Attributes": dbus.MakeVariant(itemAttributes(service, account)),
		}
		for attempt := 0; ; attempt++ {
			var item, prompt dbus.ObjectPath
			err := sess.call(ctx, collection, ssCollection+".CreateItem", props, sec, true).Store(&item, &prompt)
			if isDBusError(err, errNameIsLocked) && attempt == 0 {
				unlocked, err := sess.unlock(ctx, []dbus.ObjectPath{collection})
				if err != nil {
					return err
				}
				if !slices.Contains(unlocked, collection) {
					return sess.lockedError("storing a secret")
				}
				continue
			}
			if err != nil {
				return sess.ss.callError(ctx, "storing a secret", err)
			}
			if prompt != noPrompt {
				if _, dismissed, err := sess.prompt(ctx, prompt); err != nil {
					return err
				} else if dismissed {
					return sess.lockedError("storing a secret")
				}
			}
			return nil
		}
	})
}

func (s *secretService) Delete(ctx context.Context, service, account string) error {
	if err := checkKey(service, account); err != nil {
		return err
	}
	return s.withSession(ctx, "deleting a secret", func(sess *ssSessionConn) error {
		unlocked, locked, err := sess.search(ctx, service, account)
		if err != nil {
			return err
		}
		if len(unlocked) == 0 && len(locked) == 0 {
			return fmt.Errorf("keyring: nothing stored for service %q, account %q: %w", service, account, ErrNotFound)
		}
		if len(locked) > 0 {
			// Unlock everything first so a locked keyring deletes nothing
			// rather than half of the copies.
			newly, err := sess.unlock(ctx, locked)
			if err != nil {
				return err
			}
			for _, p := range locked {
				if !slices.Contains(newly, p) {
					return sess.lockedError("deleting a secret")
				}
			}
			unlocked = append(unlocked, locked...)
		}
		for _, item := range unlocked {
			var prompt dbus.ObjectPath
			err := sess.call(ctx, item, ssItem+".Delete").Store(&prompt)
			if isDBusError(err, errNameNoSuchObject) || isDBusError(err, errNameUnknownObject) {
				continue // deleted meanwhile: the goal is reached
			}
			if err != nil {
				return sess.ss.callError(ctx, "deleting a secret", err)
			}
			if prompt != noPrompt {
				if _, dismissed, err := sess.prompt(ctx, prompt); err != nil {
					return err
				} else if dismissed {
					return sess.lockedError("deleting a secret")
				}
			}
		}
		return nil
	})
}

func itemAttributes(service, account string) map[string]string {
	return map[string]string{"service": service, "account": account, "xdg:schema": genericSchema}
}

// ssSessionConn is one connection plus one open Secret Service session.
type ssSessionConn struct {
	ss        *secretService
	conn      *dbus.Conn
	path      dbus.ObjectPath
	algorithm string
	key       []byte // AES key of a DH session; nil for plain
	// owner is the unique bus name of the program that opened the session
	// ("" when the bus would not say). Once it is known every call goes to
	// it rather than to the Secret Service name, so the session's calls can
	// only ever reach the program that holds it: when that program has gone
	// (a restarted keyring daemon has a new unique name) they fail, and
	// gone says so.
	owner string
	gone  bool
	// reused: the session was kept from an earlier operation.
	reused bool
}

// ownerNow asks the bus who owns the Secret Service name now ("" if
// nobody, or on any error).
func (sess *ssSessionConn) ownerNow(ctx context.Context) string {
	cctx, cancel := context.WithTimeout(ctx, sess.ss.opts.CallTimeout)
	defer cancel()
	var owner string
	if err := sess.conn.BusObject().CallWithContext(cctx, "org.freedesktop.DBus.GetNameOwner", 0, ssBusName).Store(&owner); err != nil {
		return ""
	}
	return owner
}

// end closes the session and its connection.
func (sess *ssSessionConn) end(ctx context.Context) {
	sess.close(ctx)
	sess.conn.Close()
}

func (s *secretService) withSession(ctx context.Context, what string, fn func(*ssSessionConn) error) error {
	sess, err := s.takeSession(ctx, what)
	if err != nil {
		return err
	}
	if err := fn(sess); err != nil {
		if !sess.reused || !sess.gone {
			sess.end(ctx)
			return err
		}
		// The kept session's program is gone, so nothing reached it, and
		// there is nobody to tell: drop it and start over on a new one.
		sess.drop()
		if sess, err = s.newSession(ctx, what); err != nil {
			return err
		}
		if err := fn(sess); err != nil {
			sess.end(ctx)
			return err
		}
	}
	s.keepSession(sess)
	return nil
}

// prepare opens a session in the background and leaves it idle, as an
// operation that succeeded would, for the next operation (Prepare).
func (s *secretService) prepare(ctx context.Context) {
	s.mu.Lock()
	if s.preparing != nil || s.idle != nil {
		s.mu.Unlock()
		return
	}
	done := make(chan struct{})
	s.preparing = done
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			s.preparing = nil
			s.mu.Unlock()
			close(done)
		}()
		sess, err := s.newSession(context.WithoutCancel(ctx), "preparing the keyring")
		if err == nil {
			s.keepSession(sess)
		}
	}()
}

// takeSession returns the idle session when it is still good, else a new
// one on a new connection. A session being prepared is waited for first.
func (s *secretService) takeSession(ctx context.Context, what string) (*ssSessionConn, error) {
	s.mu.Lock()
	if preparing := s.preparing; preparing != nil {
		s.mu.Unlock()
		select {
		case <-preparing:
		case <-ctx.Done():
			return nil, fmt.Errorf("keyring: %w", ctx.Err())
		}
		s.mu.Lock()
	}
	sess := s.takeIdleLocked()
	s.mu.Unlock()
	if sess != nil {
		// Its calls go to its owner's unique name: whether the owner is
		// still there shows in the first of them (withSession), with no
		// round trip to ask first.
		if sess.conn.Connected() && sess.owner != "" {
			sess.reused, sess.gone = true, false
			return sess, nil
		}
		// No owner to address: nobody to tell (a call to the name could
		// even start a new one), so only its key and connection go.
		sess.drop()
	}
	return s.newSession(ctx, what)
}

// newSession opens a connection and a session on it.
func (s *secretService) newSession(ctx context.Context, what string) (*ssSessionConn, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := s.openSession(ctx, conn, what)
	if err != nil {
		conn.Close()
		return nil, err
	}
	sess.owner = sess.ownerNow(ctx)
	return sess, nil
}

// release drops the kept session at once, without a round trip: closing
// the connection ends the session in the keyring daemon (Release).
func (s *secretService) release() {
	s.mu.Lock()
	s.released = true
	sess := s.takeIdleLocked()
	s.mu.Unlock()
	if sess != nil {
		sess.drop()
	}
}

// takeIdleLocked takes the kept session (nil when none) and stops its
// timer. s.mu must be held.
func (s *secretService) takeIdleLocked() *ssSessionConn {
	sess := s.idle
	s.idle = nil
	if s.idleTimer != nil {
		s.idleTimer.Stop()
		s.idleTimer = nil
	}
	return sess
}

// keepSession leaves sess open for the next operation, for s.keep at most.
func (s *secretService) keepSession(sess *ssSessionConn) {
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		sess.drop()
		return
	}
	if s.idle != nil || s.keep <= 0 {
		// Another operation ran alongside and left its session first.
		s.mu.Unlock()
		sess.end(context.Background())
		return
	}
	s.idle = sess
	s.idleTimer = time.AfterFunc(s.keep, func() {
		s.mu.Lock()
		if s.idle != sess {
			s.mu.Unlock()
			return
		}
		s.idle, s.idleTimer = nil, nil
		s.mu.Unlock()
		sess.end(context.Background())
	})
	s.mu.Unlock()
}

// connect opens a private connection to the session bus. It never starts a
// bus (unlike dbus.ConnectSessionBus, which autolaunches a daemon that
// outlives us) and gives up after CallTimeout even if the other end accepts
// the socket but never speaks.
func (s *secretService) connect(ctx context.Context) (*dbus.Conn, error) {
	conn, err := dbusconn.Dial(ctx, s.address, s.opts.CallTimeout)
	switch {
	case err == nil:
		return conn, nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("keyring: %w", err)
	case errors.Is(err, dbusconn.ErrNoBus):
		return nil, fmt.Errorf("keyring: cannot reach the D-Bus session bus (is a desktop session running?): %w", ErrUnavailable)
	case errors.Is(err, dbusconn.ErrNoAnswer):
		return nil, fmt.Errorf("keyring: the D-Bus session bus did not answer within %s: %w", s.opts.CallTimeout, ErrUnavailable)
	default:
		return nil, fmt.Errorf("keyring: the D-Bus session bus refused the connection: %w", ErrUnavailable)
	}
}

// errDHNotSupported is the provider declining the DH algorithm, the one
// case that permits a plain session.
var errDHNotSupported = errors.New("keyring: the Secret Service does not support encrypted sessions")

// openSession negotiates transport encryption, falling back to plain only
// when the provider says it does not support DH.
func (s *secretService) openSession(ctx context.Context, conn *dbus.Conn, what string) (*ssSessionConn, error) {
	sess := &ssSessionConn{ss: s, conn: conn}
	if !s.forcePlain {
		err := sess.openDH(ctx, what)
		if err == nil {
			s.reportSession(algorithmDH)
			return sess, nil
		}
		if !errors.Is(err, errDHNotSupported) {
			return nil, err
		}
		if !s.plainWarned.Swap(true) {
			s.opts.Logger.Warn("the Secret Service does not support encrypted sessions; secrets cross the session bus unencrypted (they stay within your login session)")
		}
	}
	var ignored dbus.Variant
	err := sess.call(ctx, ssPath, ssIface+".OpenSession", algorithmPlain, dbus.MakeVariant("")).Store(&ignored, &sess.path)
	if err != nil {
		return nil, s.callError(ctx, what, err)
	}
	sess.algorithm = algorithmPlain
	s.reportSession(algorithmPlain)
	return sess, nil
}

func (s *secretService) reportSession(algorithm string) {
	if s.sessionOpened != nil {
		s.sessionOpened(algorithm)
	}
}

func (sess *ssSessionConn) openDH(ctx context.Context, what string) error {
	kp, err := newDHKeyPair()
	if err != nil {
		return err
	}
	defer kp.destroy()
	var output dbus.Variant
	var path dbus.ObjectPath
	err = sess.call(ctx, ssPath, ssIface+".OpenSession", algorithmDH, dbus.MakeVariant(kp.public)).Store(&output, &path)
	if isDBusError(err, errNameNotSupported) {
		return errDHNotSupported
	}
	if err != nil {
		return sess.ss.callError(ctx, what, err)
	}
	peer, ok := output.Value().([]byte)
	if !ok {
		return errors.New("keyring: the Secret Service answered the encrypted session request with something other than a key")
	}
	key, err := kp.sessionKey(peer)
	if err != nil {
		return err
	}
	sess.path, sess.key, sess.algorithm = path, key, algorithmDH
	return nil
}

// drop wipes the session key and closes the connection, without a round
// trip: closing the connection ends the session in the keyring daemon.
func (sess *ssSessionConn) drop() {
	clear(sess.key)
	sess.conn.Close()
}

// close ends the session (the provider would also drop it when the
// connection closes) and wipes the session key.
func (sess *ssSessionConn) close(ctx context.Context) {
	clear(sess.key)
	sess.key = nil
	if ctx.Err() == nil {
		_ = sess.call(ctx, sess.path, ssSession+".Close").Err
	}
}

// call makes one method call bounded by CallTimeout.
func (sess *ssSessionConn) call(ctx context.Context, path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	cctx, cancel := context.WithTimeout(ctx, sess.ss.opts.CallTimeout)
	defer cancel()
	dest := ssBusName
	if sess.owner != "" {
		dest = sess.owner
	}
	call := sess.conn.Object(dest, path).CallWithContext(cctx, method, 0, args...)
	if sess.owner != "" && (isDBusError(call.Err, errNameServiceUnknown) || isDBusError(call.Err, errNameNameHasNoOwner)) {
		sess.gone = true
	}
	return call
}

// seal turns plaintext into a Secret for this session. For DH sessions the
// plaintext is encrypted into fresh buffers; for plain sessions it is sent
// as is (the caller's slice is never modified).
func (sess *ssSessionConn) seal(plaintext []byte) (secretStruct, error) {
	sec := secretStruct{Session: sess.path, Parameters: []byte{}, ContentType: contentTypeData}
	if sess.key == nil {
		sec.Value = plaintext
		return sec, nil
	}
	iv, ct, err := encryptSecret(sess.key, plaintext)
	if err != nil {
		return secretStruct{}, err
	}
	sec.Parameters, sec.Value = iv, ct
	return sec, nil
}

// open extracts the plaintext from a Secret received in this session.
func (sess *ssSessionConn) open(sec secretStruct) ([]byte, error) {
	if sess.key == nil {
		// The decoded message buffer is ours alone: hand it over.
		return sec.Value, nil
	}
	return decryptSecret(sess.key, sec.Parameters, sec.Value)
}

func (sess *ssSessionConn) search(ctx context.Context, service, account string) (unlocked, locked []dbus.ObjectPath, err error) {
	attrs := map[string]string{"service": service, "account": account}
	if err := sess.call(ctx, ssPath, ssIface+".SearchItems", attrs).Store(&unlocked, &locked); err != nil {
		return nil, nil, sess.ss.callError(ctx, "searching the keyring", err)
	}
	return unlocked, locked, nil
}

// unlock asks the provider to unlock objects, showing its prompt if it has
// one, and returns the objects now unlocked.
func (sess *ssSessionConn) unlock(ctx context.Context, objects []dbus.ObjectPath) ([]dbus.ObjectPath, error) {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := sess.call(ctx, ssPath, ssIface+".Unlock", objects).Store(&unlocked, &prompt); err != nil {
		return nil, sess.ss.callError(ctx, "unlocking the keyring", err)
	}
	if prompt == noPrompt {
		return unlocked, nil
	}
	sess.ss.opts.Logger.Warn("the keyring is locked; asking you to unlock it")
	result, dismissed, err := sess.prompt(ctx, prompt)
	if err != nil || dismissed {
		return nil, err
	}
	paths, _ := result.Value().([]dbus.ObjectPath)
	return append(unlocked, paths...), nil
}

// prompt shows a Secret Service prompt and waits up to PromptTimeout for
// the user. On timeout it leaves the prompt alone: calling Dismiss on a
// visible prompt has crashed gnome-keyring, and the user may still answer
// it, which helps the next attempt.
func (sess *ssSessionConn) prompt(ctx context.Context, prompt dbus.ObjectPath) (result dbus.Variant, dismissed bool, err error) {
	signals := make(chan *dbus.Signal, 8)
	sess.conn.Signal(signals)
	defer sess.conn.RemoveSignal(signals)
	match := []dbus.MatchOption{
		dbus.WithMatchObjectPath(prompt),
		dbus.WithMatchInterface(ssPrompt),
		dbus.WithMatchMember("Completed"),
	}
	mctx, cancel := context.WithTimeout(ctx, sess.ss.opts.CallTimeout)
	err = sess.conn.AddMatchSignalContext(mctx, match...)
	cancel()
	if err != nil {
		return dbus.Variant{}, false, sess.ss.callError(ctx, "waiting for the unlock prompt", err)
	}
	if err := sess.call(ctx, prompt, ssPrompt+".Prompt", "").Err; err != nil {
		return dbus.Variant{}, false, sess.ss.callError(ctx, "showing the unlock prompt", err)
	}
	wait, cancel := context.WithTimeout(ctx, sess.ss.opts.PromptTimeout)
	defer cancel()
	for {
		select {
		case sig, ok := <-signals:
			if !ok {
				return dbus.Variant{}, false, fmt.Errorf("keyring: lost the connection to the Secret Service while it was prompting: %w", ErrUnavailable)
			}
			if sig.Path != prompt || sig.Name != ssPrompt+".Completed" || len(sig.Body) != 2 {
				continue
			}
			dismissed, _ := sig.Body[0].(bool)
			result, _ := sig.Body[1].(dbus.Variant)
			return result, dismissed, nil
		case <-wait.Done():
			if ctx.Err() != nil {
				return dbus.Variant{}, false, fmt.Errorf("keyring: %w", ctx.Err())
			}
			return dbus.Variant{}, false, fmt.Errorf("keyring: nobody answered the keyring's unlock prompt within %s: %w", sess.ss.opts.PromptTimeout, ErrLocked)
		}
	}
}

// defaultCollection is where new items go: the "default" alias; failing
// that the "login" keyring; failing that a new default keyring (the
// provider asks the user for its password). The in-memory "session"
// keyring is never used: its contents vanish at logout.
func (sess *ssSessionConn) defaultCollection(ctx context.Context) (dbus.ObjectPath, error) {
	path, err := sess.readDefaultAlias(ctx)
	if err != nil || path != noPrompt {
		return path, err
	}
	var label dbus.Variant
	err = sess.call(ctx, ssLoginPath, "org.freedesktop.DBus.Properties.Get", ssCollection, "Label").Store(&label)
	if err == nil {
		return ssLoginPath, nil
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return "", sess.ss.callError(ctx, "finding the default keyring", err)
	}
	props := map[string]dbus.Variant{ssCollection + ".Label": dbus.MakeVariant("Login")}
	var created, prompt dbus.ObjectPath
	if err := sess.call(ctx, ssPath, ssIface+".CreateCollection", props, "default").Store(&created, &prompt); err != nil {
		return "", sess.ss.callError(ctx, "creating a default keyring", err)
	}
	if prompt != noPrompt {
		result, dismissed, err := sess.prompt(ctx, prompt)
		if err != nil {
			return "", err
		}
		created, _ = result.Value().(dbus.ObjectPath)
		if dismissed || created == "" || created == noPrompt {
			return "", fmt.Errorf("keyring: there is no default keyring and none was created; create one in your keyring or password manager: %w", ErrUnavailable)
		}
	}
	return created, nil
}

func (sess *ssSessionConn) readDefaultAlias(ctx context.Context) (dbus.ObjectPath, error) {
	var path dbus.ObjectPath
	if err := sess.call(ctx, ssPath, ssIface+".ReadAlias", "default").Store(&path); err != nil {
		return "", sess.ss.callError(ctx, "finding the default keyring", err)
	}
	return path, nil
}

// preferDefault picks one item among several matches: one in the default
// keyring (where Set writes) if there is one, else the first.
func (sess *ssSessionConn) preferDefault(ctx context.Context, items []dbus.ObjectPath) (dbus.ObjectPath, error) {
	if len(items) == 1 {
		return items[0], nil
	}
	def, err := sess.readDefaultAlias(ctx)
	if err != nil {
		return "", err
	}
	for _, it := range items {
		if def != noPrompt && strings.HasPrefix(string(it), string(def)+"/") {
			return it, nil
		}
	}
	return items[0], nil
}

func (sess *ssSessionConn) lockedError(what string) error {
	return fmt.Errorf("keyring: %s: %w", what, ErrLocked)
}

// callError turns a failed D-Bus call into an error a user can act on.
func (s *secretService) callError(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("keyring: %s: %w", what, ctx.Err())
	}
	var de dbus.Error
	// The bus also answers NoReply, at once, when the provider disconnects
	// in the middle of a call: that is a crash or an exit, not slowness.
	if asDBusError(err, &de) && de.Name == errNameNoReply && strings.Contains(de.Error(), "disconnected") {
		return fmt.Errorf("keyring: the Secret Service stopped while %s (did gnome-keyring or KeePassXC quit?): %w", what, ErrUnavailable)
	}
	if errors.Is(err, context.DeadlineExceeded) || isDBusError(err, errNameNoReply) {
		return fmt.Errorf("keyring: the Secret Service did not answer within %s while %s: %w", s.opts.CallTimeout, what, ErrUnavailable)
	}
	if errors.Is(err, dbus.ErrClosed) {
		return fmt.Errorf("keyring: lost the connection to the D-Bus session bus while %s: %w", what, ErrUnavailable)
	}
	if !asDBusError(err, &de) {
		return fmt.Errorf("keyring: %s: %w", what, err)
	}
	switch {
	case de.Name == errNameServiceUnknown || de.Name == errNameNameHasNoOwner || strings.HasPrefix(de.Name, errNameSpawnPrefix):
		return fmt.Errorf("keyring: no Secret Service is running on the session bus: %w", ErrUnavailable)
	case de.Name == errNameIsLocked:
		return fmt.Errorf("keyring: %s: %w", what, ErrLocked)
	case de.Name == errNameNoSuchObject || de.Name == errNameUnknownObject:
		return fmt.Errorf("keyring: %s: the item vanished: %w", what, ErrNotFound)
	}
	return fmt.Errorf("keyring: the Secret Service failed while %s: %s (%s)", what, de.Error(), de.Name)
}

func asDBusError(err error, target *dbus.Error) bool {
	if errors.As(err, target) {
		return true
	}
	var p *dbus.Error
	if errors.As(err, &p) && p != nil {
		*target = *p
		return true
	}
	return false
}

func isDBusError(err error, name string) bool {
	var de dbus.Error
	return err != nil && asDBusError(err, &de) && de.Name == name
}

// Compile-time check.
var _ Keyring = (*secretService)(nil)
