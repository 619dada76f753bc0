package programs_test

import (
	"slices"
	"testing"

	"github.com/aimonitor/aimonitor/backend/cli"
	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/programs"
)

// The list names the variables the passphrases are actually read from.
func TestPassphraseVarsAreTheOnesRead(t *testing.T) {
	for _, v := range []string{filekeyring.PassphraseEnv, cli.PassphraseEnv} {
		if !slices.Contains(programs.PassphraseVars[:], v) {
			t.Errorf("%s holds a passphrase but is not in PassphraseVars", v)
		}
	}
}

func TestForeignEnvDropsOnlyPassphrases(t *testing.T) {
	in := []string{"PATH=/bin", "AIMONITOR_KEYRING_PASSPHRASE=k", "AIMONITOR_PASSPHRASE=b",
		"AIMONITOR_KEYRING_PASSPHRASE_FILE=/run/p", "AIMONITOR_PASSPHRASEX=keep", "HOME=/h"}
	got := programs.ForeignEnv(in)
	want := []string{"PATH=/bin", "AIMONITOR_KEYRING_PASSPHRASE_FILE=/run/p", "AIMONITOR_PASSPHRASEX=keep", "HOME=/h"}
	if !slices.Equal(got, want) {
		t.Fatalf("ForeignEnv = %q, want %q", got, want)
	}
}
