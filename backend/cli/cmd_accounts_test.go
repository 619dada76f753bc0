package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aimonitor/aimonitor/backend/service"
)

// The account commands are all mounted on the root.
func TestSurface(t *testing.T) {
	a := &app{deps: Deps{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}}
	have := map[string]bool{}
	for _, c := range a.rootCommand().Commands() {
		have[c.Name()] = true
	}
	for _, name := range strings.Fields("add switch list rename remove log") {
		if !have[name] {
			t.Errorf("no %s command", name)
		}
	}
}

// Usage mistakes are reported before any service is built.
func TestArgumentErrors(t *testing.T) {
	noService := func(service.Options) (*service.Service, error) { return nil, errors.New("service must not be built") }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add"}, "needs --label"},
		{[]string{"add", "--adopt-current", "--label", "x", "--timeout", "1m"}, "--timeout only applies"},
		{[]string{"switch"}, "missing account NAME"},
		{[]string{"rename", "a"}, "missing NEW label"},
		{[]string{"rename", "a", " "}, "the NEW label is empty"},
		{[]string{"remove"}, "missing account NAME"},
		{[]string{"list", "extra"}, "unknown command"},
		{[]string{"add", "--label", "x", "--timeout", "0"}, "--timeout must be longer than zero"},
		{[]string{"add", "--label", "x", "--timeout", "-1s"}, "--timeout must be longer than zero"},
		{[]string{"add", "--label", "x", "--timeout", "soon"}, `--timeout: "soon" is not a duration`},
		{[]string{"log", "--limit", "abc"}, `--limit: "abc" is not a whole number`},
		{[]string{"log", "--limit", "0"}, "--limit must be 1 or more"},
		{[]string{"log", "--limit", "-1"}, "--limit must be 1 or more"},
		{[]string{"refresh", "a", "b"}, "too many arguments"},
		{[]string{"config", "lst"}, `unknown command "lst" for "aimonitor config"; did you mean "list"?`},
		{[]string{"lst"}, `did you mean "list"?`},
	} {
		var out, errOut bytes.Buffer
		a := &app{deps: Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}, newService: noService}
		code := a.run(context.Background(), tc.args)
		if code != ExitUsage || !strings.Contains(errOut.String(), tc.want) || strings.Count(errOut.String(), "\n") != 1 || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", tc.args, code, out.String(), errOut.String())
		}
	}
}
