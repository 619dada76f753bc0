package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// binary is the command line under test: $AIMONITOR_BIN (make test-e2e
// sets it to build/bin/aimonitor), else one built here as `make build`
// builds it.
func binary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AIMONITOR_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "aimonitor-bin")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "aimonitor")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", built.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgoFor(runtime.GOOS))
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = &buildError{err, out}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

var built struct {
	once sync.Once
	path string
	err  error
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}

// cgoFor is CGO_ENABLED for the command line on goos: only macOS needs
// cgo, for the Keychain.
func cgoFor(goos string) string {
	if goos == "darwin" {
		return "1"
	}
	return "0"
}

type pkg struct {
	ImportPath string
	CgoFiles   []string
	CgoLDFLAGS []string
}

// deps lists the packages the command line links for goos with cgo as
// make build sets it, as `go list -deps` sees them.
func deps(t *testing.T, goos string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{join .CgoFiles \",\"}}\t{{join .CgoLDFLAGS \" \"}}", ".")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED="+cgoFor(goos))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var list []pkg
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		p := pkg{ImportPath: f[0]}
		if f[1] != "" {
			p.CgoFiles = strings.Split(f[1], ",")
		}
		if f[2] != "" {
			p.CgoLDFLAGS = strings.Fields(f[2])
		}
		list = append(list, p)
	}
	return list
}

// The command line links no window toolkit anywhere, and cgo only where
// the Keychain needs it: nothing on Linux (a static binary), only
// go-keychain and Security/CoreFoundation on macOS.
func TestLinksNoToolkit(t *testing.T) {
	for _, goos := range []string{"linux", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			var cgo []string
			for _, p := range deps(t, goos) {
				for _, banned := range []string{"github.com/wailsapp/", "github.com/aimonitor/aimonitor/frontend"} {
					if strings.HasPrefix(p.ImportPath, banned) {
						t.Errorf("links %s", p.ImportPath)
					}
				}
				if len(p.CgoFiles) > 0 {
					cgo = append(cgo, p.ImportPath)
				}
				if p.ImportPath == "runtime/cgo" {
					continue // Go's own glue to the C library (libSystem on macOS)
				}
				for _, flag := range p.CgoLDFLAGS {
					if strings.HasPrefix(flag, "-") && flag != "-framework" {
						t.Errorf("%s links %s", p.ImportPath, flag)
					}
					if !strings.HasPrefix(flag, "-") && flag != "CoreFoundation" && flag != "Security" {
						t.Errorf("%s links the framework %s", p.ImportPath, flag)
					}
				}
			}
			var want []string
			if goos == "darwin" {
				want = []string{"runtime/cgo", "github.com/keybase/go-keychain"}
			}
			slices.Sort(cgo)
			slices.Sort(want)
			if !slices.Equal(cgo, want) {
				t.Errorf("packages built with cgo: %q, want %q", cgo, want)
			}
		})
	}
}
