// Command aimon-tokens runs `aimonitor tokens` on its own, for the token
// benchmark (bench/tokens/run.sh): it wires tokenscli.Command exactly as the
// aimonitor CLI does, without the desktop parts, so the benchmark measures
// the same code path. Arguments are those of `aimonitor tokens`.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aimonitor/aimonitor/backend/logging"
	"github.com/aimonitor/aimonitor/backend/service"
	"github.com/aimonitor/aimonitor/backend/tokens/tokenscli"
)

func main() {
	var svc *service.Service
	get := func() (*service.Service, error) {
		if svc != nil {
			return svc, nil
		}
		s, err := service.New(service.Options{})
		if err != nil {
			return nil, err
		}
		svc = s
		return s, nil
	}
	cmd := tokenscli.Command(get, os.Stdout)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs(os.Args[1:])
	err := cmd.ExecuteContext(context.Background())
	if svc != nil {
		svc.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "aimon-tokens: "+logging.Redact(err.Error()))
		os.Exit(1)
	}
}
