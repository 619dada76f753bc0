//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The panel's Settings edit a value through the live Go bindings (wails dev)
// and the CLI reads the same value back from the config file.
func TestBrowserSettingsRoundTrip(t *testing.T) {
	display := startX(t)
	env := sandbox(t, display)
	root := repoRoot(t)
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dev := startGroup(t, env, root, "go", "tool", "wails", "dev", "-m", "-s", "-devserver", addr, "-noreload", "-skipbindings", "-loglevel", "Warning")
	url := "http://" + addr + "/"
	waitFor(t, 240*time.Second, "wails dev to serve the UI", func() bool {
		if dev.cmd.ProcessState != nil {
			t.Fatalf("wails dev exited:\n%s", dev.out.String())
		}
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	// The Go side is ready once the dev app window exists.
	findWindow(t, display, dev, 120*time.Second)

	node := exec.Command("node", filepath.Join(root, "frontend", "e2e", "settings.mjs"), url,
		filepath.Join(artifacts(t), "browser-settings.png"))
	node.Dir = filepath.Join(root, "frontend")
	node.Env = env
	out, err := node.CombinedOutput()
	if err != nil {
		t.Fatalf("browser test: %v\n%s\nwails dev:\n%s", err, out, dev.out.String())
	}
	t.Log(strings.TrimSpace(string(out)))

	got, err := runCLI(t, env, "config", "get", "auto_swap.threshold_pct")
	if err != nil || strings.TrimSpace(got) != "70" {
		t.Fatalf("CLI read %q (%v), want 70", got, err)
	}
}
