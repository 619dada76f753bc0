package filekeyring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/aimonitor/aimonitor/backend/sealbox"
)

// Where a passphrase can come from, besides a prompt.
const (
	PassphraseEnv     = "AIMONITOR_KEYRING_PASSPHRASE"
	PassphraseFileEnv = "AIMONITOR_KEYRING_PASSPHRASE_FILE"
	maxPassphraseFile = 4096
)

// PassphraseSource reads the passphrase from AIMONITOR_KEYRING_PASSPHRASE,
// else from the file AIMONITOR_KEYRING_PASSPHRASE_FILE names (a systemd
// credential, say; one trailing newline is dropped), else from prompt (nil
// when there is no terminal). With none of them it fails with
// ErrNoPassphrase.
func PassphraseSource(getenv func(string) string, prompt PassphraseFunc) PassphraseFunc {
	return func(ctx context.Context, create bool) ([]byte, error) {
		if v := getenv(PassphraseEnv); v != "" {
			return []byte(v), nil
		}
		if path := getenv(PassphraseFileEnv); path != "" {
			return readPassphraseFile(path)
		}
		if prompt != nil {
			return prompt(ctx, create)
		}
		if create {
			return nil, lockedError{"there is no file keyring yet, and no passphrase to create one with: run this in a terminal to choose one, or set " +
				PassphraseFileEnv + " to a file holding it (or " + PassphraseEnv + ")"}
		}
		return nil, ErrNoPassphrase
	}
}

// DescribeSource says where PassphraseSource would look first.
func DescribeSource(getenv func(string) string, terminal bool) string {
	switch {
	case getenv(PassphraseEnv) != "":
		return "the variable " + PassphraseEnv
	case getenv(PassphraseFileEnv) != "":
		return "the file " + getenv(PassphraseFileEnv) + " (" + PassphraseFileEnv + ")"
	case terminal:
		return "a prompt on this terminal"
	}
	return "none (no terminal, and neither " + PassphraseEnv + " nor " + PassphraseFileEnv + " is set)"
}

func readPassphraseFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the keyring passphrase from %s (%s): %w", path, PassphraseFileEnv, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the keyring passphrase from %s: %w", path, err)
	}
	if len(data) > maxPassphraseFile {
		clear(data)
		return nil, fmt.Errorf("%s is too large to hold a passphrase (%s)", path, PassphraseFileEnv)
	}
	pass := bytes.TrimSuffix(bytes.TrimSuffix(data, []byte("\n")), []byte("\r"))
	if len(pass) == 0 {
		return nil, fmt.Errorf("%s (%s) is empty", path, PassphraseFileEnv)
	}
	return pass, nil
}

// TerminalPrompt asks on the terminal in without echo, writing the
// questions to out; twice when a new store is being made.
func TerminalPrompt(in *os.File, out io.Writer) PassphraseFunc {
	return func(_ context.Context, create bool) ([]byte, error) {
		fd := int(in.Fd())
		if !create {
			fmt.Fprint(out, "Passphrase of aimonitor's file keyring: ")
			pass, err := term.ReadPassword(fd)
			fmt.Fprintln(out)
			if err != nil {
				return nil, fmt.Errorf("reading the passphrase: %w", err)
			}
			return pass, nil
		}
		fmt.Fprintf(out, "Choose a passphrase for aimonitor's file keyring (at least %d characters): ", sealbox.MinPassphraseLen)
		pass, err := term.ReadPassword(fd)
		fmt.Fprintln(out)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase: %w", err)
		}
		if len(pass) < sealbox.MinPassphraseLen {
			clear(pass)
			return nil, sealbox.ErrWeakPassphrase
		}
		fmt.Fprint(out, "The same passphrase again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(out)
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
}

// IsTerminal reports whether f is a terminal a prompt can use.
func IsTerminal(f *os.File) bool { return f != nil && term.IsTerminal(int(f.Fd())) }
