package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/keyring/filekeyring"
	"github.com/aimonitor/aimonitor/backend/service"
)

// After dropPassphrases a child of the widget sees no passphrase, while the
// service built before still has the file keyring's.
func TestWidgetChildrenGetNoPassphrase(t *testing.T) {
	home := t.TempDir()
	for k, v := range map[string]string{"HOME": home, "XDG_CONFIG_HOME": home + "/config", "XDG_DATA_HOME": home + "/data",
		"XDG_STATE_HOME": home + "/state", "AIMONITOR_CONFIG": "", "AIMONITOR_DATA_DIR": ""} {
		t.Setenv(k, v)
	}
	t.Setenv(filekeyring.PassphraseEnv, "keyring-passphrase-canary")
	t.Setenv("AIMONITOR_PASSPHRASE", "backup-passphrase-canary")
	svc, err := service.New(service.Options{Stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if err := dropPassphrases(os.Unsetenv); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("env").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "passphrase-canary") {
		t.Fatalf("a child of the widget got a passphrase:\n%s", out)
	}
	if svc.Getenv(filekeyring.PassphraseEnv) != "keyring-passphrase-canary" {
		t.Fatal("the service lost the file keyring's passphrase")
	}
}
