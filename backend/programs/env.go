package programs

import "strings"

// PassphraseVars hold aimonitor's passphrases: the file keyring's and the
// backups'. They are for aimonitor alone.
var PassphraseVars = [...]string{"AIMONITOR_KEYRING_PASSPHRASE", "AIMONITOR_PASSPHRASE"}

// ForeignEnv is environ for a program that is not aimonitor (systemctl,
// launchctl, osascript): everything but PassphraseVars, so a passphrase
// never sits in another program's environment.
func ForeignEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		secret := false
		for _, v := range PassphraseVars {
			secret = secret || name == v
		}
		if !secret {
			out = append(out, kv)
		}
	}
	return out
}
