// Command darwincheck typechecks the macOS (darwin, cgo) build of Go
// packages on any machine, without a macOS SDK or C cross-compiler: it
// resolves files with GOOS=darwin CGO_ENABLED=1, parses every dependency
// from source and runs go/types with a fake "C" package. It exists because
// the Keychain code (backend/keyring, via github.com/keybase/go-keychain)
// only compiles on a Mac, and mistakes in it would otherwise surface only in
// a macOS release build.
//
// Usage:
//
//	go run ./tools/darwincheck [-goarch arm64|amd64] [packages]
//
// With no packages it checks ./backend/keyring/... . It prints each type
// error and exits 1 if there are any, 2 if it could not run.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	goarch := flag.String("goarch", "arm64", "darwin GOARCH to check (arm64 or amd64)")
	verbose := flag.Bool("v", false, "list the files checked")
	flag.Parse()
	patterns := flag.Args()
	if len(patterns) == 0 {
		patterns = []string{"./backend/keyring/..."}
	}
	report, err := Check(Config{Dir: ".", Patterns: patterns, GOARCH: *goarch})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if *verbose {
		for _, f := range report.AllFiles() {
			fmt.Println("checked", f)
		}
	}
	errs := report.AllErrors()
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, e)
	}
	if len(errs) > 0 {
		fmt.Fprintf(os.Stderr, "darwincheck: %d type error(s) in the darwin/%s build\n", len(errs), *goarch)
		os.Exit(1)
	}
	fmt.Printf("darwincheck: %d package(s), %d file(s) typecheck for darwin/%s\n", len(report.Packages), len(report.AllFiles()), *goarch)
}
