package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// binary is the launcher under test, with aimonitor-core beside it:
// $AIMONITOR_BIN (make test-static sets it to build/bin/aimonitor), else
// both built here into one directory as `make build` builds them.
func binary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AIMONITOR_BIN"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(abs), "aimonitor-core")); err != nil {
			t.Fatalf("AIMONITOR_BIN=%s has no aimonitor-core beside it: %v", p, err)
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
		for _, b := range []struct{ pkg, out string }{{".", "aimonitor"}, {"../aimonitor-core", "aimonitor-core"}} {
			cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, b.out), b.pkg)
			cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgoFor(runtime.GOOS, b.pkg))
			if out, err := cmd.CombinedOutput(); err != nil {
				built.err = &buildError{err, out}
				return
			}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// core is aimonitor-core beside binary(t).
func core(t *testing.T) string {
	return filepath.Join(filepath.Dir(binary(t)), "aimonitor-core")
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

// cgoFor is CGO_ENABLED for pkg on goos: only aimonitor-core on macOS
// needs cgo, for the Keychain.
func cgoFor(goos, pkg string) string {
	if goos == "darwin" && pkg != "." {
		return "1"
	}
	return "0"
}

type pkg struct {
	ImportPath string
	CgoFiles   []string
	CgoLDFLAGS []string
}

// deps lists the packages p links for goos with cgo as make build sets it,
// as `go list -deps` sees them.
func deps(t *testing.T, goos, p string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{join .CgoFiles \",\"}}\t{{join .CgoLDFLAGS \" \"}}", p)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED="+cgoFor(goos, p))
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

// Neither command-line binary links a window toolkit anywhere, and cgo
// only where the Keychain needs it: nothing on Linux (static binaries),
// only go-keychain and Security/CoreFoundation in aimonitor-core on macOS.
func TestLinksNoToolkit(t *testing.T) {
	for _, p := range []string{".", "../aimonitor-core"} {
		for _, goos := range []string{"linux", "darwin"} {
			t.Run(filepath.Base(p)+"/"+goos, func(t *testing.T) {
				var cgo []string
				for _, d := range deps(t, goos, p) {
					for _, banned := range []string{"github.com/wailsapp/", "github.com/aimonitor/aimonitor/frontend"} {
						if strings.HasPrefix(d.ImportPath, banned) {
							t.Errorf("links %s", d.ImportPath)
						}
					}
					if len(d.CgoFiles) > 0 {
						cgo = append(cgo, d.ImportPath)
					}
					if d.ImportPath == "runtime/cgo" {
						continue // Go's own glue to the C library (libSystem on macOS)
					}
					for _, flag := range d.CgoLDFLAGS {
						if strings.HasPrefix(flag, "-") && flag != "-framework" {
							t.Errorf("%s links %s", d.ImportPath, flag)
						}
						if !strings.HasPrefix(flag, "-") && flag != "CoreFoundation" && flag != "Security" {
							t.Errorf("%s links the framework %s", d.ImportPath, flag)
						}
					}
				}
				var want []string
				if goos == "darwin" && p != "." {
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
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
