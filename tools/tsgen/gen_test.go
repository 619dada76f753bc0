package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aimonitor/aimonitor/backend/view"
)

const root = "../.."

func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, Output))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what backend/view describes: run `make generate` and commit it", Output)
	}
}

type inner struct {
	A string `json:"a"`
	B int    `json:"b,omitempty"`
}

type Shadow struct {
	A string `json:"a"`
}

type kind string

type sample struct {
	inner
	*Shadow
	Plain   string
	Named   float64 `json:"named"`
	Skipped string  `json:"-"`
	//lint:ignore U1000 never set: it is here to show unexported fields are not in JSON
	hidden   string
	Maybe    *time.Time        `json:"maybe,omitempty"`
	List     []inner           `json:"list"`
	Ptrs     []*int            `json:"ptrs"`
	Bytes    []byte            `json:"bytes"`
	Map      map[string]bool   `json:"map"`
	Any      any               `json:"any"`
	Kind     kind              `json:"kind"`
	Quoted   int64             `json:"quoted,string"`
	Override any               `json:"override" tstype:"'x' | 'y'"`
	Anon     struct{ X int }   `json:"anon"`
	Nested   map[int][]float32 `json:"nested"`
}

type Calls interface {
	Get(id int, name string) (sample, error)
	Do() error
}

