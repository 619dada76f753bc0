package accountscli

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/aimonitor/aimonitor/backend/service"
)

func TestSurface(t *testing.T) {
	var names []string
	for _, c := range Commands(nil, nil, nil, nil) {
		names = append(names, c.Name())
	}
	if got := strings.Join(names, " "); got != "add switch list rename remove log" {
		t.Fatalf("commands %q", got)
	}
}

// Usage mistakes are reported before any service is built.
func TestArgumentErrors(t *testing.T) {
	noService := func() (*service.Service, error) { return nil, errors.New("service must not be built") }
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
		var out bytes.Buffer
		root := &cobra.Command{Use: "aimonitor", SilenceErrors: true, SilenceUsage: true}
		root.AddCommand(Commands(noService, &out, &out, nil)...)
		root.SetArgs(tc.args)
		root.SetOut(&out)
		root.SetErr(&out)
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}
