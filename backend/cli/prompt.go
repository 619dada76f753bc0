package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/aimonitor/aimonitor/backend/backup"
)

// passphrase comes from AIMONITOR_PASSPHRASE or, on a terminal, from a
// prompt without echo (twice when confirm). Without either it refuses:
// reading a secret from a pipe would echo nothing but also protect nothing
// the environment variable does not.
func (a *app) passphrase(confirm bool) ([]byte, error) {
	if v := lookup(a.deps.Environ, PassphraseEnv); v != "" {
		return []byte(v), nil
	}
	f, ok := a.deps.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, fmt.Errorf("a passphrase is needed: run this in a terminal to be asked for it, or set %s", PassphraseEnv)
	}
	fd := int(f.Fd())
	fmt.Fprint(a.deps.Stderr, "Passphrase for the logins in the backup: ")
	pass, err := term.ReadPassword(fd)
	fmt.Fprintln(a.deps.Stderr)
	if err != nil {
		return nil, fmt.Errorf("reading the passphrase: %w", err)
	}
	if !confirm {
		return pass, nil
	}
	if len(pass) < 8 {
		clear(pass)
		return nil, backup.ErrWeakPassphrase
	}
	fmt.Fprint(a.deps.Stderr, "The same passphrase again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(a.deps.Stderr)
	defer clear(again)
	if err != nil {
		clear(pass)
		return nil, fmt.Errorf("reading the passphrase: %w", err)
	}
	if !bytes.Equal(pass, again) {
		clear(pass)
		return nil, errors.New("the two passphrases differ; nothing was written")
	}
	return pass, nil
}

// confirm asks a yes/no question on the terminal before a destructive
// step. Without a terminal it does not ask and refuses, so scripts need
// --yes; either way the error says what happened.
func (a *app) confirm(question, nothingDone string) error {
	asked, yes, err := a.ask(question)
	switch {
	case err != nil:
		return err
	case !asked:
		return fmt.Errorf("%s: there is no terminal to ask on; confirm with --yes", nothingDone)
	case !yes:
		return errors.New(nothingDone)
	}
	return nil
}

// ask asks a yes/no question on the terminal; asked is false when there
// is none.
func (a *app) ask(question string) (asked, yes bool, err error) {
	f, ok := a.deps.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, false, nil
	}
	fmt.Fprintf(a.deps.Stderr, "%s Type yes to continue: ", question)
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return true, false, err
	}
	return true, strings.EqualFold(strings.TrimSpace(line), "yes"), nil
}
