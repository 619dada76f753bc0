package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const keyringPkg = "github.com/aimonitor/aimonitor/backend/keyring"

// One Check per architecture covers every case: typechecking the standard
// library from source dominates the cost.
func TestCheck(t *testing.T) {
	tests := []struct {
		name       string
		importPath string
		wantFiles  []string // base names that must have been checked
		wantErrs   []string // substrings, one per expected error
	}{
		{
			name:       "keyring package typechecks for darwin",
			importPath: keyringPkg,
			wantFiles:  []string{"keychain_darwin.go", "keyring.go"},
		},
		{
			name:       "in-memory test keyring typechecks for darwin",
			importPath: keyringPkg + "/keyringtest",
			wantFiles:  []string{"keyringtest.go"},
		},
		{
			name:       "correct cgo and go-keychain use passes",
			importPath: "github.com/aimonitor/aimonitor/tools/darwincheck/testdata/good",
			wantFiles:  []string{"good_darwin.go"},
		},
		{
			name:       "deliberate type error fails",
			importPath: "github.com/aimonitor/aimonitor/tools/darwincheck/testdata/bad",
			wantFiles:  []string{"bad_darwin.go"},
			wantErrs:   []string{"bad_darwin.go:13:15: cannot use q (variable of struct type keychain.Item) as string value in argument to q.SetService"},
		},
	}
	for _, goarch := range []string{"arm64", "amd64"} {
		t.Run(goarch, func(t *testing.T) {
			report, err := Check(Config{
				Dir:      ".",
				Patterns: []string{keyringPkg + "/...", "./testdata/good", "./testdata/bad"},
				GOARCH:   goarch,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(report.Errors) != 0 {
				t.Fatalf("load errors: %v", report.Errors)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					i := slices.IndexFunc(report.Packages, func(p PackageReport) bool { return p.ImportPath == tt.importPath })
					if i < 0 {
						t.Fatalf("%s was not checked", tt.importPath)
					}
					pkg := report.Packages[i]
					var bases []string
					for _, f := range pkg.Files {
						bases = append(bases, filepath.Base(f))
					}
					for _, want := range tt.wantFiles {
						if !slices.Contains(bases, want) {
							t.Errorf("file %s was not checked; checked %v", want, bases)
						}
					}
					if len(pkg.Errors) != len(tt.wantErrs) {
						t.Fatalf("got %d errors %v, want %d %v", len(pkg.Errors), pkg.Errors, len(tt.wantErrs), tt.wantErrs)
					}
					for i, want := range tt.wantErrs {
						if got := pkg.Errors[i].Error(); !strings.Contains(got, want) {
							t.Errorf("error %d = %q, want it to contain %q", i, got, want)
						}
					}
				})
			}
			// Linux-only files must stay out, or the check is of the wrong
			// build.
			for _, f := range report.AllFiles() {
				base := filepath.Base(f)
				if strings.HasSuffix(base, "_linux.go") || strings.HasSuffix(base, "_nocgo.go") || base == "unsupported.go" {
					t.Errorf("checked %s, which is not part of the darwin+cgo build", base)
				}
			}
		})
	}
}

func TestCheckUnknownPattern(t *testing.T) {
	report, err := Check(Config{Dir: ".", Patterns: []string{"./testdata/doesnotexist"}})
	if err == nil && len(report.AllErrors()) == 0 {
		t.Fatal("a pattern matching nothing passed the check")
	}
}
