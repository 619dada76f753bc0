package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Config says what to check.
type Config struct {
	// Dir is where `go list` runs (any directory inside the module).
	Dir string
	// Patterns are package patterns as `go list` takes them.
	Patterns []string
	// GOARCH of the darwin build to check; "" means arm64.
	GOARCH string
}

// Report is the outcome of one check.
type Report struct {
	// Packages are the targets checked (not their dependencies).
	Packages []PackageReport
	// Errors are problems not tied to a checked package (a pattern that
	// does not load).
	Errors []error
}

// PackageReport is the outcome for one target package.
type PackageReport struct {
	ImportPath string
	// Files are the source files typechecked (the darwin+cgo selection).
	Files []string
	// Errors are its type errors; empty means it passed.
	Errors []error
}

// AllErrors returns every error of the report.
func (r *Report) AllErrors() []error {
	errs := slices.Clone(r.Errors)
	for _, p := range r.Packages {
		errs = append(errs, p.Errors...)
	}
	return errs
}

// AllFiles returns every file checked.
func (r *Report) AllFiles() []string {
	var files []string
	for _, p := range r.Packages {
		files = append(files, p.Files...)
	}
	return files
}

// listedPackage is the subset of `go list -json` output we use.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	CgoFiles   []string
	Imports    []string
	ImportMap  map[string]string
	DepOnly    bool
	Incomplete bool
	Error      *struct{ Err string }
}

// Check typechecks, as GOOS=darwin with cgo enabled, the packages matched by
// cfg.Patterns together with every dependency, all from source. `import "C"`
// is faked (go/types FakeImportC), so no C compiler or macOS SDK is needed:
// C identifiers are unchecked, everything written in Go is checked.
// Errors inside dependencies are ignored (the fake C package makes cgo-heavy
// code such as go-keychain's internals unverifiable); their declarations are
// what the targets are checked against.
func Check(cfg Config) (*Report, error) {
	goarch := cfg.GOARCH
	if goarch == "" {
		goarch = "arm64"
	}
	pkgs, err := goList(cfg.Dir, goarch, cfg.Patterns)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	report := &Report{}
	sizes := types.SizesFor("gc", goarch)
	for _, p := range pkgs {
		if p.ImportPath == "unsafe" || p.ImportPath == "C" {
			continue
		}
		target := !p.DepOnly
		if target && p.Error != nil {
			if strings.Contains(p.Error.Err, "build constraints exclude all Go files") {
				continue // nothing of this package exists on darwin
			}
			report.Errors = append(report.Errors, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err))
			continue
		}
		pr := PackageReport{ImportPath: p.ImportPath}
		names := append(slices.Clone(p.GoFiles), p.CgoFiles...)
		files := make([]*ast.File, 0, len(names))
		for _, name := range names {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				pr.Errors = append(pr.Errors, err)
				continue
			}
			files = append(files, f)
			pr.Files = append(pr.Files, path)
		}
		conf := types.Config{
			FakeImportC: true,
			Sizes:       sizes,
			Importer:    importerFunc(p, checked),
			Error: func(err error) {
				pr.Errors = append(pr.Errors, err)
			},
		}
		tpkg, _ := conf.Check(p.ImportPath, fset, files, nil)
		checked[p.ImportPath] = tpkg
		if target {
			report.Packages = append(report.Packages, pr)
		}
	}
	if len(report.Packages) == 0 && len(report.Errors) == 0 {
		return nil, fmt.Errorf("darwincheck: no package matched %q has files for darwin", cfg.Patterns)
	}
	return report, nil
}

type importer func(path string) (*types.Package, error)

func (f importer) Import(path string) (*types.Package, error) { return f(path) }

// importerFunc resolves imports of p through its ImportMap (vendored std
// packages such as golang.org/x/crypto inside the standard library).
func importerFunc(p listedPackage, checked map[string]*types.Package) types.Importer {
	return importer(func(path string) (*types.Package, error) {
		if mapped, ok := p.ImportMap[path]; ok {
			path = mapped
		}
		if tp, ok := checked[path]; ok && tp != nil {
			return tp, nil
		}
		return nil, fmt.Errorf("darwincheck: %s imports %s, which was not checked first", p.ImportPath, path)
	})
}

// goList returns the packages and their dependencies in dependency order.
func goList(dir, goarch string, patterns []string) ([]listedPackage, error) {
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Dir,GoFiles,CgoFiles,Imports,ImportMap,DepOnly,Incomplete,Error"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH="+goarch, "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("darwincheck: go list failed: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("darwincheck: reading go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}
