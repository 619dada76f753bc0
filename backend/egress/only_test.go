package egress

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// moduleRoot is the repository root, two levels up from this package.
const moduleRoot = "../.."

// networkCalls are what opens a connection or builds an HTTP client
// without this package: package path → names. http.Client and
// http.Transport count only as composite literals (a *http.Client
// parameter is how the egress client is passed around).
var networkCalls = map[string]map[string]bool{
	"net/http":   {"DefaultClient": true, "DefaultTransport": true, "Get": true, "Head": true, "Post": true, "PostForm": true, "Client": true, "Transport": true},
	"net":        {"Dial": true, "DialTimeout": true, "DialTCP": true, "DialUDP": true, "DialIP": true, "Dialer": true},
	"crypto/tls": {"Dial": true, "DialWithDialer": true, "Dialer": true},
	"net/smtp":   {"Dial": true, "SendMail": true},
	"net/rpc":    {"Dial": true, "DialHTTP": true, "DialHTTPPath": true},
}

// allowedDialers are the shipped files outside this package that may dial,
// and why.
var allowedDialers = map[string]string{
	"backend/display/display.go": "connects to the display server DISPLAY names, as any X or Wayland program does, to learn whether a window can open",
}

// skippedDirs hold no shipped code: tests, benchmarks, tools, the
// simulator (a server, on loopback), the frontend.
var skippedDirs = map[string]bool{
	".git": true, ".cache": true, "frontend": true, "build": true, "bench": true, "tools": true,
	"hardening": true, "e2e": true, "internal": true, "testdata": true, "node_modules": true,
	"backend/anthropic/sim": true, "backend/egress": true,
}

// Every shipped Go file reaches the network only through this package:
// none builds its own HTTP client or transport, uses http.DefaultClient or
// dials, except the display check. With the allowlist tests above, that is
// what makes "only these hosts" true of the whole program.
func TestOnlyEgressReachesTheNetwork(t *testing.T) {
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleRoot, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skippedDirs[rel] || skippedDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		for _, use := range networkUses(f) {
			if _, ok := allowedDialers[rel]; ok && !strings.HasPrefix(use.what, "http.") {
				continue
			}
			t.Errorf("%s:%d: %s reaches the network without backend/egress", rel, fset.Position(use.pos).Line, use.what)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d Go files scanned: the walk is not looking at the repository", files)
	}
	for rel := range allowedDialers {
		if _, err := os.Stat(filepath.Join(moduleRoot, rel)); err != nil {
			t.Errorf("allowedDialers names %s, which is gone: %v", rel, err)
		}
	}
}

type networkUse struct {
	pos  token.Pos
	what string
}

// networkUses finds the uses of networkCalls in f, however the packages
// are imported.
func networkUses(f *ast.File) []networkUse {
	local := map[string]string{} // local name → import path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if networkCalls[p] == nil {
			continue
		}
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		local[name] = p
	}
	if len(local) == 0 {
		return nil
	}
	match := func(e ast.Expr) (string, bool) {
		sel, ok := e.(*ast.SelectorExpr)
		if !ok {
			return "", false
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || local[id.Name] == "" || !networkCalls[local[id.Name]][sel.Sel.Name] {
			return "", false
		}
		return id.Name + "." + sel.Sel.Name, true
	}
	var out []networkUse
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CompositeLit:
			if what, ok := match(n.Type); ok {
				out = append(out, networkUse{n.Pos(), what + "{}"})
			}
		case *ast.CallExpr:
			if what, ok := match(n.Fun); ok {
				out = append(out, networkUse{n.Pos(), what + "()"})
			}
			if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "new" && len(n.Args) == 1 {
				if what, ok := match(n.Args[0]); ok {
					out = append(out, networkUse{n.Pos(), "new(" + what + ")"})
				}
			}
		case *ast.SelectorExpr:
			// A package-level client or transport used directly.
			if what, ok := match(n); ok && (strings.HasSuffix(what, ".DefaultClient") || strings.HasSuffix(what, ".DefaultTransport")) {
				out = append(out, networkUse{n.Pos(), what})
			}
		}
		return true
	})
	return out
}

// The scan above would see each way of reaching the network.
func TestNetworkUsesSeesEachForm(t *testing.T) {
	src := `package x
import (
	h "net/http"
	"net"
	"crypto/tls"
)
var _ = h.DefaultClient
var _ = &h.Client{}
var _ = new(h.Transport)
func f(c *h.Client) {
	h.Get("x")
	net.Dial("tcp", "x")
	_ = net.Dialer{}
	tls.Dial("tcp", "x", nil)
}`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range networkUses(f) {
		got = append(got, u.what)
	}
	want := "h.DefaultClient h.Client{} new(h.Transport) h.Get() net.Dial() net.Dialer{} tls.Dial()"
	if strings.Join(got, " ") != want {
		t.Fatalf("found %q, want %q", strings.Join(got, " "), want)
	}
}

// The widget's page may load or contact nothing on the network: its
// Content-Security-Policy names only the page itself, data: images and
// localhost (the Wails development server).
func TestTheWindowLoadsNothingFromTheNetwork(t *testing.T) {
	html, err := os.ReadFile(filepath.Join(moduleRoot, "frontend", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?i)<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"`).FindSubmatch(html)
	if m == nil {
		t.Fatal("frontend/index.html has no Content-Security-Policy")
	}
	allowed := map[string]bool{"'self'": true, "'unsafe-inline'": true, "data:": true, "ws://localhost:*": true, "http://localhost:*": true}
	sawDefault := false
	for _, directive := range strings.Split(string(m[1]), ";") {
		fields := strings.Fields(directive)
		if len(fields) == 0 {
			continue
		}
		sawDefault = sawDefault || fields[0] == "default-src"
		for _, src := range fields[1:] {
			if !allowed[src] {
				t.Errorf("the window's policy lets %s load from %s", fields[0], src)
			}
		}
	}
	if !sawDefault {
		t.Error("the window's policy has no default-src, so whatever it does not name is allowed")
	}
}
