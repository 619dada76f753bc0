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
		{[]string{"switch"}, "accepts 1 arg"},
		{[]string{"rename", "a"}, "accepts 2 arg"},
		{[]string{"remove"}, "accepts 1 arg"},
		{[]string{"list", "extra"}, "unknown command"},
	} {
		var out, errOut bytes.Buffer
		a := &app{deps: Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}, newService: noService}
		code := a.run(context.Background(), tc.args)
		if code == 0 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, errOut.String())
		}
	}
}
