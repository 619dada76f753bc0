package main

import (
	"strings"
	"testing"
)

// The launcher's dependency budget: what `version` and the fast paths must
// never pay for at start. Each of these costs page faults and package
// initialisers at every start (SQLite's transpiled C library, TLS and HTTP
// tables, D-Bus, YAML's and cobra's regular expressions); see
// docs/performance.md. aimonitor-core links them; the launcher execs it.
var overBudget = []string{
	"modernc.org/", "zombiezen.com/", "net/http", "crypto/tls", "crypto/x509", "github.com/godbus/",
	"go.yaml.in/", "gopkg.in/yaml", "github.com/spf13/", "encoding/xml",
	// aimonitor's own heavy packages, which reach the above.
	"github.com/aimonitor/aimonitor/backend/cli", "github.com/aimonitor/aimonitor/backend/service",
	"github.com/aimonitor/aimonitor/backend/store", "github.com/aimonitor/aimonitor/backend/keyring",
	"github.com/aimonitor/aimonitor/backend/config", "github.com/aimonitor/aimonitor/backend/anthropic",
	"github.com/aimonitor/aimonitor/backend/egress", "github.com/aimonitor/aimonitor/backend/daemon",
	"github.com/aimonitor/aimonitor/backend/update", "github.com/aimonitor/aimonitor/backend/notify",
	"github.com/aimonitor/aimonitor/backend/accounts",
}

func TestDependencyBudget(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		for _, d := range deps(t, goos, ".") {
			for _, banned := range overBudget {
				if d.ImportPath == strings.TrimSuffix(banned, "/") || strings.HasPrefix(d.ImportPath, banned) &&
					(strings.HasSuffix(banned, "/") || strings.HasPrefix(d.ImportPath[len(banned):], "/")) {
					t.Errorf("%s: the launcher links %s; keep it to aimonitor-core", goos, d.ImportPath)
				}
			}
		}
	}
}
