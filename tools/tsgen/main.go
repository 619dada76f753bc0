// Command tsgen writes the TypeScript side of the contract between the Go
// backend and the frontend (frontend/src/lib/contract.gen.ts) from
// backend/view: the shapes, by reflection as encoding/json writes them, and
// the bound methods of view.Bindings. `make generate` runs it; a test fails
// when the committed file is not what it would write.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"

	"github.com/aimonitor/aimonitor/backend/view"
)

// Output is the generated file, relative to the module root.
const Output = "frontend/src/lib/contract.gen.ts"

// viewSource is where view.Bindings is declared (for its parameter names).
const viewSource = "backend/view/contract.go"

func main() {
	check := flag.Bool("check", false, "fail if the file is not current instead of writing it")
	flag.Parse()
	if err := run(*check); err != nil {
		fmt.Fprintln(os.Stderr, "tsgen:", err)
		os.Exit(1)
	}
}

func run(check bool) error {
	data, err := generate(".")
	if err != nil {
		return err
	}
	if check {
		old, err := os.ReadFile(Output)
		if err != nil {
			return err
		}
		if !bytes.Equal(old, data) {
			return fmt.Errorf("%s is not current: run `make generate`", Output)
		}
		return nil
	}
	return os.WriteFile(Output, data, 0o644)
}

// generate builds the file for the module rooted at root.
func generate(root string) ([]byte, error) {
	params, err := paramNames(root+"/"+viewSource, "Bindings")
	if err != nil {
		return nil, err
	}
	return Generate(Contract{
		Bindings:  reflect.TypeFor[view.Bindings](),
		Params:    params,
		Documents: view.Documents,
		Names:     view.Names,
		Enums:     view.Enums,
	})
}

// paramNames reads the parameter names of the methods of interface name
// (reflection does not keep them).
func paramNames(file, name string) (map[string][]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	out := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != name {
			return true
		}
		it, ok := ts.Type.(*ast.InterfaceType)
		if !ok {
			return false
		}
		for _, m := range it.Methods.List {
			ft, ok := m.Type.(*ast.FuncType)
			if !ok || len(m.Names) != 1 {
				continue
			}
			var names []string
			for _, p := range ft.Params.List {
				for _, id := range p.Names {
					names = append(names, id.Name)
				}
			}
			out[m.Names[0].Name] = names
		}
		return false
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("%s declares no interface %s", file, name)
	}
	return out, nil
}