func TestShapesFollowEncodingJSON(t *testing.T) {
	out, err := Generate(Contract{
		Bindings: reflect.TypeFor[Calls](),
		Params:   map[string][]string{"Get": {"id", "name"}},
		Names:    map[reflect.Type]string{reflect.TypeFor[sample](): "Sample"},
		Enums:    map[reflect.Type][]string{reflect.TypeFor[kind](): {"k1", "k2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := string(out)
	for _, want := range []string{
		"export interface Sample {\n  b?: number;\n  Plain: string;", // a is ambiguous at depth 1 and dropped, as encoding/json does
		"  named: number;\n",
		"  maybe?: string | null;\n",
		"  list: inner[];\n",
		"  ptrs: (number | null)[];\n",
		"  bytes: string;\n",
		"  map: Record<string, boolean>;\n",
		"  any: unknown;\n",
		"  kind: kind;\n",
		"  quoted: string;\n",
		"  override: 'x' | 'y';\n",
		"  anon: {\n  X: number;\n};\n",
		"  nested: Record<string, number[]>;\n",
		"export type kind = 'k1' | 'k2';",
		"export interface inner {\n  a: string;\n  b?: number;\n}",
		"  Get(id: number, name: string): Promise<Sample> {\n    return bound().Get(id, name) as Promise<Sample>;\n  },",
		"  Do(): Promise<void> {",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("missing %q in\n%s", want, src)
		}
	}
	for _, bad := range []string{"Skipped", "hidden", "Shadow"} {
		if strings.Contains(src, bad) {
			t.Errorf("%s should not appear:\n%s", bad, src)
		}
	}
}

type Base struct {
	A string `json:"a"`
	B int    `json:"b,omitempty"`
}

type extended struct {
	Base
	C bool `json:"c"`
}

type hiding struct {
	Base
	B string `json:"b"` // hides Base.B with another type: `extends` would not compile
}

func TestOneEmbeddedStructBecomesExtends(t *testing.T) {
	out, err := Generate(Contract{
		Bindings:  reflect.TypeFor[Calls](),
		Names:     map[reflect.Type]string{reflect.TypeFor[sample](): "Sample"},
		Enums:     map[reflect.Type][]string{reflect.TypeFor[kind](): {"k1", "k2"}},
		Documents: []reflect.Type{reflect.TypeFor[extended](), reflect.TypeFor[hiding]()},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := string(out)
	for _, want := range []string{
		"export interface extended extends Base {\n  c: boolean;\n}",
		"export interface Base {\n  a: string;\n  b?: number;\n}",
		"export interface hiding {\n  a: string;\n  b: string;\n}",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("missing %q in\n%s", want, src)
		}
	}
}

type clashA struct{ X int }
type Marshals struct{}

func (Marshals) MarshalJSON() ([]byte, error) { return []byte(`1`), nil }

type withMarshaler struct {
	M Marshals `json:"m"`
}

type badCalls interface{ Two() (int, int) }

func TestUnclearShapesAreRefused(t *testing.T) {
	for name, c := range map[string]Contract{
		"two Go types, one name": {Bindings: reflect.TypeFor[Calls](), Documents: []reflect.Type{reflect.TypeFor[clashA]()},
			Names: map[reflect.Type]string{reflect.TypeFor[clashA](): "Sample", reflect.TypeFor[sample](): "Sample"}},
		"a type that marshals itself": {Bindings: reflect.TypeFor[Calls](), Documents: []reflect.Type{reflect.TypeFor[withMarshaler]()}},
		"a method Wails cannot bind":  {Bindings: reflect.TypeFor[badCalls]()},
		"no bindings":                 {},
	} {
		if _, err := Generate(c); err == nil {
			t.Errorf("%s: generated without an error", name)
		}
	}
}

// pendingSwapRenamed is view.PendingSwap after a plausible Go change: the
// target's JSON name follows the daemon's field name.
type pendingSwapRenamed struct {
	From    string    `json:"from"`
	Target  string    `json:"target"`
	FiresAt time.Time `json:"fires_at"`
	Reason  string    `json:"reason"`
}

// The point of generating the types: when Go changes a shape and the
// frontend does not follow, svelte-check fails, naming the place.
func TestSvelteCheckFailsWhenGoAndTypeScriptDisagree(t *testing.T) {
	fe, err := filepath.Abs(filepath.Join(root, "frontend"))
	if err != nil {
		t.Fatal(err)
	}
	checker := filepath.Join(fe, "node_modules", ".bin", "svelte-check")
	if _, err := os.Stat(checker); err != nil {
		if os.Getenv("AIMONITOR_REQUIRE_FRONTEND") != "" {
			t.Fatalf("svelte-check is not installed (run make setup): %v", err)
		}
		t.Skip("svelte-check is not installed (frontend/node_modules); make test installs it")
	}
	// A copy of the frontend's sources and settings, sharing its packages.
	dir := t.TempDir()
	for _, name := range []string{"src", "tsconfig.json", "svelte.config.js", "vite.config.ts", "package.json"} {
		if err := os.CopyFS(filepath.Join(dir, name), os.DirFS(filepath.Join(fe, name))); err != nil {
			if err := copyFile(filepath.Join(fe, name), filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range []string{"node_modules", "wailsjs"} {
		if err := os.Symlink(filepath.Join(fe, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	params, err := paramNames(filepath.Join(root, viewSource), "Bindings")
	if err != nil {
		t.Fatal(err)
	}
	mismatched, err := Generate(Contract{
		Bindings: reflect.TypeFor[view.Bindings](), Params: params,
		Documents: view.Documents, Names: view.Names, Enums: view.Enums,
		Substitute: map[reflect.Type]reflect.Type{reflect.TypeFor[view.PendingSwap](): reflect.TypeFor[pendingSwapRenamed]()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, Output[len("frontend/"):]), mismatched, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(checker, "--tsconfig", "./tsconfig.json", "--output", "machine")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("svelte-check passed with a renamed field (or did not run: %v):\n%s", err, out)
	}
	// It fails where the widget reads the old name, and for nothing else.
	if !strings.Contains(string(out), `ERROR "src/lib/components/Widget.svelte"`) {
		t.Fatalf("svelte-check failed, but not where the widget shows the pending swap:\n%s", out)
	}
	for line := range strings.Lines(string(out)) {
		if strings.Contains(line, " ERROR ") && !strings.Contains(line, "'to' does not exist") {
			t.Errorf("an error the rename does not explain: %s", line)
		}
	}
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}
