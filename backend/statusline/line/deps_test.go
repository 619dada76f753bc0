package line

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The launcher (cmd/aimonitor) links this package for its fast path, so
// it must stay as light as the launcher: none of what makes aimonitor-core
// slow to start (SQLite's transpiled C library, TLS and HTTP, D-Bus, YAML,
// cobra; see docs/performance.md), nor the aimonitor packages that reach
// them.
func TestDependencyBudget(t *testing.T) {
	banned := []string{"modernc.org/", "zombiezen.com/", "net/http", "crypto/tls", "crypto/x509", "github.com/godbus/",
		"go.yaml.in/", "gopkg.in/", "github.com/spf13/", "encoding/xml", "github.com/caarlos0/", "log/slog"}
	// Of aimonitor's own, only these light ones.
	allowed := map[string]bool{
		"github.com/aimonitor/aimonitor/backend/statusline/line":      true,
		"github.com/aimonitor/aimonitor/backend/paths":                true,
		"github.com/aimonitor/aimonitor/backend/buildinfo":            true,
		"github.com/aimonitor/aimonitor/backend/claudecode/claudeenv": true,
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-deps", ".")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/aimonitor/") && !allowed[dep] {
				t.Errorf("%s: links %s", goos, dep)
			}
			for _, b := range banned {
				if dep == strings.TrimSuffix(b, "/") || strings.HasPrefix(dep, b) && (strings.HasSuffix(b, "/") || strings.HasPrefix(dep[len(b):], "/")) {
					t.Errorf("%s: links %s", goos, dep)
				}
			}
		}
	}
}
