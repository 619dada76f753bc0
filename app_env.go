package main

import "github.com/aimonitor/aimonitor/backend/programs"

// dropPassphrases takes aimonitor's passphrases out of the process
// environment before the window starts: the programs the window runs —
// WebKit's helper processes, the browser a release link opens — are not
// aimonitor and inherit it. The service keeps the copy it was built from,
// so the file keyring still finds its passphrase.
func dropPassphrases(unsetenv func(string) error) error {
	for _, v := range programs.PassphraseVars {
		if err := unsetenv(v); err != nil {
			return err
		}
	}
	return nil
}
