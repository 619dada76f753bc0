package warm

import (
	"os/exec"
	"strings"
	"testing"
)

// The launcher links this package to answer `aimonitor tokens` within a
// few milliseconds of start; everything it imports is paid at every start
// of every command. It must stay off SQLite, TLS, HTTP, D-Bus, YAML, cobra
// and the rest of the backend.
func TestDependenciesStayLight(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"golang.org/x/sys/unix":                              true,
		"github.com/aimonitor/aimonitor/backend/buildinfo":   true,
		"github.com/aimonitor/aimonitor/backend/paths":       true,
		"github.com/aimonitor/aimonitor/backend/textout":     true,
		"github.com/aimonitor/aimonitor/backend/tokens/warm": true,
	}
	forbiddenStd := []string{"net", "crypto/tls", "crypto/x509", "encoding/xml", "os/exec", "database/sql", "log/slog"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, std, _ := strings.Cut(line, " ")
		if std == "true" {
			for _, f := range forbiddenStd {
				if pkg == f || strings.HasPrefix(pkg, f+"/") {
					t.Errorf("imports %s", pkg)
				}
			}
			continue
		}
		if !allowed[pkg] {
			t.Errorf("imports %s: not on the launcher's list (modernc/zombiezen SQLite, godbus, yaml, cobra and the heavy backend packages must stay out)", pkg)
		}
	}
}
