package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aimonitor/aimonitor/backend/accounts"
	"github.com/aimonitor/aimonitor/backend/service"
)

// The helpers every command shares: results go to stdout (printf,
// printJSON), hints and progress to stderr (eprintf); errors are returned
// for Run to print.

// printJSON prints v as indented JSON on stdout.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.deps.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printf prints a result on stdout.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.deps.Stdout, format, args...)
}

// eprintf prints a hint or progress on stderr.
func (a *app) eprintf(format string, args ...any) {
	fmt.Fprintf(a.deps.Stderr, format, args...)
}

// manager is the service and its accounts Manager, for the account commands.
func (a *app) manager(ctx context.Context) (*service.Service, *accounts.Manager, error) {
	s, err := a.service()
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s, m, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// when is a time of day, with the weekday when it is not today.
func when(now, t time.Time) string {
	lt := t.Local()
	if lt.YearDay() == now.Local().YearDay() && lt.Year() == now.Local().Year() {
		return lt.Format("15:04")
	}
	return lt.Format("Mon 15:04")
}

func lookup(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if len(environ[i]) > len(key) && environ[i][:len(key)] == key && environ[i][len(key)] == '=' {
			return environ[i][len(key)+1:]
		}
	}
	return ""
}
